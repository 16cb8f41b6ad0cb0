// The main-thread end of the wasm doorbell (see backend_impl.hpp).
#include <emscripten.h>

#include <memory>

#include "anythread/backend.hpp"

// Main runtime thread: a ring's message arrived. Owns `ctx` (a heap
// shared_ptr to the core state, made by BackendDoorbell::Ring).
extern "C" EMSCRIPTEN_KEEPALIVE void anythread_wasm_wake(void* ctx) {
  auto* target = static_cast<std::shared_ptr<anythread::DrainTarget>*>(ctx);
  (*target)->OnDoorbell(anythread::Env());
  delete target;
}
