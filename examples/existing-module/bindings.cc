// The module's Emscripten entry point, as an embind module has it:
// EMSCRIPTEN_BINDINGS, emscripten::val. anythread takes an emscripten::val
// as it is. A wasm function should not throw into JS (that unwinds its
// frames without running destructors), so a refusal comes back as the
// Error to throw, and the module's JS wrapper (node.mjs, web.mjs) throws it.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "logstream.hpp"

namespace {

// start(threads, lines, onLine): undefined, or the Error to throw.
emscripten::val Start(emscripten::val threads, emscripten::val lines, emscripten::val on_line) {
  logstream::Refusal refusal;
  if (logstream::Start(anythread::Env(), threads, lines, on_line, &refusal)) {
    return emscripten::val::undefined();
  }
  const char* kind = refusal.kind == anythread::ErrorKind::kRangeError ? "RangeError" : "TypeError";
  return emscripten::val::global(kind).new_(refusal.message);
}

}  // namespace

EMSCRIPTEN_BINDINGS(logstream) { emscripten::function("start", &Start); }
