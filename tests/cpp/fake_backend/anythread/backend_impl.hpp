// A fake JS engine for the core's unit tests: values are C++ objects, the
// "JS thread" is whichever thread made the FakeRuntime and runs its loop,
// and every JS-thread-only operation asserts it runs there. It lets the
// GoogleTest suite (and ThreadSanitizer) exercise ThreadsafeFunction, Future,
// CallSync, Deferred and SharedValue exactly as the real backends use them.
#ifndef ANYTHREAD_FAKE_BACKEND_IMPL_HPP_
#define ANYTHREAD_FAKE_BACKEND_IMPL_HPP_

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "anythread/clock_pacer.hpp"

namespace anythread {

// The numeric fast path pays off from this many items on: as natively, so the tests cover both delivery paths.
constexpr size_t kBackendMinFastPathRun = 4;

class Value;
struct CallOutcome;

// The event loop of the fake engine. Tasks posted from any thread run on the
// JS thread in RunFor / RunUntil. `refs` counts what holds the loop.
class FakeRuntime {
 public:
  FakeRuntime() : js_thread_(std::this_thread::get_id()) {}
  ~FakeRuntime() { Teardown(); }

  bool OnJsThread() const { return std::this_thread::get_id() == js_thread_; }

  void Post(std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    cv_.notify_all();
  }

  // JS thread. Runs tasks until `done()` or the timeout; returns done().
  template <typename Pred>
  bool RunUntil(Pred done, std::chrono::milliseconds timeout =
                               std::chrono::milliseconds(5000)) {
    assert(OnJsThread());
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        // Short slices: `done` may turn true on another thread without a
        // task being posted (a worker finishing).
        auto slice = std::min(deadline, std::chrono::steady_clock::now() +
                                            std::chrono::milliseconds(2));
        if (!cv_.wait_until(lock, slice, [&] { return !tasks_.empty(); })) {
          if (std::chrono::steady_clock::now() >= deadline) return done();
          continue;
        }
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
    return true;
  }
  // JS thread. Runs the first queued task, if any (one wake-up).
  bool RunOne() {
    std::function<void()> task;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (tasks_.empty()) return false;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
    return true;
  }
  // JS thread. Runs what is queued now (and what those tasks queue).
  void RunPending() {
    RunUntil([&] {
      std::lock_guard<std::mutex> lock(mutex_);
      return tasks_.empty();
    });
  }

  // JS thread. The environment goes away: teardown hooks run, tasks drop.
  void Teardown() {
    std::vector<std::function<void()>> hooks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      hooks.swap(teardown_hooks_);
      torn_down_ = true;
    }
    for (auto& h : hooks) h();
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      dropped.swap(tasks_);
    }
    for (auto& slot : slots) slot.reset();
  }
  void AddTeardownHook(std::function<void()> hook) {
    std::lock_guard<std::mutex> lock(mutex_);
    teardown_hooks_.push_back(std::move(hook));
  }

  std::atomic<int> refs{0};          // Strong doorbells + held task runners.
  std::atomic<int> live_references{0};
  std::vector<std::shared_ptr<void>> slots = std::vector<std::shared_ptr<void>>(4);
  std::vector<std::string> uncaught;  // DescribeThrown of each uncaught value.
  std::vector<std::shared_ptr<const void>> uncaught_values;
  std::shared_ptr<const void> pending_exception;
  size_t value_loops = 0;   // CallForEachValue calls (JS thread).
  size_t string_loops = 0;  // CallForEachString calls (JS thread).
  size_t string_arrays = 0;  // MakeStringArray calls (JS thread).

 private:
  const std::thread::id js_thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::function<void()>> teardown_hooks_;
  bool torn_down_ = false;
};

class Env {
 public:
  Env() = default;
  Env(FakeRuntime* rt) : rt_(rt) {}  // NOLINT: implicit
  FakeRuntime* rt() const { return rt_; }

 private:
  FakeRuntime* rt_ = nullptr;
};

struct FakeObject;
struct FakePromise;
using FakeFunction = std::function<CallOutcome(Env, const std::vector<Value>&)>;

// A JS value: a small immutable tree, shared by pointer so identity exists.
struct FakeData {
  enum class Kind { kUndefined, kNull, kBool, kNumber, kString, kObject,
                    kArray, kFunction, kPromise };
  Kind kind = Kind::kUndefined;
  bool b = false;
  double n = 0;
  std::string s;
  std::map<std::string, std::shared_ptr<FakeData>> props;
  std::vector<std::shared_ptr<FakeData>> items;
  FakeFunction fn;
  std::shared_ptr<FakePromise> promise;
};

class Value {
 public:
  using Kind = FakeData::Kind;
  Value() : d_(std::make_shared<FakeData>()) {}
  explicit Value(std::shared_ptr<FakeData> d) : d_(std::move(d)) {}

  static Value Make(Kind k) {
    auto d = std::make_shared<FakeData>();
    d->kind = k;
    return Value(d);
  }
  static Value Undefined(Env) { return Make(Kind::kUndefined); }
  static Value Null(Env) { return Make(Kind::kNull); }
  static Value Boolean(Env, bool b) {
    Value v = Make(Kind::kBool);
    v.d_->b = b;
    return v;
  }
  static Value Number(Env, double n) {
    Value v = Make(Kind::kNumber);
    v.d_->n = n;
    return v;
  }
  static Value String(Env, std::string_view s) {
    Value v = Make(Kind::kString);
    v.d_->s = std::string(s);
    return v;
  }
  static Value Array(Env) { return Make(Kind::kArray); }
  static Value Object(Env) { return Make(Kind::kObject); }
  static Value Function(FakeFunction fn) {
    Value v = Make(Kind::kFunction);
    v.d_->fn = std::move(fn);
    return v;
  }

  bool IsEmpty() const { return false; }
  bool IsUndefined() const { return d_->kind == Kind::kUndefined; }
  bool IsNull() const { return d_->kind == Kind::kNull; }
  bool IsBoolean() const { return d_->kind == Kind::kBool; }
  bool IsNumber() const { return d_->kind == Kind::kNumber; }
  bool IsString() const { return d_->kind == Kind::kString; }
  bool IsFunction() const { return d_->kind == Kind::kFunction; }
  bool IsObject() const {
    return d_->kind == Kind::kObject || d_->kind == Kind::kArray ||
           d_->kind == Kind::kFunction || d_->kind == Kind::kPromise;
  }
  bool IsArray() const { return d_->kind == Kind::kArray; }

  bool AsBool() const { return d_->b; }
  double AsNumber() const { return d_->n; }
  std::string AsString() const { return d_->s; }

  Value Get(const char* key) const {
    if (d_->kind == Kind::kPromise && std::string(key) == "then") {
      return Function(nullptr);  // Only its presence matters (IsThenable).
    }
    auto it = d_->props.find(key);
    return it == d_->props.end() ? Value() : Value(it->second);
  }
  Value Get(uint32_t i) const {
    return i < d_->items.size() ? Value(d_->items[i]) : Value();
  }
  void Set(const char* key, const Value& v) { d_->props[key] = v.d_; }
  void Set(uint32_t i, const Value& v) {
    if (d_->items.size() <= i) d_->items.resize(i + 1, std::make_shared<FakeData>());
    d_->items[i] = v.d_;
  }
  uint32_t Length() const { return static_cast<uint32_t>(d_->items.size()); }

  bool SameAs(const Value& o) const { return d_ == o.d_; }
  const std::shared_ptr<FakeData>& data() const { return d_; }

 private:
  std::shared_ptr<FakeData> d_;
};

struct CallOutcome {
  bool threw = false;
  Value value;
};

// The thread a FakeRuntime belongs to is recorded per reference, so a
// release on the wrong thread fails the test (the real engines would crash).
class Reference {
 public:
  Reference() = default;
  static Reference Make(const Value& v) {
    Reference r;
    r.value_ = std::make_unique<Value>(v);
    r.owner_ = std::this_thread::get_id();
    ++Live();
    return r;
  }
  Reference(Reference&& o) noexcept
      : value_(std::move(o.value_)), owner_(o.owner_) {}
  Reference& operator=(Reference&& o) noexcept {
    Reset();
    value_ = std::move(o.value_);
    owner_ = o.owner_;
    return *this;
  }
  ~Reference() { Reset(); }
  Value Get(Env) const {
    assert(std::this_thread::get_id() == owner_);
    return value_ ? *value_ : Value();
  }
  void Reset() {
    if (!value_) return;
    assert(std::this_thread::get_id() == owner_ && "released off the JS thread");
    if (std::this_thread::get_id() != owner_) ++WrongThread();
    value_.reset();
    --Live();
  }
  void Abandon() {
    if (value_) --Live();
    (void)value_.release();
  }
  static std::atomic<int>& Live() {
    static std::atomic<int> live{0};
    return live;
  }
  static std::atomic<int>& WrongThread() {
    static std::atomic<int> n{0};
    return n;
  }

 private:
  std::unique_ptr<Value> value_;
  std::thread::id owner_;
};

class CallbackInfo {
 public:
  CallbackInfo(Env env, std::vector<Value> args) : env_(env), args_(std::move(args)) {}
  Env env() const { return env_; }
  size_t Length() const { return args_.size(); }
  Value operator[](size_t i) const { return i < args_.size() ? args_[i] : Value(); }

 private:
  Env env_;
  std::vector<Value> args_;
};

inline CallOutcome CallFunction(Env env, const Value& fn,
                                const std::vector<Value>& args) {
  assert(env.rt()->OnJsThread());
  if (!fn.IsFunction() || !fn.data()->fn) {
    return {true, Value::String(env, "not a function")};
  }
  return fn.data()->fn(env, args);
}

inline CallOutcome CallFunction(Env env, const Value& fn, const Value* args,
                                size_t argc) {
  return CallFunction(env, fn, std::vector<Value>(args, args + argc));
}

// An array of numbers whose string member names the typed array it stands
// for ("Uint8Array", ...), so that tests can check the type chosen.
inline Value MakeTypedArray(Env env, TypedArrayType type, const void* values, size_t n) {
  static const char* const kNames[] = {"Int8Array",  "Uint8Array",  "Int16Array",
                                       "Uint16Array", "Int32Array", "Uint32Array",
                                       "Float32Array", "Float64Array"};
  Value a = Value::Array(env);
  a.data()->s = kNames[static_cast<size_t>(type)];
  for (size_t i = 0; i < n; ++i) {
    double v = 0;
    switch (type) {
      case TypedArrayType::kInt8: v = static_cast<const int8_t*>(values)[i]; break;
      case TypedArrayType::kUint8: v = static_cast<const uint8_t*>(values)[i]; break;
      case TypedArrayType::kInt16: v = static_cast<const int16_t*>(values)[i]; break;
      case TypedArrayType::kUint16: v = static_cast<const uint16_t*>(values)[i]; break;
      case TypedArrayType::kInt32: v = static_cast<const int32_t*>(values)[i]; break;
      case TypedArrayType::kUint32: v = static_cast<const uint32_t*>(values)[i]; break;
      case TypedArrayType::kFloat32: v = static_cast<const float*>(values)[i]; break;
      case TypedArrayType::kFloat64: v = static_cast<const double*>(values)[i]; break;
    }
    a.Set(static_cast<uint32_t>(i), Value::Number(env, v));
  }
  return a;
}

inline Value MakeNumberArray(Env env, const double* values, size_t n) {
  Value a = Value::Array(env);
  for (size_t i = 0; i < n; ++i) a.Set(static_cast<uint32_t>(i), Value::Number(env, values[i]));
  return a;
}

inline Value MakeArray(Env env, const Value* values, size_t n) {
  Value a = Value::Array(env);
  for (size_t i = 0; i < n; ++i) a.Set(static_cast<uint32_t>(i), values[i]);
  return a;
}

inline Value LendTypedArray(Env env, TypedArrayType type, const void* values, size_t n) {
  return MakeTypedArray(env, type, values, n);
}

// Like detaching: the array reads as empty from then on.
inline void EndLend(Env, const Value& array) { array.data()->items.clear(); }

namespace fake_detail {
inline ClockPacer::Clock::duration Ms(double ms) {
  return std::chrono::duration_cast<ClockPacer::Clock::duration>(
      std::chrono::duration<double, std::milli>(ms));
}

// Like the real backends' loop: reads the stop slot before each call, and
// stops once `budget_ms` have passed (the clock read at the calls' pace, as
// ClockPacer does); value(i) is call i's.
template <typename ValueAt>
size_t ForEach(Env env, const Value& fn, bool leading_null, size_t n, ValueAt value,
               const double& stop, double budget_ms, CallOutcome* thrown) {
  const auto t0 = std::chrono::steady_clock::now();
  ClockPacer pacer(t0, t0 + Ms(budget_ms));
  for (size_t i = 0; i < n; ++i) {
    if (stop != 0) return i;
    std::vector<Value> args;
    if (leading_null) args.push_back(Value::Null(env));
    args.push_back(value(i));
    CallOutcome o = CallFunction(env, fn, args);
    if (o.threw) {
      *thrown = o;
      return i + 1;
    }
    if (i + 1 < n && pacer.OutOfTime(i + 1)) return i + 1;
  }
  return n;
}
}  // namespace fake_detail

// The stop slot is values[n], as natively.
inline size_t CallForEach(Env env, const Value& fn, bool leading_null,
                          double* values, size_t n, double budget_ms,
                          double** stop_slot, CallOutcome* thrown) {
  *stop_slot = values + n;
  const size_t count = fake_detail::ForEach(
      env, fn, leading_null, n, [&](size_t i) { return Value::Number(env, values[i]); },
      values[n], budget_ms, thrown);
  *stop_slot = nullptr;
  return count;
}

// The value loop; the stop slot is a double of its own, as in wasm.
inline size_t CallForEachValue(Env env, const Value& fn, bool leading_null,
                               const Value* values, size_t n, double budget_ms,
                               double** stop_slot, CallOutcome* thrown) {
  ++env.rt()->value_loops;
  double stop = 0;
  *stop_slot = &stop;
  const size_t count = fake_detail::ForEach(
      env, fn, leading_null, n, [&](size_t i) { return values[i]; }, stop, budget_ms, thrown);
  *stop_slot = nullptr;
  return count;
}

// The string loop, as in wasm: the strings are made by the loop itself.
inline size_t CallForEachString(Env env, const Value& fn, bool leading_null,
                                const std::string_view* strings, size_t n, double budget_ms,
                                double** stop_slot, CallOutcome* thrown) {
  ++env.rt()->string_loops;
  double stop = 0;
  *stop_slot = &stop;
  const size_t count = fake_detail::ForEach(
      env, fn, leading_null, n, [&](size_t i) { return Value::String(env, strings[i]); }, stop,
      budget_ms, thrown);
  *stop_slot = nullptr;
  return count;
}

// An Array of the first *made of n strings, as MakeArray of their Values;
// with a budget, stops as the real backends do (the clock read at the
// making's pace and after every 64 KiB; at least one).
inline Value MakeStringArray(Env env, const std::string_view* strings, size_t n,
                             double budget_ms, size_t* made) {
  ++env.rt()->string_arrays;
  const auto t0 = std::chrono::steady_clock::now();
  ClockPacer pacer(t0, t0 + fake_detail::Ms(budget_ms));
  std::vector<Value> values;
  size_t bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    if (budget_ms > 0 && i > 0 && (pacer.Due(i) || bytes >= 64 * 1024)) {
      bytes = 0;
      if (pacer.Expired(i)) break;
    }
    values.push_back(Value::String(env, strings[i]));
    bytes += strings[i].size();
  }
  *made = values.size();
  return MakeArray(env, values.data(), values.size());
}

inline Value MakeError(Env env, ErrorKind, std::string_view code,
                       std::string_view message) {
  Value e = Value::Object(env);
  e.Set("code", Value::String(env, code));
  e.Set("message", Value::String(env, message));
  return e;
}

inline std::string DescribeThrown(Env, const Value& v) {
  if (v.IsObject() && v.Get("message").IsString()) return v.Get("message").AsString();
  switch (v.data()->kind) {
    case Value::Kind::kUndefined: return "undefined";
    case Value::Kind::kNull: return "null";
    case Value::Kind::kBool: return v.AsBool() ? "true" : "false";
    case Value::Kind::kNumber: return std::to_string(v.AsNumber());
    case Value::Kind::kString: return v.AsString();
    default: return "[object]";
  }
}

inline Value ThrowError(Env env, ErrorKind kind, std::string_view code,
                        std::string_view message) {
  env.rt()->pending_exception = MakeError(env, kind, code, message).data();
  return Value::Undefined(env);
}
inline Value ThrowValue(Env env, const Value& v) {
  env.rt()->pending_exception = v.data();
  return Value::Undefined(env);
}

inline void ReportUncaught(Env env, const Value& error) {
  assert(env.rt()->OnJsThread());
  env.rt()->uncaught.push_back(DescribeThrown(env, error));
  env.rt()->uncaught_values.push_back(error.data());
}

inline std::shared_ptr<void>& EnvSlot(Env env, EnvSlotId id) {
  return env.rt()->slots[static_cast<size_t>(id)];
}

// A fake promise: settled by the test (or a PromiseResolver) on the JS thread.
struct FakePromise {
  bool settled = false;
  bool fulfilled = false;
  Value value;
  std::vector<std::function<void(Env, bool, const Value&)>> then;
  void Settle(Env env, bool ok, const Value& v) {
    if (settled) return;
    settled = true;
    fulfilled = ok;
    value = v;
    auto callbacks = std::move(then);
    for (auto& cb : callbacks) cb(env, ok, v);
  }
};

inline Value MakeFakePromise(std::shared_ptr<FakePromise>* out) {
  Value v = Value::Make(Value::Kind::kPromise);
  v.data()->promise = std::make_shared<FakePromise>();
  if (out) *out = v.data()->promise;
  return v;
}

inline void AttachThen(Env env, const Value& thenable,
                       std::function<void(Env, bool, const Value&)> fn) {
  auto p = thenable.data()->promise;
  if (!p) return fn(env, false, Value::String(env, "not a promise"));
  if (p->settled) return fn(env, p->fulfilled, p->value);
  p->then.push_back(std::move(fn));
}

class PromiseResolver {
 public:
  static PromiseResolver Create(Env, Value* promise) {
    PromiseResolver r;
    *promise = MakeFakePromise(&r.promise_);
    return r;
  }
  void Resolve(Env env, const Value& v) { Settle(env, true, v); }
  void Reject(Env env, const Value& v) { Settle(env, false, v); }
  void Abandon() { promise_.reset(); }

 private:
  void Settle(Env env, bool ok, const Value& v) {
    assert(env.rt()->OnJsThread());
    if (promise_) promise_->Settle(env, ok, v);
    promise_.reset();
  }
  std::shared_ptr<FakePromise> promise_;
};

// Rings post a drain task to the runtime; teardown calls OnEnvTeardown.
// Like Node's threadsafe function, it keeps the function given to Create
// and hands it to every drain (the core then looks up no reference).
class BackendDoorbell final : public Doorbell {
 public:
  static std::unique_ptr<BackendDoorbell> Create(
      Env env, std::shared_ptr<DrainTarget> target, bool weak,
      const Value* fn = nullptr) {
    std::unique_ptr<BackendDoorbell> bell(new BackendDoorbell(env, target));
    if (fn != nullptr) bell->fn_ = std::make_shared<const Value>(*fn);
    std::weak_ptr<DrainTarget> weak_target = target;
    env.rt()->AddTeardownHook([weak_target] {
      if (auto t = weak_target.lock()) t->OnEnvTeardown();
    });
    if (!weak) bell->Ref();
    return bell;
  }
  void Ring() override {
    ++rings;
    std::shared_ptr<DrainTarget> target = target_;
    std::shared_ptr<const Value> fn = fn_;
    Env env = env_;
    env_.rt()->Post([target, fn, env] { target->OnDoorbell(env, fn.get()); });
  }
  void Ref() {
    if (closed_ || refed_) return;
    refed_ = true;
    ++env_.rt()->refs;
  }
  void Unref() {
    if (closed_ || !refed_) return;
    refed_ = false;
    --env_.rt()->refs;
  }
  void Close() {
    Unref();
    closed_ = true;
    target_.reset();
  }
  std::atomic<int> rings{0};

 private:
  BackendDoorbell(Env env, std::shared_ptr<DrainTarget> target)
      : env_(env), target_(std::move(target)) {}
  Env env_;
  std::shared_ptr<DrainTarget> target_;
  std::shared_ptr<const Value> fn_;  // Set in Create, never changed.
  bool refed_ = false;
  bool closed_ = false;
};

using ExportedFunction = Value (*)(const CallbackInfo&);
inline Value MakeFunction(Env, const char*, ExportedFunction) {
  return Value::Function([](Env env, const std::vector<Value>&) {
    return CallOutcome{false, Value::Undefined(env)};
  });
}

}  // namespace anythread

#endif  // ANYTHREAD_FAKE_BACKEND_IMPL_HPP_
