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
//   CallFunction(env, fn, args)     Calls fn(...args), catching any throw
//   CallFunction(env, fn, argv, n)  (args a vector, or n Values at argv).
//   MakeError(env, kind, code, msg) A new Error/TypeError/RangeError with code.
//   ThrowError(env, kind, code, msg)  Makes it pending; returns undefined.
//   ReportUncaught(env, value)      An uncaught exception, as the runtime
//                                   reports them (Node: 'uncaughtException').
//   class BackendDoorbell : Doorbell  Wakes the JS thread: Create(env, target,
//                         weak, fn), Ring() (any thread), Ref()/Unref()/Close()
//                         (JS thread). It calls target->OnDoorbell(env, fn)
//                         on the JS thread after a Ring() (fn: the function
//                         given to Create, if the backend keeps it at hand,
//                         else null), and target->OnEnvTeardown() if the
//                         environment dies first.
//   class PromiseResolver;  Create(env, &promise), Resolve/Reject(env, value)
//                         on the JS thread; Abandon() from any thread once
//                         the engine is gone.
//   AttachThen(env, thenable, fn)   Calls fn(env, fulfilled, value) on the JS
//                                   thread once `thenable` settles (a throw
//                                   from its `then` counts as a rejection).
//   DescribeThrown(env, value)      A thrown value's message, else String(v),
//                                   never throwing.
//   EnvSlot(env, id)                A per-environment shared_ptr<void> slot,
//                                   cleared at teardown.
//   Reference::Abandon()            Forget the reference without touching JS.
//   ThrowValue(env, value)          Makes any value the pending exception.
//   CallForEach(env, fn, leading_null, values, n, budget_ms, &stop_slot,
//               &thrown)            Calls fn([null,] values[i]) for each i in
//                                   JS (one transition per batch). Stops when
//                                   *stop_slot (valid during the call) turns
//                                   non-zero, at a throw (thrown set), or
//                                   once budget_ms have passed (the clock
//                                   read at the calls' pace, as ClockPacer
//                                   does; for n > 1: a run of one needs no
//                                   budget); returns how many calls ran, the
//                                   throwing one included, at least one.
//                                   values has n + 1 slots.
//   CallForEachValue(env, fn, leading_null, values, n, budget_ms,
//               &stop_slot, &thrown)  The same for n Values at values (the
//                                   backend provides the stop slot).
//   CallForEachString(env, fn, leading_null, strings, n, budget_ms,
//               &stop_slot, &thrown)  The same for n std::string_views of
//                                   UTF-8 (the backend makes the strings,
//                                   within the budget: a string is made
//                                   shortly before its call, and at most a
//                                   chunk of them is made and not called).
//   MakeTypedArray(env, type, values, n)  A new typed array of `type`
//                                   holding a copy of the n elements at
//                                   values (of type's element type).
//   LendTypedArray(env, type, values, n)  The same, lent for one call;
//   EndLend(env, array)             then detaches its buffer (the array
//                                   reads as empty) and may reuse its
//                                   memory for a later lend. A buffer the
//                                   callee already detached (transferred)
//                                   is left alone.
//   MakeArray(env, values, n)       A new Array of values[0..n), built in
//                                   JS in few transitions (batches of
//                                   values; tuples, vectors of non-numbers).
//   MakeStringArray(env, strings, n, budget_ms, &made)  A new Array of the
//                                   JS strings of the first `made` of n
//                                   std::string_views of UTF-8: all, or
//                                   with budget_ms > 0 those made before it
//                                   ran out (the clock read at the making's
//                                   pace, as ClockPacer does, and after
//                                   every 64 KiB; at least one).
//   MakeNumberArray(env, values, n)  A new Array of the n doubles at
//                                   values, as numbers (a vector's).
//   MakeFunction(env, name, fn)     A JS function calling an exported function.
//   class ModuleBuilder;  Export(name, fn) and ExportClass(name, ctor,
//                         {{method, fn}, ...}) for ANYTHREAD_MODULE.
//
// Backends translate; they do not decide semantics.
#ifndef ANYTHREAD_BACKEND_HPP_
#define ANYTHREAD_BACKEND_HPP_

#include <cstddef>
#include <memory>
#include <vector>

#include "anythread/call_queue.hpp"
#include "anythread/config.hpp"
#include "anythread/small_buffer.hpp"
#include "anythread/status.hpp"

namespace anythread {

enum class ErrorKind { kError, kTypeError, kRangeError };

// The typed arrays batched delivery makes (MakeTypedArray, LendTypedArray).
// The backends map them by value, in this order (a table natively, a switch
// in the wasm glue): add new ones at the end.
enum class TypedArrayType {
  kInt8, kUint8, kInt16, kUint16, kInt32, kUint32, kFloat32, kFloat64
};

// Bytes per element of a TypedArrayType.
constexpr size_t TypedArrayElementSize(TypedArrayType type) {
  switch (type) {
    case TypedArrayType::kInt8:
    case TypedArrayType::kUint8: return 1;
    case TypedArrayType::kInt16:
    case TypedArrayType::kUint16: return 2;
    case TypedArrayType::kInt32:
    case TypedArrayType::kUint32:
    case TypedArrayType::kFloat32: return 4;
    case TypedArrayType::kFloat64: return 8;
  }
  return 8;
}

// Per-environment singletons of the core, kept by the backend (EnvSlot) and
// destroyed when the environment is torn down.
enum class EnvSlotId { kJsThreadTasks, kCount };

class Env;

// A C++ object behind an instance of an exported class (ExportClass). JS
// thread: made by the class's constructor function, destroyed when the JS
// object is garbage collected (or the environment torn down).
class ObjectBase {
 public:
  virtual ~ObjectBase() = default;
};

// What a backend doorbell calls on the JS thread. Implemented by the core's
// threadsafe-function state; held by the doorbell through a shared_ptr so the
// state outlives every wake-up already in flight.
class Value;  // Defined by the backend (backend_impl.hpp).

class DrainTarget {
 public:
  virtual ~DrainTarget() = default;
  // JS thread. `fn`: the JS function, when the backend has it at hand
  // (Node's threadsafe function passes it to its callback); else null.
  virtual void OnDoorbell(Env env, const Value* fn) = 0;
  virtual void OnEnvTeardown() = 0;      // JS thread; no JS may run.
};

}  // namespace anythread

#include <anythread/backend_impl.hpp>

#endif  // ANYTHREAD_BACKEND_HPP_
