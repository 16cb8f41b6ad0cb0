// The module's Node-API entry point, as a node-addon-api addon has it:
// NODE_API_MODULE, Napi::CallbackInfo, Napi errors. anythread takes its
// Napi::Env and Napi::Value as they are.
#include <napi.h>

#include "logstream.hpp"

namespace {

// start(threads, lines, onLine): see logstream::Start.
Napi::Value Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  logstream::Refusal refusal;
  if (!logstream::Start(env, info[0], info[1], info[2], &refusal)) {
    if (refusal.kind == anythread::ErrorKind::kRangeError) {
      Napi::RangeError::New(env, refusal.message).ThrowAsJavaScriptException();
    } else {
      Napi::TypeError::New(env, refusal.message).ThrowAsJavaScriptException();
    }
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("start", Napi::Function::New(env, Start, "start"));
  return exports;
}

}  // namespace

NODE_API_MODULE(logstream, Init)
