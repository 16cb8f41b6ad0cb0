// Emscripten backend: the JS value layer (embind's emscripten::val) and the
// doorbell (a proxied call to the main runtime thread).
//
// Included only through <anythread/backend.hpp>. Translates; decides nothing.
// JS exceptions must never unwind through wasm frames (the core is built
// without C++ exceptions, so destructors would be skipped): every call into
// user JS goes through a JS try/catch (anythread_glue.js), and exported
// functions report errors by leaving a pending exception that the JS wrapper
// throws after the wasm call has returned.
#ifndef ANYTHREAD_WASM_BACKEND_IMPL_HPP_
#define ANYTHREAD_WASM_BACKEND_IMPL_HPP_

#include <emscripten.h>
#include <emscripten/bind.h>
#include <emscripten/threading.h>
#include <emscripten/val.h>

#include <cstdint>
#include <functional>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// Implemented in JS by the glue (--js-library anythread_glue.js). Main
// runtime thread only.
using anythread_em_val = emscripten::EM_VAL;
extern "C" {
// fn(...values of argv[0..argc)): the result's handle, or ~ the thrown value's.
int anythread_call(anythread_em_val fn, const anythread_em_val* argv, int argc);
anythread_em_val anythread_make_error(int kind, const char* code, const char* message);
void anythread_set_pending(anythread_em_val error);
void anythread_report_uncaught(anythread_em_val error);
void anythread_schedule(void* ctx);      // Run anythread_wasm_wake(ctx) soon.
anythread_em_val anythread_describe(anythread_em_val value);  // A JS string.
// Calls anythread_wasm_settle(ctx, fulfilled, value) once `thenable` settles.
void anythread_then(anythread_em_val thenable, void* ctx);
anythread_em_val anythread_new_promise(void);  // { promise, resolve, reject }
// The numeric fast path's loop (see CallForEach); returns calls made, or
// -(i + 1) when call i threw (then anythread_take_error() has the value).
int anythread_for_each(anythread_em_val fn, const double* values, int n, int leading_null,
                       double budget_ms);
// The value loop (see CallForEachValue): the same over the values of n
// handles, with the stop slot at `stop`.
int anythread_for_each_value(anythread_em_val fn, const anythread_em_val* handles, int n,
                             int leading_null, double budget_ms, const double* stop);
// The string loop (see CallForEachString): n (address, length) pairs.
int anythread_for_each_string(anythread_em_val fn, const uint32_t* spans, int n,
                              int leading_null, double budget_ms, const double* stop);
// An Array of the first *made of the n strings of (address, length) pairs
// (see MakeStringArray).
anythread_em_val anythread_string_array(const uint32_t* spans, int n, double budget_ms,
                                        uint32_t* made);
anythread_em_val anythread_take_error(void);
anythread_em_val anythread_typed_array(int type, const void* values, int n);
// A JS string of the n bytes of UTF-8 at s (invalid sequences become
// U+FFFD, as natively; NUL bytes are characters like any other).
anythread_em_val anythread_string(const char* s, int n);
// An Array of the values of n handles (see MakeArray).
anythread_em_val anythread_make_array(const anythread_em_val* handles, int n);
// An Array of the n doubles at `values` (see MakeNumberArray).
anythread_em_val anythread_number_array(const double* values, int n);
// See LendTypedArray and EndLend.
anythread_em_val anythread_lend_typed_array(int type, const void* values, int n);
void anythread_end_lend(anythread_em_val array);
// A JS function calling the exported function at `fn` (see MakeFunction).
anythread_em_val anythread_make_function(const char* name, void* fn);
void anythread_keep_alive(int delta);    // Node: hold the event loop if > 0.
int anythread_arm(void* word, void* ctx, int creating);  // See BackendDoorbell.
}

namespace anythread {

// The numeric fast path pays off from this many items on: one wasm-to-JS transition beats the several a direct call through embind makes.
constexpr size_t kBackendMinFastPathRun = 1;

class Env {};  // One runtime per module instance: nothing to carry.

class Value {
 public:
  Value() : v_(emscripten::val::undefined()) {}
  Value(emscripten::val v) : v_(std::move(v)) {}  // NOLINT: implicit

  static Value Undefined(Env) { return emscripten::val::undefined(); }
  static Value Null(Env) { return emscripten::val::null(); }
  static Value Boolean(Env, bool b) { return emscripten::val(b); }
  static Value Number(Env, double d) { return emscripten::val(d); }
  // Through the glue (anythread_string), not embind's std::string: that
  // copied the string and read it a byte at a time through a view check
  // each, 60% of the main thread's time for a stream of short strings.
  static Value String(Env, std::string_view s) {
    return emscripten::val::take_ownership(
        anythread_string(s.data(), static_cast<int>(s.size())));
  }
  static Value Array(Env) { return emscripten::val::array(); }
  static Value Object(Env) { return emscripten::val::object(); }

  bool IsEmpty() const { return false; }
  bool IsUndefined() const { return v_.isUndefined(); }
  bool IsNull() const { return v_.isNull(); }
  bool IsBoolean() const { return v_.isTrue() || v_.isFalse(); }
  bool IsNumber() const { return v_.isNumber(); }
  bool IsString() const { return v_.isString(); }
  bool IsFunction() const { return v_.typeOf().as<std::string>() == "function"; }
  bool IsObject() const {
    std::string t = v_.typeOf().as<std::string>();
    return (t == "object" && !v_.isNull()) || t == "function";
  }
  bool IsArray() const {
    return emscripten::val::global("Array").call<bool>("isArray", v_);
  }

  bool AsBool() const { return v_.as<bool>(); }
  double AsNumber() const { return v_.as<double>(); }
  std::string AsString() const { return v_.as<std::string>(); }

  Value Get(const char* key) const { return v_[key]; }
  Value Get(uint32_t index) const { return v_[index]; }
  void Set(const char* key, const Value& value) { v_.set(key, value.v_); }
  void Set(uint32_t index, const Value& value) { v_.set(index, value.v_); }
  uint32_t Length() const { return v_["length"].as<uint32_t>(); }

  const emscripten::val& val() const { return v_; }

 private:
  emscripten::val v_;
};

// Holding an emscripten::val keeps the JS value alive: that is the reference.
class Reference {
 public:
  Reference() = default;
  static Reference Make(const Value& v) {
    Reference r;
    r.value_ = std::make_unique<Value>(v);
    return r;
  }
  Value Get(Env) const { return value_ ? *value_ : Value(); }
  void Reset() { value_.reset(); }
  // Any thread, once the runtime is gone: forget without touching JS.
  void Abandon() { (void)value_.release(); }

 private:
  std::unique_ptr<Value> value_;
};

class CallbackInfo {
 public:
  explicit CallbackInfo(const emscripten::val& args)
      : args_(args), length_(args["length"].as<size_t>()) {}
  Env env() const { return Env(); }
  size_t Length() const { return length_; }
  Value operator[](size_t i) const {
    return i < length_ ? Value(args_[i]) : Value();
  }

 private:
  const emscripten::val& args_;
  size_t length_;
};

struct CallOutcome {
  bool threw = false;
  Value value;  // The result, or the thrown value.
};

// One transition per call: the glue reads the arguments' handles from
// memory (an array built through embind cost one per argument).
inline CallOutcome CallFunction(Env, const Value& fn, const Value* args,
                                size_t argc) {
  SmallBuffer<anythread_em_val, 4> buffer(argc);
  anythread_em_val* handles = buffer.data();
  for (size_t i = 0; i < argc; ++i) handles[i] = args[i].val().as_handle();
  const int r = anythread_call(fn.val().as_handle(), handles, static_cast<int>(argc));
  CallOutcome outcome;
  outcome.threw = r < 0;
  outcome.value = emscripten::val::take_ownership(
      reinterpret_cast<anythread_em_val>(static_cast<uintptr_t>(r < 0 ? ~r : r)));
  return outcome;
}

inline CallOutcome CallFunction(Env env, const Value& fn,
                                const std::vector<Value>& args) {
  return CallFunction(env, fn, args.data(), args.size());
}

inline Value MakeError(Env, ErrorKind kind, std::string_view code,
                       std::string_view message) {
  std::string c(code), m(message);
  return emscripten::val::take_ownership(
      anythread_make_error(static_cast<int>(kind), c.c_str(), m.c_str()));
}

namespace wasm_detail {
// A glue loop's result: the calls made, or -(i + 1) when call i threw (the
// thrown value waits in the glue).
inline size_t LoopResult(int r, CallOutcome* thrown) {
  if (r >= 0) return static_cast<size_t>(r);
  thrown->threw = true;
  thrown->value = emscripten::val::take_ownership(anythread_take_error());
  return static_cast<size_t>(-r);
}
}  // namespace wasm_detail

// Main thread. The numeric fast path: one wasm-to-JS transition per batch;
// JS loops over the values (read from wasm memory) and checks the stop slot,
// values[n], before each call, and the time budget at the calls' pace (ClockPacer).
inline size_t CallForEach(Env, const Value& fn, bool leading_null,
                          double* values, size_t n, double budget_ms,
                          double** stop_slot, CallOutcome* thrown) {
  *stop_slot = values + n;
  int r = anythread_for_each(fn.val().as_handle(), values, static_cast<int>(n),
                             leading_null ? 1 : 0, budget_ms);
  *stop_slot = nullptr;
  return wasm_detail::LoopResult(r, thrown);
}

namespace wasm_detail {
// Main thread. The handles of values[0..n), in a buffer reused from call to
// call (no allocation per batch): the glue reads them all before it calls
// any JS, so a call made from a callback may reuse the buffer.
inline const anythread_em_val* HandlesOf(const Value* values, size_t n) {
  static std::vector<anythread_em_val> handles;
  if (handles.size() < n) handles.resize(n);
  for (size_t i = 0; i < n; ++i) handles[i] = values[i].val().as_handle();
  return handles.data();
}
// Main thread. The (address, length) pairs of n strings, in a buffer
// reused from call to call: the glue reads it before it calls any JS.
inline const uint32_t* SpansOf(const std::string_view* strings, size_t n) {
  static std::vector<uint32_t> spans;
  if (spans.size() < 2 * n) spans.resize(2 * n);
  for (size_t i = 0; i < n; ++i) {
    spans[2 * i] = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(strings[i].data()));
    spans[2 * i + 1] = static_cast<uint32_t>(strings[i].size());
  }
  return spans.data();
}
}  // namespace wasm_detail

// Main thread. The value loop: fn([null,] values[i]) for each i in one
// transition; the glue reads the values' handles, then loops as
// CallForEach does. The stop slot is a double on this function's stack
// (in wasm memory, where the glue reads it).
inline size_t CallForEachValue(Env, const Value& fn, bool leading_null, const Value* values,
                               size_t n, double budget_ms, double** stop_slot,
                               CallOutcome* thrown) {
  double stop = 0;
  *stop_slot = &stop;
  int r = anythread_for_each_value(fn.val().as_handle(), wasm_detail::HandlesOf(values, n),
                                   static_cast<int>(n), leading_null ? 1 : 0, budget_ms, &stop);
  *stop_slot = nullptr;
  return wasm_detail::LoopResult(r, thrown);
}

// Main thread. The string loop: the glue makes each JS string from its
// bytes just before calling fn([null,] string) with it (so the budget
// covers the making), in one transition, with no handle per string (which
// took a transition to make and one to free).
inline size_t CallForEachString(Env, const Value& fn, bool leading_null,
                                const std::string_view* strings, size_t n, double budget_ms,
                                double** stop_slot, CallOutcome* thrown) {
  double stop = 0;
  *stop_slot = &stop;
  int r = anythread_for_each_string(fn.val().as_handle(), wasm_detail::SpansOf(strings, n),
                                    static_cast<int>(n),
                                    leading_null ? 1 : 0, budget_ms, &stop);
  *stop_slot = nullptr;
  return wasm_detail::LoopResult(r, thrown);
}

// Main thread. An Array of the first *made of n strings, made in the glue
// from their bytes (stopping at the budget as the string loop does): one
// transition, no handle per string.
inline Value MakeStringArray(Env, const std::string_view* strings, size_t n, double budget_ms,
                             size_t* made) {
  uint32_t count = 0;
  Value array = emscripten::val::take_ownership(anythread_string_array(
      wasm_detail::SpansOf(strings, n), static_cast<int>(n), budget_ms, &count));
  *made = count;
  return array;
}

// One transition for the whole array: setting its elements one by one
// through embind would be one each.
inline Value MakeArray(Env, const Value* values, size_t n) {
  return emscripten::val::take_ownership(
      anythread_make_array(wasm_detail::HandlesOf(values, n), static_cast<int>(n)));
}

// Main thread. An Array of n numbers, made in the glue from memory: one
// transition, no handle per number. (A vector made through embind, an
// element at a time, took some six transitions and handles per element,
// and a flood of them ran 10-40x slower when the cores were busy.)
inline Value MakeNumberArray(Env, const double* values, size_t n) {
  return emscripten::val::take_ownership(
      anythread_number_array(values, static_cast<int>(n)));
}

inline Value MakeTypedArray(Env, TypedArrayType type, const void* values, size_t n) {
  return emscripten::val::take_ownership(
      anythread_typed_array(static_cast<int>(type), values, static_cast<int>(n)));
}

// A lent batch is a view over an ArrayBuffer the instance keeps; EndLend
// detaches that buffer by moving its memory into a new ArrayBuffer, which
// the next lend uses (anythread_glue.js): no new memory per batch.
inline Value LendTypedArray(Env, TypedArrayType type, const void* values, size_t n) {
  return emscripten::val::take_ownership(
      anythread_lend_typed_array(static_cast<int>(type), values, static_cast<int>(n)));
}

inline void EndLend(Env, const Value& array) { anythread_end_lend(array.val().as_handle()); }

// Main thread. The core's per-runtime slots (one runtime per instance).
inline std::shared_ptr<void>& EnvSlot(Env, EnvSlotId id) {
  static std::shared_ptr<void> slots[static_cast<size_t>(EnvSlotId::kCount)];
  return slots[static_cast<size_t>(id)];
}

inline std::string DescribeThrown(Env, const Value& value) {
  return emscripten::val::take_ownership(
             anythread_describe(value.val().as_handle()))
      .as<std::string>();
}

using ThenCallback = std::function<void(Env, bool, const Value&)>;

// Main thread. Calls fn(env, fulfilled, value) once `thenable` settles; the
// glue guarantees at most one call (anythread_wasm_settle owns the context).
inline void AttachThen(Env, const Value& thenable, ThenCallback fn) {
  anythread_then(thenable.val().as_handle(), new ThenCallback(std::move(fn)));
}

// A pending JS Promise and the right to settle it (main thread only).
class PromiseResolver {
 public:
  static PromiseResolver Create(Env, Value* promise) {
    PromiseResolver r;
    r.parts_ = std::make_unique<emscripten::val>(
        emscripten::val::take_ownership(anythread_new_promise()));
    *promise = Value((*r.parts_)["promise"]);
    return r;
  }
  void Resolve(Env, const Value& v) { Settle("resolve", v); }
  void Reject(Env, const Value& v) { Settle("reject", v); }
  void Abandon() { (void)parts_.release(); }

 private:
  void Settle(const char* how, const Value& v) {
    if (!parts_) return;
    parts_->call<void>(how, v.val());
    parts_.reset();
  }
  std::unique_ptr<emscripten::val> parts_;
};

inline Value ThrowError(Env env, ErrorKind kind, std::string_view code,
                        std::string_view message) {
  Value error = MakeError(env, kind, code, message);
  anythread_set_pending(error.val().as_handle());
  return Value::Undefined(env);
}

// Main thread. Makes `value` itself the pending exception (thrown by the JS
// wrapper once the wasm call has returned).
inline Value ThrowValue(Env env, const Value& value) {
  anythread_set_pending(value.val().as_handle());
  return Value::Undefined(env);
}

inline void ReportUncaught(Env, const Value& error) {
  anythread_report_uncaught(error.val().as_handle());
}

}  // namespace anythread

extern "C" void anythread_wasm_wake(void* ctx);

namespace anythread {

// The doorbell. From a pthread, where the engine has Atomics.waitAsync (Node
// 20 and Chromium have it; tests/wasm-doorbell.test.ts): the main thread keeps
// an Atomics.waitAsync armed on a word of this doorbell, and a ring sets the
// word and wakes it with wasm's own atomic notify: no JS, no lock and no
// allocation on the producer's side, and the engine posts the main thread a
// task of its own (anythread_arm in the glue). Elsewhere: one
// emscripten_async_run_in_main_runtime_thread per ring, which mallocs a
// record, takes Emscripten's global lock and posts a message (Emscripten
// 3.1.6's emscripten_proxy_async to the main thread never runs, TOOLCHAIN.md
// quirk 7). Either way the core coalesces rings to one per batch. On idle
// calls the wait measured 0.76-0.82x the per-call Emscripten path's p50 in
// Node and 0.61-0.68x in Chromium, where the message was at par with it
// (bench/NOTES.md).
// From the main thread: a macrotask (setImmediate / MessageChannel), so a call
// made from JS is never delivered inside that same call.
class BackendDoorbell final : public Doorbell {
 public:
  // Main thread.
  static std::unique_ptr<BackendDoorbell> Create(
      Env, std::shared_ptr<DrainTarget> target, bool weak,
      const Value* = nullptr) {  // The function: not kept at hand here.
    std::unique_ptr<BackendDoorbell> bell(
        new BackendDoorbell(std::move(target)));
    if (!weak) bell->Ref();
    // The armed wait counts as a message in flight: it holds the target
    // until it has run (see OnBell and Close).
    bell->in_flight_.store(1, std::memory_order_relaxed);
    bell->waits_ = anythread_arm(&bell->word_, bell.get(), 1) != 0;
    if (!bell->waits_) bell->in_flight_.store(0, std::memory_order_relaxed);
    return bell;
  }

  // Main thread: the armed wait saw the word change (a ring, or Close()).
  // Drains, then waits again; once closed, lets go of the target instead.
  static void OnBell(void* ctx) {
    auto* bell = static_cast<BackendDoorbell*>(ctx);
    // Cleared before the drain: a ring from now on is seen by the next wait
    // (an extra, empty drain at worst).
    bell->word_.store(0, std::memory_order_seq_cst);
    if (!bell->closed_) bell->target_->OnDoorbell(Env(), nullptr);
    if (bell->closed_) {  // Before, or in that drain (finalized).
      bell->MessageDone();
      return;
    }
    anythread_arm(&bell->word_, bell, 0);
  }

  // Any thread, never after Close() (the core makes sure). The
  // message counts as a reference to the target until it has run (see
  // OnMessage): no allocation of our own per wake-up.
  void Ring() override {
    if (waits_ && !emscripten_is_main_runtime_thread()) {
      // The wait is armed, or about to be after a drain: then it finds the
      // word set and goes straight to a macrotask (anythread_arm).
      if (word_.exchange(1, std::memory_order_seq_cst) == 0) {
        __builtin_wasm_memory_atomic_notify(reinterpret_cast<int*>(&word_), 1);
      }
      return;
    }
    in_flight_.fetch_add(1, std::memory_order_relaxed);
    if (emscripten_is_main_runtime_thread()) {
      anythread_schedule(this);
    } else {
      emscripten_async_run_in_main_runtime_thread(
          EM_FUNC_SIG_VI, &anythread_wasm_wake, this);
    }
  }

  // Main thread: a ring's message has arrived (anythread_wasm_wake). Once
  // closed, the last message in flight lets go of the target, which may
  // free the core and this doorbell with it.
  static void OnMessage(void* message) {
    auto* bell = static_cast<BackendDoorbell*>(message);
    bell->target_->OnDoorbell(Env(), nullptr);
    bell->MessageDone();
  }

  // Main thread.
  void Ref() {
    if (closed_ || refed_) return;
    refed_ = true;
    anythread_keep_alive(1);
  }
  void Unref() {
    if (closed_ || !refed_) return;
    refed_ = false;
    anythread_keep_alive(-1);
  }
  // Main thread, once the core has finalized: no Ring() can follow, so the
  // doorbell lets go of the target (breaking the target -> doorbell cycle),
  // now or, with messages still in flight, after the last one has run.
  void Close() {
    Unref();
    if (closed_) return;
    closed_ = true;
    if (waits_) {  // Wake the armed wait (if not running it now): see OnBell.
      word_.store(1, std::memory_order_seq_cst);
      __builtin_wasm_memory_atomic_notify(reinterpret_cast<int*>(&word_), 1);
    }
    if (in_flight_.load(std::memory_order_acquire) == 0) {
      std::shared_ptr<DrainTarget> last = std::move(target_);  // May free this.
    }
  }

 private:
  explicit BackendDoorbell(std::shared_ptr<DrainTarget> target)
      : target_(std::move(target)) {}

  // Main thread: a message (or the armed wait) has run. Once closed, the
  // last one lets go of the target, which may free this doorbell with it.
  void MessageDone() {
    if (in_flight_.fetch_sub(1, std::memory_order_acq_rel) == 1 && closed_) {
      std::shared_ptr<DrainTarget> last = std::move(target_);
    }
  }

  // Set at creation; released once closed and no message is in flight.
  std::shared_ptr<DrainTarget> target_;
  // Rings whose message has not run yet (incremented by Ring(), on any
  // thread; decremented on the main thread). Finalization waits for every
  // Ring() under way (CallQueue::WaitForRingers), so Close() sees them all.
  std::atomic<int> in_flight_{0};
  // The word the main thread's Atomics.waitAsync watches: 1 once rung.
  std::atomic<int32_t> word_{0};
  static_assert(sizeof(std::atomic<int32_t>) == 4 && std::atomic<int32_t>::is_always_lock_free,
                "a plain 32-bit word in the shared memory, as Atomics.waitAsync sees it");
  bool waits_ = false;  // Set at creation: pthreads ring through word_.
  // Main thread only.
  bool refed_ = false;
  bool closed_ = false;
};

using ExportedFunction = Value (*)(const CallbackInfo&);
using ClassConstructor = std::unique_ptr<ObjectBase> (*)(const CallbackInfo&);
using ClassMethod = Value (*)(ObjectBase&, const CallbackInfo&);
struct MethodSpec {
  const char* name;
  ClassMethod fn;
};

// Main thread. A JS function that calls `fn` (through __anythreadCallPtr).
inline Value MakeFunction(Env, const char* name, ExportedFunction fn) {
  return emscripten::val::take_ownership(
      anythread_make_function(name, reinterpret_cast<void*>(fn)));
}

// Exports are kept in a table; the JS loader (js/wasm-binding.js) turns the
// table's descriptors into plain JS functions and classes.
class ModuleBuilder {
 public:
  struct Entry {
    const char* name;
    ExportedFunction fn;  // Null for a class.
    ClassConstructor ctor;
    std::vector<MethodSpec> methods;
  };

  Env env() const { return Env(); }
  void Export(const char* name, ExportedFunction fn) {
    Exports().push_back({name, fn, nullptr, {}});
  }
  void ExportClass(const char* name, ClassConstructor ctor,
                   std::initializer_list<MethodSpec> methods) {
    Exports().push_back({name, nullptr, ctor, methods});
  }

  static std::vector<Entry>& Exports() {
    static std::vector<Entry> exports;
    return exports;
  }
  static const Entry* At(int index) {
    auto& e = Exports();
    return index >= 0 && static_cast<size_t>(index) < e.size() ? &e[index]
                                                               : nullptr;
  }
};

}  // namespace anythread

// Declares the module's exports once for both backends:
//   ANYTHREAD_MODULE(m) { m.Export("name", &Fn); }
// In wasm, embind exposes two functions; the JS loader turns them into one
// plain JS function per export (js/wasm-binding).
#define ANYTHREAD_MODULE(builder)                                           \
  static void AnythreadInitModule(::anythread::ModuleBuilder& builder);     \
  static ::emscripten::val AnythreadDescribeExports() {                     \
    ::anythread::ModuleBuilder::Exports().clear();                          \
    ::anythread::ModuleBuilder b;                                           \
    AnythreadInitModule(b);                                                 \
    return ::anythread::wasm_detail::DescribeExports();                     \
  }                                                                         \
  EMSCRIPTEN_BINDINGS(anythread_module) {                                   \
    ::emscripten::function("__anythreadExports", &AnythreadDescribeExports); \
  }                                                                         \
  static void AnythreadInitModule(::anythread::ModuleBuilder& builder)

namespace anythread {
namespace wasm_detail {

// [{ name, kind: 'function' | 'class', index, methods: [names] }]
inline emscripten::val DescribeExports() {
  emscripten::val list = emscripten::val::array();
  uint32_t i = 0;
  for (auto& e : ModuleBuilder::Exports()) {
    emscripten::val d = emscripten::val::object();
    d.set("name", std::string(e.name));
    d.set("kind", std::string(e.fn ? "function" : "class"));
    d.set("index", static_cast<int>(i));
    emscripten::val methods = emscripten::val::array();
    uint32_t j = 0;
    for (auto& m : e.methods) methods.set(j++, std::string(m.name));
    d.set("methods", methods);
    list.set(i++, d);
  }
  return list;
}

}  // namespace wasm_detail
}  // namespace anythread

#endif  // ANYTHREAD_WASM_BACKEND_IMPL_HPP_
