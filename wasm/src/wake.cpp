// The main-thread end of the wasm doorbell (see backend_impl.hpp).
#include <emscripten.h>

#include <emscripten/bind.h>

#include <cstdint>
#include <memory>

#include "anythread/backend.hpp"

namespace {

// How deep the main thread is inside native code called from JS (exports,
// drains). Emscripten 3.1.6 runs proxied calls while the main thread blocks
// (a join, a contended lock: TOOLCHAIN.md quirk 8), so a ring's message can
// arrive in the middle of native code; its drain must then wait for a fresh
// macrotask instead of running JS callbacks inside that code.
int g_native_depth = 0;

struct NativeScope {
  NativeScope() { ++g_native_depth; }
  ~NativeScope() { --g_native_depth; }
};

}  // namespace

// Main runtime thread: a ring's message arrived (or its deferred macrotask
// ran). `ctx` is the ringing BackendDoorbell, kept alive by the message.
extern "C" EMSCRIPTEN_KEEPALIVE void anythread_wasm_wake(void* ctx) {
  if (g_native_depth > 0) {
    anythread_schedule(ctx);
    return;
  }
  NativeScope scope;
  anythread::BackendDoorbell::OnMessage(ctx);
}

// Main runtime thread: a doorbell's armed wait resolved (a promise job, so
// never inside native code).
extern "C" EMSCRIPTEN_KEEPALIVE void anythread_wasm_bell(void* ctx) {
  NativeScope scope;
  anythread::BackendDoorbell::OnBell(ctx);
}

// Main runtime thread: a thenable given to AttachThen settled. Owns `ctx`
// (a heap ThenCallback) and the `value` handle.
extern "C" EMSCRIPTEN_KEEPALIVE void anythread_wasm_settle(
    void* ctx, int fulfilled, emscripten::EM_VAL value) {
  NativeScope scope;
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
  NativeScope scope;
  const ModuleBuilder::Entry* e = ModuleBuilder::At(index);
  if (!e || !e->fn) return val::undefined();
  return e->fn(CallbackInfo(args)).val();
}

val CallPtr(uintptr_t fn, val args) {
  NativeScope scope;
  auto f = reinterpret_cast<anythread::ExportedFunction>(fn);
  return f(CallbackInfo(args)).val();
}

// A pointer as a JS number (wasm32 pointers fit a double exactly).
double New(int index, val args) {
  NativeScope scope;
  const ModuleBuilder::Entry* e = ModuleBuilder::At(index);
  if (!e || !e->ctor) return 0;
  std::unique_ptr<ObjectBase> object = e->ctor(CallbackInfo(args));
  return static_cast<double>(reinterpret_cast<uintptr_t>(object.release()));
}

val Method(int index, int method, double ptr, val args) {
  NativeScope scope;
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
