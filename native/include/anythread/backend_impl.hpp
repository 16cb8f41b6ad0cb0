// Node-API backend: the JS value layer and the doorbell, on node-addon-api.
//
// Included only through <anythread/backend.hpp>. Translates; decides nothing.
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: a JS exception is a pending state
// checked after each call, as in the core's no-exceptions style.
#ifndef ANYTHREAD_NATIVE_BACKEND_IMPL_HPP_
#define ANYTHREAD_NATIVE_BACKEND_IMPL_HPP_

// A source compiled without C++ exceptions needs no define; one compiled
// with them must say NAPI_DISABLE_CPP_EXCEPTIONS (for every source of the
// addon, so that all of them see node-addon-api alike).
#if !defined(NAPI_DISABLE_CPP_EXCEPTIONS) && !defined(NAPI_CPP_EXCEPTIONS) && \
    !defined(NODE_ADDON_API_CPP_EXCEPTIONS) && !defined(__EXCEPTIONS) && !defined(_CPPUNWIND)
#define NAPI_DISABLE_CPP_EXCEPTIONS
#endif
#include <napi.h>

#ifdef NODE_ADDON_API_CPP_EXCEPTIONS
#error "anythread needs node-addon-api without C++ exceptions: define NAPI_DISABLE_CPP_EXCEPTIONS for every source of this addon (not NAPI_CPP_EXCEPTIONS)"
#endif
#if NAPI_VERSION < 8
#error "anythread needs Node-API version 8 or later: define NAPI_VERSION=8 (or higher), or leave it undefined"
#endif

#include "anythread/clock_pacer.hpp"
#include "anythread/config.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace anythread {

// The numeric fast path pays off from this many items on: a direct napi_call_function beats creating the batch array for a few items.
constexpr size_t kBackendMinFastPathRun = 4;

class Env {
 public:
  Env() = default;
  Env(napi_env env) : env_(env) {}  // NOLINT: implicit
  Env(Napi::Env env) : env_(env) {}  // NOLINT: implicit, for addons of your own
  napi_env raw() const { return env_; }
  Napi::Env napi() const { return Napi::Env(env_); }

 private:
  napi_env env_ = nullptr;
};

class Value {
 public:
  Value() = default;
  Value(Napi::Value v) : v_(v) {}  // NOLINT: implicit

  static Value Undefined(Env env) { return env.napi().Undefined(); }
  static Value Null(Env env) { return env.napi().Null(); }
  static Value Boolean(Env env, bool b) {
    return Napi::Boolean::New(env.napi(), b);
  }
  ANYTHREAD_ALWAYS_INLINE static Value Number(Env env, double d) {
    napi_value v = nullptr;  // Never fails with a valid env; if it did,
    if (napi_create_double(env.raw(), d, &v) == napi_ok) {  // node-addon-api throws.
      return Napi::Value(env.raw(), v);
    }
    return Napi::Number::New(env.napi(), d);
  }
  static Value String(Env env, std::string_view s) {
    return Napi::String::New(env.napi(), s.data(), s.size());
  }
  static Value Array(Env env) { return Napi::Array::New(env.napi()); }
  static Value Object(Env env) { return Napi::Object::New(env.napi()); }

  bool IsEmpty() const { return v_.IsEmpty(); }
  bool IsUndefined() const { return v_.IsUndefined(); }
  bool IsNull() const { return v_.IsNull(); }
  bool IsBoolean() const { return v_.IsBoolean(); }
  bool IsNumber() const { return v_.IsNumber(); }
  bool IsString() const { return v_.IsString(); }
  bool IsFunction() const { return !v_.IsEmpty() && v_.IsFunction(); }
  bool IsObject() const { return v_.IsObject(); }
  bool IsArray() const { return v_.IsArray(); }

  bool AsBool() const { return v_.As<Napi::Boolean>().Value(); }
  double AsNumber() const { return v_.As<Napi::Number>().DoubleValue(); }
  std::string AsString() const { return v_.As<Napi::String>().Utf8Value(); }

  Value Get(const char* key) const {
    return v_.As<Napi::Object>().Get(key);
  }
  Value Get(uint32_t index) const {
    return v_.As<Napi::Object>().Get(index);
  }
  void Set(const char* key, const Value& value) {
    (void)v_.As<Napi::Object>().Set(key, value.v_);
  }
  void Set(uint32_t index, const Value& value) {
    (void)v_.As<Napi::Object>().Set(index, value.v_);
  }
  uint32_t Length() const { return v_.As<Napi::Array>().Length(); }

  Napi::Value napi() const { return v_; }

 private:
  Napi::Value v_;
};

// Node-API before version 10 references only objects and functions, so any
// other value (a primitive, a symbol) is held inside a small holder object.
class Reference {
 public:
  Reference() = default;
  static Reference Make(const Value& v) {
    Reference r;
    Napi::Value value = v.napi();
    r.boxed_ = !(value.IsObject() || value.IsFunction());
    if (r.boxed_) {
      Napi::Object box = Napi::Object::New(value.Env());
      (void)box.Set("v", value);
      value = box;
    }
    r.ref_ = Napi::Persistent(value);
    return r;
  }
  Value Get(Env) const {
    if (ref_.IsEmpty()) return Value();
    Napi::Value value = ref_.Value();
    return boxed_ ? Value(value.As<Napi::Object>().Get("v")) : Value(value);
  }
  void Reset() { ref_.Reset(); }
  // Any thread, once the environment is gone: forget without deleting.
  void Abandon() {
    ref_.SuppressDestruct();
    Napi::Reference<Napi::Value> forgotten = std::move(ref_);
    (void)forgotten;
  }

 private:
  Napi::Reference<Napi::Value> ref_;
  bool boxed_ = false;
};

class CallbackInfo {
 public:
  explicit CallbackInfo(const Napi::CallbackInfo& info) : info_(info) {}
  Env env() const { return Env(info_.Env()); }
  size_t Length() const { return info_.Length(); }
  Value operator[](size_t i) const { return info_[i]; }

 private:
  const Napi::CallbackInfo& info_;
};

struct CallOutcome {
  bool threw = false;
  Value value;  // The result, or the thrown value.
};

ANYTHREAD_ALWAYS_INLINE inline CallOutcome CallFunction(Env env, const Value& fn,
                                                        const Value* args, size_t argc) {
  // On the delivery path: no heap allocation for the usual few arguments.
  SmallBuffer<napi_value, 8> buffer(argc);
  napi_value* argv = buffer.data();
  for (size_t i = 0; i < argc; ++i) argv[i] = args[i].napi();
  Napi::Env e = env.napi();
  napi_value result = nullptr;
  napi_value undefined = nullptr;  // Napi::Env::Undefined() is a call of its own.
  if (napi_get_undefined(env.raw(), &undefined) != napi_ok) undefined = e.Undefined();
  napi_status status = napi_call_function(env.raw(), undefined, fn.napi(),
                                          argc, argv, &result);
  CallOutcome outcome;
  if (status == napi_ok) {
    outcome.value = Napi::Value(env.raw(), result);
    return outcome;
  }
  outcome.threw = true;
  if (e.IsExceptionPending()) {
    outcome.value = e.GetAndClearPendingException().Value();
  } else {
    // No exception, yet the call failed: the environment is terminating (a
    // Worker being stopped) and JS cannot run. Nothing to report.
    outcome.value = e.Undefined();
  }
  return outcome;
}

inline CallOutcome CallFunction(Env env, const Value& fn,
                                const std::vector<Value>& args) {
  return CallFunction(env, fn, args.data(), args.size());
}

inline Value MakeError(Env env, ErrorKind kind, std::string_view code,
                       std::string_view message) {
  Napi::Env e = env.napi();
  std::string msg(message);
  Napi::Error error = kind == ErrorKind::kTypeError
                          ? Napi::TypeError::New(e, msg)
                      : kind == ErrorKind::kRangeError
                          ? Napi::RangeError::New(e, msg)
                          : Napi::Error::New(e, msg);
  Napi::Object object = error.Value();
  (void)object.Set("code", Napi::String::New(e, code.data(), code.size()));
  return Value(object);
}

namespace native_detail {

// Per-environment data: the core's slots and the backend's cached helpers.
// Created on first use on the JS thread; deleted by an env cleanup hook.
struct EnvData {
  std::array<std::shared_ptr<void>, static_cast<size_t>(EnvSlotId::kCount)> slots;
  Napi::FunctionReference describe;
  Napi::FunctionReference for_each;  // The numeric fast path's JS loop.
  Napi::FunctionReference for_each_value;  // The value loop (CallForEachValue).
  Napi::FunctionReference collect;   // MakeArray's.
  // The fast path's values, reused from batch to batch (see CallForEach).
  Napi::Reference<Napi::Float64Array> scratch;
  double* scratch_data = nullptr;
  size_t scratch_length = 0;
  bool scratch_busy = false;  // A CallForEach is using it.
};

inline std::mutex& EnvMapMutex() {
  static std::mutex mutex;
  return mutex;
}
inline std::unordered_map<napi_env, std::unique_ptr<EnvData>>& EnvMap() {
  static auto* map = new std::unordered_map<napi_env, std::unique_ptr<EnvData>>();
  return *map;  // Leaked on purpose: outlives every environment's hooks.
}

inline void DropEnvData(void* arg) {
  auto env = static_cast<napi_env>(arg);
  std::unique_ptr<EnvData> data;
  {
    std::lock_guard<std::mutex> lock(EnvMapMutex());
    auto it = EnvMap().find(env);
    if (it == EnvMap().end()) return;
    data = std::move(it->second);
    EnvMap().erase(it);
  }
  data.reset();  // Outside the lock: slots may run destructors.
}

// JS thread.
inline EnvData& DataFor(napi_env env) {
  std::lock_guard<std::mutex> lock(EnvMapMutex());
  auto& slot = EnvMap()[env];
  if (!slot) {
    slot = std::make_unique<EnvData>();
    napi_add_env_cleanup_hook(env, &DropEnvData, env);
  }
  return *slot;
}

}  // namespace native_detail

// JS thread. The environment's slot `id` (see EnvSlotId).
inline std::shared_ptr<void>& EnvSlot(Env env, EnvSlotId id) {
  return native_detail::DataFor(env.raw()).slots[static_cast<size_t>(id)];
}

// JS thread. A thrown value's message if it has a string one, else
// String(value); never throws (a throwing toString gives "[object ...]").
inline std::string DescribeThrown(Env env, const Value& value) {
  Napi::Env e = env.napi();
  auto& data = native_detail::DataFor(env.raw());
  if (data.describe.IsEmpty()) {
    const char* source =
        "(function describe(v) {"
        "  try {"
        "    if (v !== null && (typeof v === 'object' || typeof v === 'function')) {"
        "      var m = v.message;"
        "      if (typeof m === 'string') return m;"
        "    }"
        "    return String(v);"
        "  } catch (e) { return Object.prototype.toString.call(v); }"
        "})";
    napi_value script, fn;
    napi_create_string_utf8(env.raw(), source, NAPI_AUTO_LENGTH, &script);
    if (napi_run_script(env.raw(), script, &fn) != napi_ok) {
      if (e.IsExceptionPending()) e.GetAndClearPendingException();
      return "<unprintable value>";
    }
    data.describe = Napi::Persistent(Napi::Function(env.raw(), fn));
  }
  napi_value result;
  napi_value arg = value.napi();
  if (napi_call_function(env.raw(), e.Undefined(), data.describe.Value(), 1,
                         &arg, &result) != napi_ok) {
    if (e.IsExceptionPending()) e.GetAndClearPendingException();
    return "<unprintable value>";
  }
  return Napi::String(env.raw(), result).Utf8Value();
}

// JS thread. A JS function compiled once per environment; empty on failure.
inline Napi::Function CompiledHelper(Env env, Napi::FunctionReference* cache,
                                     const char* source) {
  if (!cache->IsEmpty()) return cache->Value();
  napi_value script, fn;
  napi_create_string_utf8(env.raw(), source, NAPI_AUTO_LENGTH, &script);
  if (napi_run_script(env.raw(), script, &fn) != napi_ok) {
    Napi::Env e = env.napi();
    if (e.IsExceptionPending()) e.GetAndClearPendingException();
    return Napi::Function();
  }
  *cache = Napi::Persistent(Napi::Function(env.raw(), fn));
  return cache->Value();
}

inline Value MakeTypedArray(Env env, TypedArrayType type, const void* values, size_t n) {
  static constexpr napi_typedarray_type kNapiType[] = {
      napi_int8_array,  napi_uint8_array,  napi_int16_array,   napi_uint16_array,
      napi_int32_array, napi_uint32_array, napi_float32_array, napi_float64_array};
  const size_t bytes = n * TypedArrayElementSize(type);
  void* data = nullptr;
  napi_value buffer, array;
  napi_create_arraybuffer(env.raw(), bytes, &data, &buffer);
  if (bytes > 0) std::memcpy(data, values, bytes);
  napi_create_typedarray(env.raw(), kNapiType[static_cast<size_t>(type)], n, buffer, 0, &array);
  return Value(Napi::Value(env.raw(), array));
}

// JS thread. An Array of n numbers (a vector's elements): as the elements
// one at a time; wasm makes it in its glue (one transition instead of one
// per element).
inline Value MakeNumberArray(Env env, const double* values, size_t n) {
  napi_value array = nullptr;
  if (napi_create_array_with_length(env.raw(), n, &array) != napi_ok) {
    return Value::Array(env);  // Only with an exception pending.
  }
  for (size_t i = 0; i < n; ++i) {
    napi_value number = nullptr;
    napi_create_double(env.raw(), values[i], &number);
    napi_set_element(env.raw(), array, static_cast<uint32_t>(i), number);
  }
  return Value(Napi::Value(env.raw(), array));
}

// JS thread. The values go to JS as the arguments of a small function,
// up to kMakeArrayChunk a call: the first call's rest parameter is the
// array, later calls append to it. napi_set_element per value went through
// V8's generic property path (a third of a batch of strings' time natively,
// bench/NOTES.md).
inline Value MakeArray(Env env, const Value* values, size_t n) {
  Napi::Env e = env.napi();
  auto& data = native_detail::DataFor(env.raw());
  Napi::Function collect = CompiledHelper(
      env, &data.collect,
      "(function collect(a, ...items) {"
      "  if (a === undefined) return items;"
      "  for (let i = 0; i < items.length; i++) a.push(items[i]);"
      "  return a;"
      "})");
  constexpr size_t kMakeArrayChunk = 1024;
  napi_value argv[kMakeArrayChunk + 1];
  argv[0] = e.Undefined();
  size_t i = 0;
  while (i < n && !collect.IsEmpty()) {
    const size_t m = std::min(kMakeArrayChunk, n - i);
    for (size_t j = 0; j < m; ++j) argv[1 + j] = values[i + j].napi();
    napi_value array;
    if (napi_call_function(env.raw(), e.Undefined(), collect, m + 1, argv, &array) != napi_ok) {
      if (e.IsExceptionPending()) e.GetAndClearPendingException();
      break;
    }
    argv[0] = array;
    i += m;
  }
  if (i == n && n > 0) return Value(Napi::Value(env.raw(), argv[0]));
  // No helper, or its call failed: the rest one element at a time.
  Napi::Array array = i == 0 ? Napi::Array::New(e) : Napi::Array(env.raw(), argv[0]);
  for (; i < n; ++i) (void)array.Set(static_cast<uint32_t>(i), values[i].napi());
  return Value(array);
}

// A lent batch is a new ArrayBuffer that EndLend detaches: V8 then frees its
// memory at once (no garbage collection needed), so the next batch's
// allocation gets the same, already faulted-in, memory back from malloc.
inline Value LendTypedArray(Env env, TypedArrayType type, const void* values, size_t n) {
  return MakeTypedArray(env, type, values, n);
}

inline void EndLend(Env env, const Value& array) {
  napi_value buffer = nullptr;
  if (napi_get_typedarray_info(env.raw(), array.napi(), nullptr, nullptr, nullptr, &buffer,
                               nullptr) != napi_ok) {
    return;
  }
  bool detached = false;
  napi_is_detached_arraybuffer(env.raw(), buffer, &detached);
  if (!detached) napi_detach_arraybuffer(env.raw(), buffer);
}

namespace native_detail {

// JS thread. A Float64Array of at least `length` elements for CallForEach:
// the environment's own, reused from batch to batch (grown when a longer
// run comes, up to the drain's budget of items), or a fresh one while that
// is in use (a callback that runs the event loop from inside, as deasync
// does, can start another fast-path batch). A fresh ArrayBuffer per batch
// cost a zero-filled allocation of 8 bytes per item that the GC frees
// later; where page faults are dear (11-15 us each on one of our VMs) its new
// pages cost more than the calls. Returns null (an exception pending) when
// allocation fails.
inline napi_value ForEachValues(napi_env env, EnvData& data, size_t length,
                                double** slots, bool* pooled) {
  *pooled = !data.scratch_busy;
  if (*pooled && !data.scratch.IsEmpty() && data.scratch_length >= length) {
    *slots = data.scratch_data;
    data.scratch_busy = true;
    return data.scratch.Value();
  }
  const size_t capacity =
      *pooled ? std::max({length, data.scratch_length * 2, size_t{64}}) : length;
  void* bytes = nullptr;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, capacity * sizeof(double), &bytes, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, capacity, buffer, 0, &array) != napi_ok) {
    return nullptr;
  }
  *slots = static_cast<double*>(bytes);
  if (*pooled) {
    data.scratch = Napi::Persistent(Napi::Float64Array(env, array));
    data.scratch_data = *slots;
    data.scratch_length = capacity;
    data.scratch_busy = true;
  }
  return array;
}

}  // namespace native_detail

namespace native_detail {

// The loop of CallForEach and CallForEachValue: fn([null,] values[i]) for i
// in [0, n), stopping before a call once stop[at] is non-zero, and once
// `budget` ms have passed (the clock read after call c: the first, then at
// the calls' pace, as ClockPacer does; `pace` is its step); returns the
// calls made, or -(i + 1) when call i threw (the thrown value in
// forEach.error). Strict code, so a sloppy callback's `caller` is null: no
// callback can reach the values or the stop slot. Each caller compiles its
// own copy, so the engine's type feedback stays with one kind of `values`
// (a Float64Array, or an Array).
constexpr const char* kForEachSource =
    "(function () {"
    "  'use strict';"
    // Calls until the next read, `t` ms in after `done` calls, the last read
    // `tl` ms in after `dl`: half of what the time left holds at that pace.
    "  function pace(t, tl, done, dl, budget) {"
    "    var k = t > tl ? Math.floor((budget - t) * (done - dl) / (2 * (t - tl))) : 32;"
    "    return k < 1 ? 1 : k > 32 ? 32 : k;"
    "  }"
    "  return function forEach(fn, values, n, leadingNull, budget, stop, at) {"
    "    var i = 0, c = n > 1 ? 0 : -1, t0 = c === 0 ? performance.now() : 0;"
    "    var t = 0, tl = 0, dl = 0;"
    "    try {"
    "      if (leadingNull) {"
    "        for (; i < n; i++) {"
    "          if (stop[at] !== 0) return i;"
    "          fn(null, values[i]);"
    "          if (i === c) {"
    "            t = performance.now() - t0;"
    "            if (t > budget) return i + 1;"
    "            c = i + pace(t, tl, i + 1, dl, budget); tl = t; dl = i + 1;"
    "          }"
    "        }"
    "      } else {"
    "        for (; i < n; i++) {"
    "          if (stop[at] !== 0) return i;"
    "          fn(values[i]);"
    "          if (i === c) {"
    "            t = performance.now() - t0;"
    "            if (t > budget) return i + 1;"
    "            c = i + pace(t, tl, i + 1, dl, budget); tl = t; dl = i + 1;"
    "          }"
    "        }"
    "      }"
    "    } catch (e) { forEach.error = e; return -(i + 1); }"
    "    return n;"
    "  };"
    "})()";

// JS thread. Runs `loop` (kForEachSource) over `values` with the stop slot
// stop_array[stop_at] (at *slot while JS runs) and decodes its result.
inline size_t RunForEach(Env env, const Napi::Function& loop, const Value& fn,
                         napi_value values, size_t n, bool leading_null,
                         double budget_ms, napi_value stop_array, size_t stop_at,
                         double* slot, double** stop_slot, CallOutcome* thrown) {
  Napi::Env e = env.napi();
  napi_value argv[7] = {fn.napi(), values, Napi::Number::New(e, static_cast<double>(n)),
                        Napi::Boolean::New(e, leading_null), Napi::Number::New(e, budget_ms),
                        stop_array, Napi::Number::New(e, static_cast<double>(stop_at))};
  *stop_slot = slot;
  napi_value result;
  napi_status status = napi_call_function(env.raw(), e.Undefined(), loop, 7, argv, &result);
  *stop_slot = nullptr;
  if (status != napi_ok) {  // The loop itself cannot throw; be safe anyway.
    thrown->threw = true;
    thrown->value = e.IsExceptionPending() ? e.GetAndClearPendingException().Value()
                                           : Napi::Error::New(e, "forEach failed").Value();
    return n;
  }
  double r = Napi::Number(env.raw(), result).DoubleValue();
  if (r >= 0) return static_cast<size_t>(r);
  thrown->threw = true;
  thrown->value = Value(loop.Get("error"));
  (void)loop.Set("error", e.Undefined());
  return static_cast<size_t>(-r);
}

// JS thread. Without the loop (no helper, or no memory): one call at a time,
// value(i) making call i's value, stopping as the loop does: at a stop slot
// of its own, read before each call (*stopped: whether a callback set it,
// the last one included), and once budget_ms have passed (the clock read at
// the calls' pace, ClockPacer).
template <typename ValueAt>
size_t CallEachDirectly(Env env, const Value& fn, bool leading_null, size_t n,
                        ValueAt value, double budget_ms, double** stop_slot,
                        CallOutcome* thrown, bool* stopped = nullptr) {
  const auto start = std::chrono::steady_clock::now();
  ClockPacer pacer(start, start + std::chrono::duration_cast<ClockPacer::Clock::duration>(
                                      std::chrono::duration<double, std::milli>(budget_ms)));
  double stop = 0;
  *stop_slot = &stop;
  size_t i = 0;
  while (i < n && stop == 0) {
    const Value args[2] = {Value::Null(env), value(i)};
    CallOutcome o = CallFunction(env, fn, leading_null ? args : args + 1, leading_null ? 2 : 1);
    ++i;
    if (o.threw) {
      *thrown = o;
      break;
    }
    if (i < n && pacer.OutOfTime(i)) break;
  }
  *stop_slot = nullptr;
  if (stopped != nullptr) *stopped = stop != 0;
  return i;
}

// JS thread. What both loops need before they run: their compiled loop
// (cached in `cache`) and the environment's Float64Array of at least
// `length` elements (ForEachValues). `array` stays null when either is
// missing (no helper, or no memory): the caller then calls one by one.
struct LoopSetup {
  Napi::Function loop;
  napi_value array = nullptr;
  double* slots = nullptr;
  bool pooled = false;
};
inline LoopSetup SetUpLoop(Env env, EnvData& data, Napi::FunctionReference* cache,
                           size_t length) {
  LoopSetup s;
#if defined(ANYTHREAD_TEST_NO_JS_LOOP)
  // Tests only (tests/native-fallback.node.test.ts): no loop, so that every
  // run takes the direct calls.
  (void)data;
  (void)cache;
  (void)length;
  return s;
#endif
  s.loop = CompiledHelper(env, cache, kForEachSource);
  if (s.loop.IsEmpty()) return s;
  s.array = ForEachValues(env.raw(), data, length, &s.slots, &s.pooled);
  Napi::Env e = env.napi();
  if (s.array == nullptr && e.IsExceptionPending()) e.GetAndClearPendingException();
  return s;
}

}  // namespace native_detail

// JS thread. The numeric fast path: one Node-API call per batch; the loop
// runs in JS (kForEachSource). Slot n of the Float64Array is the stop flag
// the core sets (through *stop_slot) when a callback aborts. The array is
// the environment's, reused (ForEachValues).
inline size_t CallForEach(Env env, const Value& fn, bool leading_null,
                          const double* values, size_t n, double budget_ms,
                          double** stop_slot, CallOutcome* thrown) {
  auto& data = native_detail::DataFor(env.raw());
  native_detail::LoopSetup s = native_detail::SetUpLoop(env, data, &data.for_each, n + 1);
  if (s.array == nullptr) {
    return native_detail::CallEachDirectly(
        env, fn, leading_null, n, [&](size_t i) { return Value::Number(env, values[i]); },
        budget_ms, stop_slot, thrown);
  }
  std::memcpy(s.slots, values, (n + 1) * sizeof(double));
  const size_t count = native_detail::RunForEach(env, s.loop, fn, s.array, n, leading_null,
                                                 budget_ms, s.array, n, s.slots + n, stop_slot,
                                                 thrown);
  if (s.pooled) data.scratch_busy = false;
  return count;
}

// JS thread. The value loop: the same loop over an Array of the values
// (MakeArray), two Node-API calls for a whole run instead of one per item.
// The stop slot is element 0 of the environment's Float64Array.
namespace native_detail {
// The value loop; *stopped tells whether a callback set the stop slot, the
// last one included (the loop itself notices only before its next call).
inline size_t ValueLoop(Env env, const Value& fn, bool leading_null, const Value* values,
                        size_t n, double budget_ms, double** stop_slot, CallOutcome* thrown,
                        bool* stopped) {
  *stopped = false;
  auto& data = DataFor(env.raw());
  LoopSetup s = SetUpLoop(env, data, &data.for_each_value, 1);
  if (s.array == nullptr) {
    return CallEachDirectly(env, fn, leading_null, n, [&](size_t i) { return values[i]; },
                            budget_ms, stop_slot, thrown, stopped);
  }
  s.slots[0] = 0;
  const Value array = MakeArray(env, values, n);
  const size_t count = RunForEach(env, s.loop, fn, array.napi(), n, leading_null, budget_ms,
                                  s.array, 0, s.slots, stop_slot, thrown);
  *stopped = s.slots[0] != 0;
  if (s.pooled) data.scratch_busy = false;
  return count;
}
}  // namespace native_detail

inline size_t CallForEachValue(Env env, const Value& fn, bool leading_null,
                               const Value* values, size_t n, double budget_ms,
                               double** stop_slot, CallOutcome* thrown) {
  bool stopped;
  return native_detail::ValueLoop(env, fn, leading_null, values, n, budget_ms, stop_slot,
                                  thrown, &stopped);
}

namespace native_detail {
// The string loop's chunks: at most this many strings, or what about
// kStringChunkTimeMs makes (the clock read at the making's pace, as
// ClockPacer does, or sooner once kStringCheckBytes have been made since
// the last read).
constexpr size_t kStringChunk = 256;
constexpr double kStringChunkTimeMs = 1.0;
constexpr size_t kStringCheckBytes = 64 * 1024;
}  // namespace native_detail

// JS thread. The string loop: natively the strings are made here, a chunk
// at a time, and each chunk goes through the value loop. The budget covers
// the making: made all at once, a run of long strings (16 KiB each took
// some 100 us apiece on the bench VM) held the JS thread for hundreds of ms
// before its first callback, past any budget. Now the loop stops between
// chunks once budget_ms have passed (as the loop itself does), and at most
// a chunk is made and not delivered.
inline size_t CallForEachString(Env env, const Value& fn, bool leading_null,
                                const std::string_view* strings, size_t n, double budget_ms,
                                double** stop_slot, CallOutcome* thrown) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  std::vector<Value> values;
  values.reserve(std::min(n, native_detail::kStringChunk));
  size_t done = 0;
  while (done < n) {
    if (done > 0 && ms_since(start) > budget_ms) break;
    values.clear();
    const size_t end = std::min(n, done + native_detail::kStringChunk);
    const auto chunk_start = Clock::now();
    ClockPacer pacer(chunk_start,
                     chunk_start + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double, std::milli>(
                                           native_detail::kStringChunkTimeMs)));
    size_t bytes = 0;  // Made since the clock was last read.
    for (size_t i = done; i < end; ++i) {
      if (i > done && (pacer.Due(i - done) || bytes >= native_detail::kStringCheckBytes)) {
        bytes = 0;
        if (pacer.Expired(i - done)) break;
      }
      values.push_back(Value::String(env, strings[i]));
      bytes += strings[i].size();
    }
    // What is left of the budget, and at least the chunk's making time: the
    // strings made are then all delivered if their callbacks are fast,
    // where a budget spent in the making would have delivered one and left
    // the rest to be made again. Slow callbacks stop about a call past it.
    const double left =
        std::max(budget_ms - ms_since(start), native_detail::kStringChunkTimeMs);
    bool stopped;
    const size_t count = native_detail::ValueLoop(env, fn, leading_null, values.data(),
                                                  values.size(), left, stop_slot, thrown,
                                                  &stopped);
    done += count;
    if (count < values.size() || stopped || thrown->threw) break;
  }
  return done;
}

// JS thread. An Array of the first *made of n strings: natively made here
// (one Node-API call each), then MakeArray. With a budget it stops once
// budget_ms have passed (the clock read at the making's pace, ClockPacer,
// and after every kStringCheckBytes), having made at least one.
inline Value MakeStringArray(Env env, const std::string_view* strings, size_t n,
                             double budget_ms, size_t* made) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  ClockPacer pacer(start, start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double, std::milli>(budget_ms)));
  std::vector<Value> values;
  values.reserve(n);
  size_t bytes = 0;  // Made since the clock was last read.
  for (size_t i = 0; i < n; ++i) {
    if (budget_ms > 0 && i > 0 && (pacer.Due(i) || bytes >= native_detail::kStringCheckBytes)) {
      bytes = 0;
      if (pacer.Expired(i)) break;
    }
    values.push_back(Value::String(env, strings[i]));
    bytes += strings[i].size();
  }
  *made = values.size();
  return MakeArray(env, values.data(), values.size());
}

// JS thread. Calls fn(env, fulfilled, value) once `thenable` settles.
inline void AttachThen(Env env, const Value& thenable,
                       std::function<void(Env, bool, const Value&)> fn) {
  Napi::Env e = env.napi();
  struct Once {
    bool done = false;
    std::function<void(Env, bool, const Value&)> fn;
    void Settle(Env env, bool fulfilled, const Value& v) {
      if (done) return;
      done = true;
      auto f = std::move(fn);
      f(env, fulfilled, v);
    }
  };
  auto once = std::make_shared<Once>();
  once->fn = std::move(fn);
  Napi::Object object = thenable.napi().As<Napi::Object>();
  Napi::Value then = object.Get("then");
  if (e.IsExceptionPending()) {
    once->Settle(env, false, Value(e.GetAndClearPendingException().Value()));
    return;
  }
  auto handler = [&](bool fulfilled) {
    return Napi::Function::New(e, [once, fulfilled](const Napi::CallbackInfo& info) {
      Napi::Value v = info.Length() > 0 ? info[0] : info.Env().Undefined();
      once->Settle(Env(info.Env()), fulfilled, Value(v));
    });
  };
  napi_value argv[2] = {handler(true), handler(false)};
  napi_value ignored;
  if (napi_call_function(env.raw(), object, then, 2, argv, &ignored) != napi_ok &&
      e.IsExceptionPending()) {
    once->Settle(env, false, Value(e.GetAndClearPendingException().Value()));
  }
}

// A pending JS Promise and the right to settle it (JS thread only).
class PromiseResolver {
 public:
  static PromiseResolver Create(Env env, Value* promise) {
    PromiseResolver r;
    napi_value p = nullptr;
    napi_create_promise(env.raw(), &r.deferred_, &p);
    *promise = Value(Napi::Value(env.raw(), p));
    return r;
  }
  PromiseResolver(PromiseResolver&& o) noexcept : deferred_(o.deferred_) {
    o.deferred_ = nullptr;
  }
  PromiseResolver& operator=(PromiseResolver&& o) noexcept {
    std::swap(deferred_, o.deferred_);
    return *this;
  }
  void Resolve(Env env, const Value& v) {
    if (deferred_) napi_resolve_deferred(env.raw(), deferred_, v.napi());
    deferred_ = nullptr;
  }
  void Reject(Env env, const Value& v) {
    if (deferred_) napi_reject_deferred(env.raw(), deferred_, v.napi());
    deferred_ = nullptr;
  }
  void Abandon() { deferred_ = nullptr; }  // Node frees it with the env.

 private:
  PromiseResolver() = default;
  napi_deferred deferred_ = nullptr;
};

// JS thread. Makes an error pending in the current call; returns undefined
// for the exported function to return.
inline Value ThrowError(Env env, ErrorKind kind, std::string_view code,
                        std::string_view message) {
  Value error = MakeError(env, kind, code, message);
  napi_throw(env.raw(), error.napi());
  return Value::Undefined(env);
}

// JS thread. Makes `value` itself the pending exception.
inline Value ThrowValue(Env env, const Value& value) {
  napi_throw(env.raw(), value.napi());
  return Value::Undefined(env);
}

inline void ReportUncaught(Env env, const Value& error) {
  // Node: emits 'uncaughtException' (exit code 1 when unhandled). While the
  // environment terminates this fails quietly: nothing can handle it then.
  napi_fatal_exception(env.raw(), error.napi());
}

// The doorbell: one napi_threadsafe_function per core object, with an
// unbounded queue, used only to wake the JS thread (nodejs/node#58723: Node's
// bounded queue loses wake-ups; ours is bounded, Node's never is). Rings are
// coalesced by the core, so this costs one Node-API call per batch.
class BackendDoorbell final : public Doorbell {
 public:
  // JS thread. Returns null on failure. `fn`, if given, is the JS function
  // the core calls: Node's threadsafe function then holds it and hands it
  // to every OnNapiCall (its dispatch reads it from its own reference
  // anyway), which spares the drain a reference lookup before the first
  // call of each wake-up (about 0.2 us after an idle spell on our VMs;
  // bench/NOTES.md). Node lets go of it once the doorbell is closed.
  // Node calls Target's drain by name (OnNapiCall<Target>), not through
  // DrainTarget's vtable, so that the drain can be inlined into the wake-up:
  // an idle call's path on the JS thread is then one function.
  template <typename Target>
  static std::unique_ptr<BackendDoorbell> Create(
      Env env, std::shared_ptr<Target> target, bool weak,
      const Value* fn = nullptr) {
    static_assert(std::is_base_of<DrainTarget, Target>::value, "a DrainTarget");
    auto* ctx = new Context{std::move(target), false};
    std::unique_ptr<BackendDoorbell> bell(new BackendDoorbell(env, ctx));
    napi_value name;
    napi_create_string_utf8(env.raw(), "anythread", NAPI_AUTO_LENGTH, &name);
    napi_status status = napi_create_threadsafe_function(
        env.raw(), fn ? static_cast<napi_value>(fn->napi()) : nullptr,
        nullptr, name, /*max_queue_size=*/0,
        /*initial_thread_count=*/1, ctx, &OnNapiFinalize, ctx, &OnNapiCall<Target>,
        &bell->tsfn_);
    if (status != napi_ok) {
      delete ctx;
      return nullptr;
    }
    ctx->tsfn = bell->tsfn_;
    if (weak) bell->Unref();
    return bell;
  }

  // Any thread, never after Close() (the core makes sure). A
  // ring from inside this doorbell's own drain (the drain yielding with
  // work left, or a callback calling again) is only noted: OnNapiCall turns
  // it into a setImmediate once the drain is over. Ringing Node's
  // threadsafe function there would not yield: Node dispatches up to 1000
  // queued calls per wake-up in one go, so timers would wait for the flood.
  ANYTHREAD_ALWAYS_INLINE void Ring() override {
    if (std::this_thread::get_id() == js_thread_ && ctx_->in_drain) {
      ctx_->ring_after_drain = true;
      return;
    }
    napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
  }

  // JS thread.
  void Ref() {
    if (!closed_ && !ctx_->torn_down) {
      napi_ref_threadsafe_function(env_.raw(), tsfn_);
    }
  }
  void Unref() {
    if (!closed_ && !ctx_->torn_down) {
      napi_unref_threadsafe_function(env_.raw(), tsfn_);
    }
  }
  // JS thread, once the core has finalized (no Ring() can follow).
  void Close() {
    if (closed_) return;
    closed_ = true;
    if (!ctx_->torn_down) {
      ctx_->closed = true;
      napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
    }
  }

 private:
  struct Context {
    std::shared_ptr<DrainTarget> target;  // Keeps the core state alive.
    bool torn_down;  // Node finalized the tsfn before we closed it.
    // JS thread only.
    napi_threadsafe_function tsfn = nullptr;
    bool closed = false;  // Released by Close().
    bool in_drain = false;
    bool ring_after_drain = false;
  };

  BackendDoorbell(Env env, Context* ctx)
      : env_(env), ctx_(ctx), js_thread_(std::this_thread::get_id()) {}

  template <typename Target>
  static void OnNapiCall(napi_env env, napi_value js_fn, void* context, void*) {
    if (env == nullptr) return;  // Draining Node's queue at close: nothing.
    // No handle scope of our own: Node calls this inside one (and a
    // callback scope), and on an idle wake-up every step before the JS call
    // adds to the latency.
    // ctx, and the target it holds, live until Node finalizes the
    // threadsafe function: after this returns (a close from inside the
    // drain takes effect on a later turn), or at the environment's
    // teardown, when no JS runs. So no reference of our own: an atomic
    // count on a cold line is one more step before the first call.
    auto* ctx = static_cast<Context*>(context);
    Target* target = static_cast<Target*>(ctx->target.get());
    ctx->in_drain = true;
    if (js_fn != nullptr) {
      const Value fn{Napi::Value(env, js_fn)};
      target->Target::OnDoorbell(Env(env), &fn);
    } else {
      target->Target::OnDoorbell(Env(env), nullptr);
    }
    // The core finalized in that drain (and closed this doorbell, so Node
    // may free ctx once this returns) or it still needs a drain.
    ctx->in_drain = false;
    if (!ctx->ring_after_drain) return;
    ctx->ring_after_drain = false;
    if (!DrainOnImmediate(env, ctx->target) && !ctx->closed) {
      napi_call_threadsafe_function(ctx->tsfn, nullptr, napi_tsfn_nonblocking);
    }
  }

  // JS thread. The next drain in a later turn of the event loop: Node runs
  // immediates after polling, and timers first thing in the next turn.
  static bool DrainOnImmediate(napi_env env, std::shared_ptr<DrainTarget> target) {
    Napi::Env e(env);
    Napi::Value set_immediate = e.Global().Get("setImmediate");
    if (e.IsExceptionPending()) e.GetAndClearPendingException();
    if (set_immediate.IsEmpty() || !set_immediate.IsFunction()) return false;
    // The function lets go of the core state once it has run: it lives on
    // until the GC collects it, and the state holds the queue's rings (tens
    // of MB after a flood), which would outlive the function's finalization
    // as long.
    Napi::Function drain = Napi::Function::New(
        e, [target = std::move(target)](const Napi::CallbackInfo& info) mutable {
          std::shared_ptr<DrainTarget> once = std::move(target);
          if (once) once->OnDoorbell(Env(info.Env()), nullptr);
        }, "anythreadDrain");
    if (drain.IsEmpty()) return false;
    napi_value argv[1] = {drain};
    napi_value ignored;
    if (napi_call_function(env, e.Undefined(), set_immediate, 1, argv, &ignored) != napi_ok) {
      if (e.IsExceptionPending()) e.GetAndClearPendingException();
      return false;
    }
    return true;
  }
  // Node calls this after our Close() or, if we never closed, when the
  // environment is torn down: then no JS may run and the core must finalize.
  static void OnNapiFinalize(napi_env, void* data, void*) {
    auto* ctx = static_cast<Context*>(data);
    ctx->torn_down = true;
    std::shared_ptr<DrainTarget> target = std::move(ctx->target);
    target->OnEnvTeardown();  // No-op when the core already finalized.
    delete ctx;
  }

  Env env_;
  Context* ctx_;  // Owned by Node's tsfn; freed in OnNapiFinalize.
  const std::thread::id js_thread_;
  napi_threadsafe_function tsfn_ = nullptr;
  bool closed_ = false;  // JS thread only.
};

using ExportedFunction = Value (*)(const CallbackInfo&);
using ClassConstructor = std::unique_ptr<ObjectBase> (*)(const CallbackInfo&);
using ClassMethod = Value (*)(ObjectBase&, const CallbackInfo&);
struct MethodSpec {
  const char* name;
  ClassMethod fn;
};

namespace native_detail {

inline Napi::Value CallExported(const Napi::CallbackInfo& info) {
  auto fn = reinterpret_cast<ExportedFunction>(info.Data());
  Value result = fn(CallbackInfo(info));
  if (info.Env().IsExceptionPending()) return info.Env().Undefined();
  return result.IsEmpty() ? info.Env().Undefined() : result.napi();
}

struct ClassSpec {
  std::string name;
  ClassConstructor ctor;
  std::vector<MethodSpec> methods;
};

inline napi_value Construct(napi_env env, napi_callback_info raw) {
  Napi::CallbackInfo info(env, raw);
  auto* spec = static_cast<ClassSpec*>(info.Data());
  if (info.NewTarget().IsEmpty() || info.NewTarget().IsUndefined()) {
    ThrowError(Env(env), ErrorKind::kTypeError, "InvalidArg",
               "Class constructor " + spec->name + " cannot be invoked without 'new'");
    return nullptr;
  }
  std::unique_ptr<ObjectBase> object = spec->ctor(CallbackInfo(info));
  if (!object || info.Env().IsExceptionPending()) return nullptr;
  napi_status status = napi_wrap(
      env, info.This(), object.get(),
      [](napi_env, void* data, void*) { delete static_cast<ObjectBase*>(data); },
      nullptr, nullptr);
  if (status == napi_ok) object.release();
  return info.This();
}

inline napi_value CallMethod(napi_env env, napi_callback_info raw) {
  Napi::CallbackInfo info(env, raw);
  auto* method = static_cast<MethodSpec*>(info.Data());
  void* object = nullptr;
  if (napi_unwrap(env, info.This(), &object) != napi_ok || object == nullptr) {
    Napi::Env e(env);
    if (e.IsExceptionPending()) e.GetAndClearPendingException();
    ThrowError(Env(env), ErrorKind::kTypeError, "InvalidArg",
               std::string("Illegal invocation of ") + method->name);
    return nullptr;
  }
  Value result = method->fn(*static_cast<ObjectBase*>(object), CallbackInfo(info));
  if (info.Env().IsExceptionPending()) return nullptr;
  return result.IsEmpty() ? info.Env().Undefined() : result.napi();
}

}  // namespace native_detail

// JS thread. A JS function that calls `fn`.
inline Value MakeFunction(Env env, const char* name, ExportedFunction fn) {
  return Napi::Function::New(env.napi(), &native_detail::CallExported, name,
                             reinterpret_cast<void*>(fn));
}

class ModuleBuilder {
 public:
  ModuleBuilder(Napi::Env env, Napi::Object exports)
      : env_(env), exports_(exports) {}
  Env env() const { return Env(env_); }

  void Export(const char* name, ExportedFunction fn) {
    (void)exports_.Set(name, MakeFunction(Env(env_), name, fn).napi());
  }

  // A JS class: `new name(...)` runs `ctor`; each method runs on the C++
  // object `ctor` made.
  void ExportClass(const char* name, ClassConstructor ctor,
                   std::initializer_list<MethodSpec> methods) {
    // Lives as long as the class may be called: leaked with the process.
    auto* spec = new native_detail::ClassSpec{name, ctor, methods};
    std::vector<napi_property_descriptor> props;
    for (auto& m : spec->methods) {
      props.push_back({m.name, nullptr, &native_detail::CallMethod, nullptr,
                       nullptr, nullptr,
                       static_cast<napi_property_attributes>(napi_writable |
                                                             napi_configurable),
                       &m});
    }
    // Methods go on the prototype as plain functions, not through
    // napi_define_class: V8 would check the receiver itself and throw a
    // TypeError without a code; CallMethod checks it and says InvalidArg.
    napi_value cls, prototype;
    napi_define_class(env_, name, NAPI_AUTO_LENGTH, &native_detail::Construct,
                      spec, 0, nullptr, &cls);
    napi_get_named_property(env_, cls, "prototype", &prototype);
    napi_define_properties(env_, prototype, props.size(), props.data());
    (void)exports_.Set(name, Napi::Value(env_, cls));
  }

 private:
  Napi::Env env_;
  Napi::Object exports_;
};

}  // namespace anythread

// Declares the module's exports once for both backends:
//   ANYTHREAD_MODULE(m) { m.Export("name", &Fn); }
#define ANYTHREAD_MODULE(builder)                                          \
  static void AnythreadInitModule(::anythread::ModuleBuilder& builder);    \
  static Napi::Object AnythreadNapiInit(Napi::Env env,                     \
                                        Napi::Object exports) {            \
    ::anythread::ModuleBuilder module_builder(env, exports);               \
    AnythreadInitModule(module_builder);                                   \
    return exports;                                                        \
  }                                                                        \
  NODE_API_MODULE(anythread_module, AnythreadNapiInit)                     \
  static void AnythreadInitModule(::anythread::ModuleBuilder& builder)

#endif  // ANYTHREAD_NATIVE_BACKEND_IMPL_HPP_
