// The main-thread end of the wasm doorbell (see backend_impl.hpp).
#include <emscripten.h>

#include <emscripten/bind.h>

#include <cstdint>
#include <memory>

#include "anythread/backend.hpp"

// Main runtime thread: a ring's message arrived. Owns `ctx` (a heap
// shared_ptr to the core state, made by BackendDoorbell::Ring).
extern "C" EMSCRIPTEN_KEEPALIVE void anythread_wasm_wake(void* ctx) {
  auto* target = static_cast<std::shared_ptr<anythread::DrainTarget>*>(ctx);
  (*target)->OnDoorbell(anythread::Env());
  delete target;
}

// Main runtime thread: a thenable given to AttachThen settled. Owns `ctx`
// (a heap ThenCallback) and the `value` handle.
extern "C" EMSCRIPTEN_KEEPALIVE void anythread_wasm_settle(
    void* ctx, int fulfilled, emscripten::EM_VAL value) {
  auto* fn = static_cast<anythread::ThenCallback*>(ctx);
  anythread::Value v(emscripten::val::take_ownership(value));
  (*fn)(anythread::Env(), fulfilled != 0, v);
  delete fn;
}

namespace {

using anythread::CallbackInfo;
using anythread::ModuleBuilder;
using anythread::ObjectBase;
using anythread::Value;
using emscripten::val;

// The entry points the JS loader calls. None throws: errors are left pending
// (anythread_set_pending) and thrown by the JS wrapper after the call.
val Invoke(int index, val args) {
  const ModuleBuilder::Entry* e = ModuleBuilder::At(index);
  if (!e || !e->fn) return val::undefined();
  return e->fn(CallbackInfo(args)).val();
}

val CallPtr(uintptr_t fn, val args) {
  auto f = reinterpret_cast<anythread::ExportedFunction>(fn);
  return f(CallbackInfo(args)).val();
}

// A pointer as a JS number (wasm32 pointers fit a double exactly).
double New(int index, val args) {
  const ModuleBuilder::Entry* e = ModuleBuilder::At(index);
  if (!e || !e->ctor) return 0;
  std::unique_ptr<ObjectBase> object = e->ctor(CallbackInfo(args));
  return static_cast<double>(reinterpret_cast<uintptr_t>(object.release()));
}

val Method(int index, int method, double ptr, val args) {
  const ModuleBuilder::Entry* e = ModuleBuilder::At(index);
  if (!e || method < 0 || static_cast<size_t>(method) >= e->methods.size() ||
      ptr == 0) {
    return val::undefined();
  }
  auto* object = reinterpret_cast<ObjectBase*>(static_cast<uintptr_t>(ptr));
  return e->methods[method].fn(*object, CallbackInfo(args)).val();
}

void Delete(double ptr) {
  delete reinterpret_cast<ObjectBase*>(static_cast<uintptr_t>(ptr));
}

}  // namespace

EMSCRIPTEN_BINDINGS(anythread_runtime) {
  emscripten::function("__anythreadInvoke", &Invoke);
  emscripten::function("__anythreadCallPtr", &CallPtr);
  emscripten::function("__anythreadNew", &New);
  emscripten::function("__anythreadMethod", &Method);
  emscripten::function("__anythreadDelete", &Delete);
}
