// The one header through which the core reaches a JS engine.
//
// The build puts exactly one backend's include directory on the include path
// (native/include for Node-API, wasm/include for Emscripten); each provides
// <anythread/backend_impl.hpp> with the same names and contracts:
//
//   class Env;            A JS environment (napi_env; nothing in wasm).
//   class Value;          A JS value. JS thread only, valid for the current
//                         callback (a handle scope natively). Factories:
//                         Undefined/Null/Boolean/Number/String/Array/Object;
//                         predicates IsUndefined, IsNull, IsBoolean, IsNumber,
//                         IsString, IsFunction, IsObject, IsArray; accessors
//                         AsBool, AsNumber, AsString, Get, Set, Length.
//   class Reference;      A strong persistent reference to a Value. Created,
//                         read and reset on the JS thread only.
//   class CallbackInfo;   Arguments of a JS call into an exported function.
//   struct CallOutcome;   { bool threw; Value value; } of CallFunction.
//   CallFunction(env, fn, args)     Calls fn(...args), catching any throw.
//   MakeError(env, kind, code, msg) A new Error/TypeError/RangeError with code.
//   ThrowError(env, kind, code, msg)  Makes it pending; returns undefined.
//   ReportUncaught(env, value)      An uncaught exception, as the runtime
//                                   reports them (Node: 'uncaughtException').
//   class BackendDoorbell : Doorbell  Wakes the JS thread: Create(env, target,
//                         weak), Ring() (any thread), Ref()/Unref()/Close()
//                         (JS thread). It calls target->OnDoorbell(env) on the
//                         JS thread after a Ring(), and target->OnEnvTeardown()
//                         if the environment dies first.
//   class ModuleBuilder;  Export(name, fn) for ANYTHREAD_MODULE.
//
// Backends translate; they do not decide semantics.
#ifndef ANYTHREAD_BACKEND_HPP_
#define ANYTHREAD_BACKEND_HPP_

#include <memory>
#include <vector>

#include "anythread/call_queue.hpp"
#include "anythread/config.hpp"
#include "anythread/status.hpp"

namespace anythread {

enum class ErrorKind { kError, kTypeError, kRangeError };

class Env;

// What a backend doorbell calls on the JS thread. Implemented by the core's
// threadsafe-function state; held by the doorbell through a shared_ptr so the
// state outlives every wake-up already in flight.
class DrainTarget {
 public:
  virtual ~DrainTarget() = default;
  virtual void OnDoorbell(Env env) = 0;  // JS thread.
  virtual void OnEnvTeardown() = 0;      // JS thread; no JS may run.
};

}  // namespace anythread

#include <anythread/backend_impl.hpp>

#endif  // ANYTHREAD_BACKEND_HPP_
