// ThreadsafeFunction: call a JS function from any thread.
//
// A ThreadsafeFunction<T, S> is a handle. Handles to the same function share
// one State (a CallQueue of Result<T> plus the JS function and a doorbell).
// Copying a handle acquires, destroying (or Release()) releases; when the last
// handle is gone the queue delivers what it holds and the function is
// finalized on the JS thread: the JS reference is dropped, the doorbell
// closed, and the user's finalizer run, exactly once.
//
// Ownership at each hand-off:
// - Call() moves the payload into the queue only on Status::kOk; otherwise
//   the payload stays with (and dies with) the caller.
// - The JS thread converts each payload to arguments at delivery, then
//   destroys it. Payloads dropped by Abort() or teardown are destroyed on the
//   JS thread, never delivered.
// - The State is owned jointly by the handles and by the backend doorbell
//   (through shared_ptr), so a wake-up in flight never sees freed memory.
#ifndef ANYTHREAD_THREADSAFE_FUNCTION_HPP_
#define ANYTHREAD_THREADSAFE_FUNCTION_HPP_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "anythread/backend.hpp"
#include "anythread/call_queue.hpp"
#include "anythread/config.hpp"
#include "anythread/convert.hpp"
#include "anythread/future.hpp"
#include "anythread/shared_value.hpp"
#include "anythread/status.hpp"

namespace anythread {

// How native errors and JS arguments are shaped (NAPI-RS's ErrorStrategy).
enum class ErrorStrategy {
  kCalleeHandled,  // JS gets (null, ...args), or (error) for a native Error.
  kFatal,          // JS gets (...args); a native Error is uncaught.
};

struct ThreadsafeFunctionOptions {
  // 0 means unbounded. Calls from one thread always arrive in order. Calls
  // from different threads are ordered only in a bounded function (one
  // queue); an unbounded one gives each thread a stripe of its own, so they
  // do not wait for each other's lock.
  size_t max_queue_size = 0;
  bool weak = false;          // true: does not keep the event loop alive.
  // JS receives each drained batch in one call, (batch) or (null, batch),
  // instead of one call per item. Numeric payloads without a converter
  // come in a typed array: the payload's own type up to 32 bits (uint8_t a
  // Uint8Array, int32_t an Int32Array, float a Float32Array), else a
  // Float64Array (double, 64-bit integers, long and size_t:
  // detail::BatchElement). Every other payload (strings, bool, tuples,
  // Spread, a converter's arguments) comes in an Array, one element per
  // call: its one argument, or an array of its arguments when it has
  // several or none; at most kMaxValueBatch (4,096) to an Array, a drain
  // of more in several. The batch is the callback's to keep: new memory for
  // every batch. A call with a consumer (CallWithReturnValue, CallAsync,
  // CallSync) comes in a batch of its own, its consumer given the
  // callback's result; an error (Call(Result<T>), or a converter's) comes
  // alone, as the error argument (CalleeHandled) or an uncaught exception
  // (Fatal), as per-item delivery gives it. Order is kept throughout.
  bool batched = false;
  // With batched, for typed arrays: the array is lent for the callback's
  // duration only. When the callback returns, its buffer is detached (the
  // array reads as empty from then on), and its memory serves later
  // batches: no new memory per batch. A callback that needs values later
  // copies them (batch.slice()).
  bool lend_batches = false;
  // JS thread, exactly once, when the function is finalized (or the
  // environment torn down). May be empty.
  std::function<void()> finalizer;
};

namespace detail {

// What happens with the JS callback's outcome, for calls that want it. Runs
// on the JS thread. Destroyed without completing (abort, teardown: always on
// the JS thread) it reports Closing, so every accepted call ends in exactly
// one outcome. A refused call is disarmed first: no outcome at all.
class Completion {
 public:
  virtual ~Completion() = default;
  // The callback returned `result` or threw `thrown`.
  virtual void Returned(Env env, const Value& result) = 0;
  virtual void Threw(Env env, const Value& thrown) = 0;
  // The callback never ran (Fatal strategy given a native error, or the
  // call was dropped).
  virtual void Failed(Error error) = 0;
  void Disarm() { armed_ = false; }

 protected:
  bool armed_ = true;
};

template <typename R, ErrorStrategy S>
class ConsumerCompletion final : public Completion {
 public:
  using Consumer = std::function<void(Result<R>)>;
  explicit ConsumerCompletion(Consumer consumer)
      : consumer_(std::move(consumer)) {}
  ~ConsumerCompletion() override {
    if (armed_) Failed(Error(Status::kClosing, "The call was dropped"));
  }
  void Returned(Env env, const Value& result) override {
    Result<R> converted = FromJs<R>::Convert(env, result);
    if (!converted.ok() && S == ErrorStrategy::kFatal) {
      // Fatal: a result of the wrong type is a programming error.
      armed_ = false;
      ReportUncaught(env, ToJsError(env, converted.error()));
      return;
    }
    Finish(std::move(converted));
  }
  void Threw(Env env, const Value& thrown) override {
    Finish(ErrorFromThrown(env, thrown));
  }
  void Failed(Error error) override { Finish(std::move(error)); }

 private:
  void Finish(Result<R> result) {
    if (!armed_) return;
    armed_ = false;
    consumer_(std::move(result));
  }
  Consumer consumer_;
};

// JS thread. Whether `v` is a Promise or any thenable.
inline bool IsThenable(const Value& v) {
  return v.IsObject() && v.Get("then").IsFunction();
}

template <typename R>
class FutureCompletion final : public Completion {
 public:
  explicit FutureCompletion(std::shared_ptr<FutureState<R>> state)
      : state_(std::move(state)) {}
  ~FutureCompletion() override {
    if (armed_) Failed(Error(Status::kClosing, "The call was dropped"));
  }
  void Returned(Env env, const Value& result) override {
    armed_ = false;
    if (!IsThenable(result)) {
      state_->Settle(FromJs<R>::Convert(env, result));
      return;
    }
    // Settles when the returned promise (or thenable) settles.
    auto state = state_;
    AttachThen(env, result,
               [state](Env env, bool fulfilled, const Value& value) {
                 if (fulfilled) {
                   state->Settle(FromJs<R>::Convert(env, value));
                 } else {
                   state->Settle(ErrorFromThrown(env, value));
                 }
               });
  }
  void Threw(Env env, const Value& thrown) override {
    armed_ = false;
    state_->Settle(ErrorFromThrown(env, thrown));
  }
  void Failed(Error error) override {
    armed_ = false;
    state_->Settle(std::move(error));
  }

 private:
  std::shared_ptr<FutureState<R>> state_;
};

// What a call carries besides its payload, for the few calls that need it:
// a native error instead of the value, and what to do with the JS result.
struct CallExtra {
  std::optional<Error> error;
  std::unique_ptr<Completion> done;  // Null for fire-and-forget calls.
};

// One queued call: a value or a native error, and what to do with the JS
// result. A plain call (a value, fire-and-forget: the hot path) is its
// payload and a null tag; anything else is in one CallExtra, allocated
// only for calls that carry an error or a completion. Every producer's
// write and every drain's read moves the ring's cache lines between cores,
// so fewer bytes per call is more calls per line, and a flood's backlog
// takes fewer new pages (bench/NOTES.md). Two layouts:
// - WideCallItem: the payload and one word, the CallExtra's address with
//   bit 0 set when there is no value (an error call). A moved-from item
//   keeps that bit, so its destructor still knows whether a T lives in it.
//   8 bytes for a 4-byte payload in wasm (32-bit pointers).
// - PackedCallItem, for payloads of up to 4 bytes that are trivially
//   copyable where pointers have 64 bits: 8 bytes, where the wide form
//   takes 16 (node-addon-api's queue holds 8.8 per call). A 32-bit tag
//   beside the payload; a call with an extra keeps its value in the
//   extra, and the extra's address is split over the tag (low half, with
//   flag bits) and the payload's bytes (high half).
template <typename T>
class WideCallItem {
 public:
  explicit WideCallItem(T&& value) : bits_(0) { new (&value_) T(std::move(value)); }
  WideCallItem(T&& value, std::unique_ptr<Completion> done) : WideCallItem(std::move(value)) {
    if (done) bits_ = Tag(new CallExtra{std::nullopt, std::move(done)}, false);
  }
  // An error instead of a value (tagged: T may itself be Error).
  struct Failed {};
  WideCallItem(Failed, Error error, std::unique_ptr<Completion> done)
      : bits_(Tag(new CallExtra{std::move(error), std::move(done)}, true)) {}
  WideCallItem(WideCallItem&& o) noexcept : bits_(o.bits_) {
    o.bits_ &= kNoValue;  // The extra is ours now; o keeps its value bit.
    if (has_value()) new (&value_) T(std::move(o.value_));
  }
  WideCallItem& operator=(WideCallItem&&) = delete;
  WideCallItem(const WideCallItem&) = delete;
  // A drain destroys every item twice (its slot in the ring once moved
  // from, then its place in the batch), so for a plain call of a trivially
  // destructible payload this is one test, inlined; in wasm the general
  // form stayed a call per destruction (3% of a 1-producer flood's
  // samples). With the longer spin in stripe_lock.hpp, wasm in Node with
  // 1 producer then delivered 8-16% more; without it, less: the faster
  // drain caught up, and producers met its lock more (bench/NOTES.md).
  ~WideCallItem() {
    if constexpr (std::is_trivially_destructible<T>::value) {
      if (bits_ != 0) DestroyExtra();
    } else {
      if (has_value()) value_.~T();
      if (bits_ > kNoValue) DestroyExtra();
    }
  }

  bool has_value() const { return (bits_ & kNoValue) == 0; }
  T& value() { return value_; }  // Only when has_value().
  CallExtra* extra() const { return reinterpret_cast<CallExtra*>(bits_ & ~kNoValue); }
  bool plain() const { return bits_ == 0; }  // A value, fire-and-forget.
  Completion* done() const { return bits_ == 0 ? nullptr : extra()->done.get(); }

 private:
  ANYTHREAD_COLD void DestroyExtra() { delete extra(); }

  static constexpr uintptr_t kNoValue = 1;
  static_assert(alignof(CallExtra) > 1, "bit 0 of its address is free");
  static uintptr_t Tag(CallExtra* extra, bool no_value) {
    return reinterpret_cast<uintptr_t>(extra) | (no_value ? kNoValue : 0);
  }

  union {
    T value_;
  };
  uintptr_t bits_;
};

template <typename T>
class PackedCallItem {
 public:
  explicit PackedCallItem(T&& value) : tag_(0) { new (&value_) T(std::move(value)); }
  PackedCallItem(T&& value, std::unique_ptr<Completion> done) : tag_(0) {
    if (!done) {
      new (&value_) T(std::move(value));
      return;
    }
    auto* extra = new Extra;
    extra->done = std::move(done);
    new (&extra->value) T(std::move(value));
    Point(extra, 0);
  }
  struct Failed {};
  PackedCallItem(Failed, Error error, std::unique_ptr<Completion> done) : tag_(0) {
    auto* extra = new Extra;
    extra->error = std::move(error);
    extra->done = std::move(done);
    Point(extra, kNoValue);
  }
  PackedCallItem(PackedCallItem&& o) noexcept : tag_(o.tag_) {
    std::memcpy(&high_, &o.high_, sizeof(high_));  // The value or the high half.
    o.tag_ = 0;  // The extra is ours now; o is a plain call with nothing to free.
  }
  PackedCallItem& operator=(PackedCallItem&&) = delete;
  PackedCallItem(const PackedCallItem&) = delete;
  ~PackedCallItem() {
    if (tag_ != 0) DestroyExtra();
  }

  bool has_value() const { return (tag_ & kNoValue) == 0; }
  T& value() { return tag_ == 0 ? value_ : extra_of()->value; }  // Only when has_value().
  CallExtra* extra() const { return extra_of(); }
  bool plain() const { return tag_ == 0; }
  Completion* done() const { return tag_ == 0 ? nullptr : extra_of()->done.get(); }

 private:
  struct Extra : CallExtra {
    union {
      T value;  // Lives only when the item has a value.
    };
    Extra() {}
  };
  static constexpr uint32_t kExtra = 1, kNoValue = 2;
  static_assert(alignof(Extra) >= 4, "bits 0 and 1 of its address are free");

  void Point(Extra* extra, uint32_t flags) {
    const auto address = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(extra));
    tag_ = static_cast<uint32_t>(address) | kExtra | flags;
    high_ = static_cast<uint32_t>(address >> 32);
  }
  Extra* extra_of() const {
    const uint64_t address =
        (static_cast<uint64_t>(high_) << 32) | (tag_ & ~(kExtra | kNoValue));
    return reinterpret_cast<Extra*>(static_cast<uintptr_t>(address));
  }
  // T is trivially destructible: its value in an extra needs no destructor.
  ANYTHREAD_COLD void DestroyExtra() { delete extra_of(); }

  uint32_t tag_;  // 0: a plain call, its value in value_.
  union {
    T value_;
    uint32_t high_;  // With an extra: the high half of its address.
  };
};

template <typename T>
constexpr bool kPackedCallItem =
    sizeof(void*) == 8 && sizeof(T) <= sizeof(uint32_t) && alignof(T) <= alignof(uint32_t) &&
    std::is_trivially_copyable<T>::value && std::is_trivially_destructible<T>::value;

template <typename T>
using CallItem =
    typename std::conditional<kPackedCallItem<T>, PackedCallItem<T>, WideCallItem<T>>::type;
static_assert(sizeof(CallItem<uint32_t>) == 8, "a plain call of a 4-byte payload is 8 bytes");

// Payloads delivered through the numeric fast path (CallForEach): one
// wasm/Node-API transition per batch instead of one per item.
// Shorter runs of numbers are delivered by direct calls (DeliverNumbers);
// where the break-even lies depends on the engine, so the backend says.
constexpr size_t kMinFastPathRun = kBackendMinFastPathRun;
// The value loop makes and delivers at most this many values at a time,
// made in about this long at most (see DeliverOneValues): a chunk is what
// a stop for time can waste.
constexpr size_t kValueChunk = 256;
constexpr std::chrono::microseconds kValueChunkTime{1000};
// Batched delivery of values that are not numbers: an Array holds at most
// this many (the rest of the drain follows in more Arrays). A larger Array
// was a large object to V8 (16,384 elements of 8 bytes pass its 128 KiB
// limit for a regular one), new memory for every batch, which costs much
// on our VMs: short strings batched 16,384 to an Array arrived at about
// 0.6x the per-item rate in Node, and 4,096 to an Array at 0.9-1.2x (in
// Chromium 1.1-1.5x; bench/NOTES.md). Typed arrays of numbers are not
// capped.
constexpr size_t kMaxValueBatch = 4096;

template <typename T>
constexpr bool kNumericPayload =
    std::is_arithmetic<T>::value && !std::is_same<T, bool>::value;

// Batched delivery: the typed array a numeric payload's batch arrives in,
// and its element type. Each type of up to 32 bits gets the typed array of
// its own size and kind (int16_t an Int16Array, float a Float32Array: no
// conversion, and as little memory per batch as the values need); 64-bit
// integers (and long double) arrive as Float64Array, the numbers per-item
// delivery gives them as, since a BigInt64Array would change their type.
// long and unsigned long (so size_t, intptr_t) arrive as Float64Array
// everywhere: they are 4 bytes in wasm32 and 8 natively, and one source
// must give JS the same array on both backends.
template <typename T>
constexpr bool kBatchedAsOwnSize =
    std::is_integral<T>::value && !std::is_same<T, bool>::value && sizeof(T) <= 4 &&
    !std::is_same<T, long>::value && !std::is_same<T, unsigned long>::value;

template <typename T, typename = void>
struct BatchElement {
  using type = double;
  static constexpr TypedArrayType kType = TypedArrayType::kFloat64;
};
template <typename T>
struct BatchElement<T, std::enable_if_t<kBatchedAsOwnSize<T>>> {
  static constexpr bool kSigned = std::is_signed<T>::value;
  using type = std::conditional_t<
      sizeof(T) == 1, std::conditional_t<kSigned, int8_t, uint8_t>,
      std::conditional_t<sizeof(T) == 2,
                         std::conditional_t<kSigned, int16_t, uint16_t>,
                         std::conditional_t<kSigned, int32_t, uint32_t>>>;
  static constexpr TypedArrayType kType =
      sizeof(T) == 1   ? (kSigned ? TypedArrayType::kInt8 : TypedArrayType::kUint8)
      : sizeof(T) == 2 ? (kSigned ? TypedArrayType::kInt16 : TypedArrayType::kUint16)
                       : (kSigned ? TypedArrayType::kInt32 : TypedArrayType::kUint32);
};
template <>
struct BatchElement<float> {
  using type = float;
  static constexpr TypedArrayType kType = TypedArrayType::kFloat32;
};

// Every function's state alive in this module (LiveThreadsafeFunctions).
inline std::atomic<size_t> live_states{0};

template <typename T, ErrorStrategy S>
class TsfnState final : public DrainTarget,
                        public std::enable_shared_from_this<TsfnState<T, S>> {
 public:
  using Converter = std::function<Result<Args>(Env, T&)>;

  TsfnState(Value fn, ThreadsafeFunctionOptions options, Converter convert)
      : queue_(options.max_queue_size),
        fn_(Reference::Make(fn)),
        convert_(std::move(convert)),
        finalizer_(std::move(options.finalizer)),
        batched_(options.batched),
        lend_(options.lend_batches) {
    live_states.fetch_add(1, std::memory_order_relaxed);
  }
  ~TsfnState() override { live_states.fetch_sub(1, std::memory_order_relaxed); }

  // JS thread, right after construction (needs shared_from_this).
  Status Start(Env env, bool weak) {
    const Value fn = fn_.Get(env);
    auto doorbell = BackendDoorbell::Create(env, this->shared_from_this(), weak, &fn);
    if (!doorbell) return Status::kGenericFailure;
    doorbell_ = std::move(doorbell);
    queue_.SetDoorbell(doorbell_.get());
    return Status::kOk;
  }

  CallQueue<CallItem<T>, BackendDoorbell>& queue() { return queue_; }
  BackendDoorbell& doorbell() { return *doorbell_; }

  ANYTHREAD_ALWAYS_INLINE void OnDoorbell(Env env, const Value* fn_at_hand) override {
    Value fn = fn_at_hand ? *fn_at_hand : Value();
    bool have_fn = fn_at_hand != nullptr;
    queue_.DrainBatch(
        [&](CallItem<T>* items, size_t n) ANYTHREAD_ALWAYS_INLINE -> size_t {
          if (!have_fn) {  // One reference lookup per batch.
            fn = fn_.Get(env);
            have_fn = true;
          }
          // An idle call, alone in its drain: straight to its callback.
          if constexpr (kNumericPayload<T>) {
            if (n == 1 && !batched_ && !convert_ && items[0].plain()) {
              if (queue_.AbortRequested()) return 0;
              CallWithOne(env, fn, Value::Number(env, static_cast<double>(items[0].value())));
              return 1;
            }
          }
          return DeliverBatch(env, fn, items, n);
        },
        [&] { Finalize(); },
        // One call per item: the idle call first, on its own, arrives
        // sooner. Batched: one array per wake-up.
        batched_ ? Handoff::kFirstInBatch : Handoff::kAlone);
  }

  // Any thread. Aborts; an abort made by a callback (on the JS thread) in the
  // middle of a fast-path batch also stops that batch at once.
  Status Abort() {
    Status status = queue_.Abort();
    if (queue_.OnOwnerThread() && stop_slot_ != nullptr) *stop_slot_ = 1;
    return status;
  }
  void OnEnvTeardown() override {
    queue_.EnvTeardown([&] { Finalize(); });
  }

 private:
  // JS thread. Delivers items[0..n) in order; returns how many it
  // delivered (fewer when aborted meanwhile, or to yield after
  // kMaxDrainTime: the queue keeps the rest).
  size_t DeliverBatch(Env env, const Value& fn, CallItem<T>* items, size_t n) {
    // A single item (an idle stream) has no budget to check: no clock read
    // (a JS call in wasm) before its callback runs.
    const auto start = n > 1 ? std::chrono::steady_clock::now()
                             : std::chrono::steady_clock::time_point();
    // Item by item, the clock is read at a pace set by the items' own
    // (ClockPacer); after a run of the loops below, always.
    ClockPacer pacer(start, start + kMaxDrainTime);
    size_t i = 0;
    while (i < n) {
      if (queue_.AbortRequested()) return i;
      if (i > 0 && pacer.OutOfTime(i)) return i;
      if constexpr (kNumericPayload<T>) {
        if (!convert_ && items[i].plain()) {
          i += DeliverNumbers(env, fn, items + i, n - i, start);
          // The JS loop stops at the time budget too: yield if it did.
          if (i < n && pacer.Expired(i)) return i;
          continue;
        }
      }
      if constexpr (kOneValue && !kNumericPayload<T>) {
        if (!batched_ && !convert_ && items[i].plain()) {
          i += DeliverOneValues(env, fn, items + i, n - i, start);
          if (i < n && pacer.Expired(i)) return i;
          continue;
        }
      }
      if (batched_ && items[i].plain()) {
        i += DeliverValues(env, fn, items + i, n - i, start);
        if (i < n && pacer.Expired(i)) return i;
        continue;
      }
      Deliver(env, fn, items[i]);
      ++i;
    }
    return i;
  }

  // JS thread. Batched delivery of payloads that are not plain numbers (or
  // that have a converter): a run of fire-and-forget calls goes to JS as
  // one Array, each element what its call converts to (AsBatchValue). A
  // conversion error ends the run: the batch so far first, then the error
  // alone, as per-item delivery gives it (each payload is converted once).
  // Returns how many items it delivered: at most kMaxValueBatch; it stops
  // at the time budget of the batch begun at `start` (the clock read at the
  // conversions' pace, ClockPacer). A run of std::strings without a
  // converter is made into its Array by the backend (MakeStringArray: in
  // wasm, from the strings' bytes), which stops at the same budget (the
  // clock read at the same pace, and after every 64 KiB of strings).
  size_t DeliverValues(Env env, const Value& fn, CallItem<T>* items, size_t n,
                       std::chrono::steady_clock::time_point start) {
    n = std::min(n, kMaxValueBatch);
    if constexpr (std::is_same<T, std::string>::value) {
      if (!convert_) {  // Made by the backend from their bytes (MakeStringArray).
        strings_.clear();
        size_t run = 0;
        while (run < n && items[run].plain()) strings_.emplace_back(items[run++].value());
        double budget_ms = 0;
        if (run >= 2) budget_ms = std::max(BudgetLeftMs(start), 1e-6);
        size_t made = 0;
        const Value batch = MakeStringArray(env, strings_.data(), run, budget_ms, &made);
        strings_.clear();
        CallWithOne(env, fn, batch);
        return made;
      }
    }
    values_.clear();
    std::optional<Error> failed;
    ClockPacer pacer(start, start + kMaxDrainTime);
    size_t i = 0;
    while (i < n && items[i].plain()) {
      if (i > 0 && pacer.OutOfTime(i)) break;
      if constexpr (kOneValue) {
        if (!convert_) {  // No argument vector to allocate and free.
          values_.push_back(JsTraits<T>::ToJs(env, items[i].value()));
          ++i;
          continue;
        }
      }
      Result<Args> converted = Convert(env, items[i].value());
      ++i;
      if (!converted.ok()) {
        failed = converted.TakeError();
        break;
      }
      values_.push_back(AsBatchValue(env, std::move(converted).value()));
    }
    if (!values_.empty()) {
      const Value batch = MakeArray(env, values_.data(), values_.size());
      values_.clear();
      CallWithOne(env, fn, batch);
      // Aborted by that callback: the failed call is not delivered (the
      // queue drops it with the rest).
      if (failed && queue_.AbortRequested()) return i - 1;
    }
    if (failed) DeliverError(env, fn, std::move(*failed), nullptr);
    return i;
  }

  // JS thread. What is left of the time budget of a batch begun at `start`,
  // in ms (negative once spent): what the backends' loops are given.
  static double BudgetLeftMs(std::chrono::steady_clock::time_point start) {
    const std::chrono::duration<double, std::milli> left =
        kMaxDrainTime - (std::chrono::steady_clock::now() - start);
    return left.count();
  }

  // JS thread. What a call is in a batch of values: its one argument, or an
  // array of its arguments when it has none or several (Spread, NoArgs).
  static Value AsBatchValue(Env env, Args&& args) {
    if (args.size() == 1) return std::move(args[0]);  // In wasm a copy is a JS call.
    Value list = Value::Array(env);
    for (uint32_t k = 0; k < args.size(); ++k) list.Set(k, args[k]);
    return list;
  }

  // JS thread. Calls fn(value), or fn(null, value) when CalleeHandled, with
  // no argument vector to allocate; a throw is uncaught.
  ANYTHREAD_ALWAYS_INLINE void CallWithOne(Env env, const Value& fn, const Value& value) {
    CallOutcome outcome = CallOne(env, fn, value);
    if (outcome.threw) ReportUncaught(env, outcome.value);
  }
  ANYTHREAD_ALWAYS_INLINE static CallOutcome CallOne(Env env, const Value& fn, const Value& value) {
    if constexpr (S == ErrorStrategy::kCalleeHandled) {
      const Value args[2] = {Value::Null(env), value};
      return CallFunction(env, fn, args, 2);
    } else {
      return CallFunction(env, fn, &value, 1);
    }
  }

  // JS thread. The numeric fast path: a run of plain numeric items goes to
  // JS as one array, and JS calls the callback per item (CallForEach, which
  // stops once the batch, begun at `start`, has used kMaxDrainTime), or
  // once with the whole batch as a typed array (batched). Returns how many
  // it delivered.
  size_t DeliverNumbers(Env env, const Value& fn, CallItem<T>* items,
                        size_t n, std::chrono::steady_clock::time_point start) {
    size_t run = 0;
    while (run < n && items[run].plain()) ++run;
    const bool leading_null = S == ErrorStrategy::kCalleeHandled;
    if (!batched_ && run < kMinFastPathRun) {
      // A few items (an idle stream): direct calls cost less than setting
      // up the JS loop, which pays off from a handful of items on. They
      // touch no buffer of ours: after an idle spell every cold cache line
      // adds to the wake-up's latency.
      for (size_t i = 0; i < run; ++i) {
        if (i > 0 && queue_.AbortRequested()) return i;
        CallWithOne(env, fn, Value::Number(env, static_cast<double>(items[i].value())));
      }
      return run;
    }
    if (batched_) {
      using E = typename BatchElement<T>::type;
      constexpr TypedArrayType kType = BatchElement<T>::kType;
      batch_.clear();
      for (size_t i = 0; i < run; ++i) batch_.push_back(static_cast<E>(items[i].value()));
      if (lend_) {
        const Value lent = LendTypedArray(env, kType, batch_.data(), run);
        CallWithOne(env, fn, lent);
        EndLend(env, lent);
      } else {
        CallWithOne(env, fn, MakeTypedArray(env, kType, batch_.data(), run));
      }
      return run;
    }
    numbers_.clear();
    for (size_t i = 0; i < run; ++i) {
      numbers_.push_back(static_cast<double>(items[i].value()));
    }
    numbers_.push_back(0);  // The stop slot (see Abort).
    size_t done = 0;
    while (done < run) {
      CallOutcome thrown;
      numbers_[done + (run - done)] = 0;  // (Re)arm the stop slot.
      // What is left of the budget, which the loop checks at its calls'
      // pace (ClockPacer). A run of one (an idle stream) has nothing to
      // check: no clock read, a JS call in wasm.
      const double budget_ms = run - done >= 2 ? std::max(BudgetLeftMs(start), 0.0) : 0;
      size_t count = CallForEach(env, fn, leading_null, numbers_.data() + done,
                                 run - done, budget_ms, &stop_slot_, &thrown);
      done += count;
      if (!thrown.threw) break;  // Finished, or stopped (abort, time).
      ReportUncaught(env, thrown.value);
      if (queue_.AbortRequested()) break;
    }
    return done;
  }

  // JS thread. The value loop: a run of plain one-value payloads that are
  // not numbers (strings, booleans, ...; no converter) is made into values
  // here, and a loop in JS calls the callback with each (CallForEachValue:
  // natively two Node-API calls per run, in wasm one transition, instead of
  // one per item); std::strings go as their bytes (CallForEachString: the
  // backend makes the strings within the loop's budget; in wasm the loop
  // makes each, with no handle each). It stops as the
  // numeric fast path does: at an abort from a callback (the stop slot),
  // once the batch begun at `start` has used kMaxDrainTime, and a throw is
  // uncaught and the loop goes on after it. Short runs (an idle stream) go
  // by direct calls. Returns how many it delivered; the rest stay queued
  // (a chunk's values made and not delivered are made again later).
  size_t DeliverOneValues(Env env, const Value& fn, CallItem<T>* items, size_t n,
                          std::chrono::steady_clock::time_point start) {
    size_t run = 0;
    while (run < n && items[run].plain()) ++run;
    if (run < kMinFastPathRun || run < 2) {
      for (size_t i = 0; i < run; ++i) {
        if (i > 0 && queue_.AbortRequested()) return i;
        CallWithOne(env, fn, JsTraits<T>::ToJs(env, items[i].value()));
      }
      return run;
    }
    const bool leading_null = S == ErrorStrategy::kCalleeHandled;
    // Calls loop(from, budget_ms, &thrown) for the made values from `from`
    // on until they are done or it stops; returns how many were delivered.
    // The loop gets what is left of the budget, at least `floor_ms`.
    auto resume = [&](size_t made, double floor_ms, auto&& loop) {
      size_t done = 0;
      while (done < made) {
        CallOutcome thrown;
        // Checked at the calls' pace: nothing to check for one.
        const double budget_ms =
            made - done >= 2 ? std::max(BudgetLeftMs(start), floor_ms) : 0;
        done += loop(done, budget_ms, &thrown);
        if (!thrown.threw) break;  // Finished, or stopped (abort, time).
        ReportUncaught(env, thrown.value);
        if (queue_.AbortRequested()) break;
      }
      return done;
    };
    if constexpr (std::is_same<T, std::string>::value) {
      strings_.clear();
      for (size_t i = 0; i < run; ++i) strings_.emplace_back(items[i].value());
      // No floor: the backend makes the strings within the budget.
      const size_t done = resume(run, 0.0, [&](size_t from, double budget_ms, CallOutcome* thrown) {
        return CallForEachString(env, fn, leading_null, strings_.data() + from, run - from,
                                 budget_ms, &stop_slot_, thrown);
      });
      strings_.clear();
      return done;
    } else {
      // Made and delivered a chunk at a time (kValueChunk values, or what
      // kValueChunkTime makes). Made all at once, the values could take the
      // whole time budget to make (a tuple in wasm: several transitions
      // each), leaving the loop none: it delivered 32 and later drains made
      // the rest again, over and over (a flood of 100,000 tuples took 25 s
      // in wasm; docs/RELIABILITY.md). Now the budget runs out between chunks,
      // or wastes what one chunk made.
      size_t done = 0;
      while (done < run) {
        values_.clear();
        const size_t end = std::min(run, done + kValueChunk);
        size_t made = done;
        bool out_of_time = false;
        // The clock read at the making's pace (ClockPacer): a value slow
        // to make (a vector of long strings) is noticed after it, not 16
        // values on.
        const auto chunk_start = std::chrono::steady_clock::now();
        ClockPacer pacer(chunk_start,
                         std::min(start + kMaxDrainTime, chunk_start + kValueChunkTime));
        while (made < end) {
          if (made > done && pacer.OutOfTime(made - done)) {
            out_of_time = pacer.now() - start > kMaxDrainTime;
            break;
          }
          values_.push_back(JsTraits<T>::ToJs(env, items[made].value()));
          ++made;
        }
        const size_t count = made - done;
        // Values made get at least kValueChunkTime for their callbacks,
        // even when the making used up the budget: fast callbacks then take
        // them all, where a spent budget would have delivered one and left
        // the rest to be made again in the next drain (for values slow to
        // make, each made several times over). Slow callbacks still stop
        // about a call past it.
        const double floor_ms =
            std::chrono::duration<double, std::milli>(kValueChunkTime).count();
        const size_t delivered = resume(count, floor_ms, [&](size_t from, double budget_ms, CallOutcome* thrown) {
          return CallForEachValue(env, fn, leading_null, values_.data() + from, count - from,
                                  budget_ms, &stop_slot_, thrown);
        });
        done += delivered;
        // Stopped (time, abort), or out of time: the rest stay queued.
        if (delivered < count || out_of_time || queue_.AbortRequested()) break;
        if (done < run && std::chrono::steady_clock::now() - start > kMaxDrainTime) break;
      }
      values_.clear();
      return done;
    }
  }

  Result<Args> Convert(Env env, T& value) {
    if (convert_) return convert_(env, value);
    if constexpr (kHasDefaultConversion<T>) {
      return ToJsArgs(env, value);
    } else {
      // Unreachable: Create refuses such a function without a converter.
      return Error(Status::kInvalidArg, "No conversion for this payload type");
    }
  }

  void Deliver(Env env, const Value& fn, CallItem<T>& item) {
    std::optional<Error> native_error;
    Args args;
    std::optional<Value> lent;  // A batch of one lent to this call (see below).
    if (!item.has_value()) {
      native_error = std::move(*item.extra()->error);
    } else if (batched_ && NumbersInTypedArrays()) {
      // Batched: a call with a consumer comes in a batch of its own, so the
      // callback always gets a batch and the consumer the callback's result
      // for its call alone.
      if constexpr (kNumericPayload<T>) {
        using E = typename BatchElement<T>::type;
        constexpr TypedArrayType kType = BatchElement<T>::kType;
        batch_.assign(1, static_cast<E>(item.value()));
        if (lend_) {
          lent = LendTypedArray(env, kType, batch_.data(), 1);
          args = Args{*lent};
        } else {
          args = Args{MakeTypedArray(env, kType, batch_.data(), 1)};
        }
      }
    } else if (OneValue() && !batched_) {
      if constexpr (kOneValue) {  // No argument vector to allocate and free.
        const Value value = JsTraits<T>::ToJs(env, item.value());
        Finish(env, CallOne(env, fn, value), item.done());
        return;
      }
    } else {
      Result<Args> converted = Convert(env, item.value());
      if (!converted.ok()) {
        native_error = converted.TakeError();
      } else if (batched_) {  // A batch of values, of one (as above).
        Value batch = Value::Array(env);
        batch.Set(uint32_t{0}, AsBatchValue(env, std::move(converted).value()));
        args = Args{batch};
      } else {
        args = std::move(converted).value();
      }
    }
    if (native_error) {
      DeliverError(env, fn, std::move(*native_error), item.done());
      return;
    }
    if (S == ErrorStrategy::kCalleeHandled) args.insert(args.begin(), Value::Null(env));
    CallOutcome outcome = CallFunction(env, fn, args);
    if (lent) EndLend(env, *lent);
    Finish(env, outcome, item.done());
  }

  // JS thread. An error in place of a call's value: the callback's only
  // argument (CalleeHandled), or an uncaught exception with the callback
  // skipped (Fatal: no error argument to put it in).
  void DeliverError(Env env, const Value& fn, Error error, Completion* done) {
    if (S == ErrorStrategy::kFatal) {
      ReportUncaught(env, ToJsError(env, error));
      if (done) done->Failed(std::move(error));
      return;
    }
    const Value js_error = ToJsError(env, error);
    Finish(env, CallFunction(env, fn, &js_error, 1), done);
  }

  // JS thread. The callback's outcome goes to the call's consumer, if it
  // has one; else a throw is uncaught.
  void Finish(Env env, const CallOutcome& outcome, Completion* done) {
    if (done) {
      if (outcome.threw) {
        done->Threw(env, outcome.value);
      } else {
        done->Returned(env, outcome.value);
      }
    } else if (outcome.threw) {
      ReportUncaught(env, outcome.value);
    }
  }

  // Whether batches are typed arrays (numeric payloads, no converter) or
  // arrays of values (every other payload).
  bool NumbersInTypedArrays() const { return kNumericPayload<T> && !convert_; }
  // Payloads that become one JS value by their JsTraits (not NoArgs or
  // Spread): without a converter, such a call's argument is made directly,
  // with no argument vector (a malloc and a free on the JS thread per call).
  static constexpr bool kOneValue = HasJsTraits<T>::value && !std::is_same<T, NoArgs>::value;
  bool OneValue() const { return kOneValue && !convert_; }

  // JS thread, exactly once (the queue guarantees it).
  void Finalize() {
    fn_.Reset();
    convert_ = nullptr;  // May hold handles to this very function.
    if (doorbell_) doorbell_->Close();
    if (finalizer_) {
      auto finalizer = std::move(finalizer_);
      finalizer();
    }
  }

  CallQueue<CallItem<T>, BackendDoorbell> queue_;
  // JS thread only.
  Reference fn_;
  Converter convert_;
  std::function<void()> finalizer_;
  const bool batched_;
  const bool lend_;                 // Batches lent (LendTypedArray).
  std::vector<double> numbers_;     // The fast path's batch (+ stop slot).
  std::vector<typename BatchElement<T>::type> batch_;  // Batched delivery's.
  std::vector<Value> values_;       // DeliverValues', DeliverOneValues'.
  std::vector<std::string_view> strings_;  // Runs of std::strings.
  double* stop_slot_ = nullptr;     // Set by a CallForEach* while JS runs.
  // Set once in Start(), before any producer sees the queue.
  std::unique_ptr<BackendDoorbell> doorbell_;
};

}  // namespace detail

// Any thread. How many threadsafe functions this module has whose state is
// still alive: open ones, and finalized ones whose backend has not let go
// of their state yet (that takes a turn or two of the event loop after
// finalization). For leak checks: after every function is finalized it
// drops back, without waiting for a garbage collection.
inline size_t LiveThreadsafeFunctions() {
  return detail::live_states.load(std::memory_order_relaxed);
}

template <typename T, ErrorStrategy S = ErrorStrategy::kCalleeHandled>
class ThreadsafeFunction {
 public:
  using State = detail::TsfnState<T, S>;
  // JS thread. Turns the payload into the JS arguments (after the leading
  // null for CalleeHandled). Returning an Error delivers that error instead.
  using Converter = typename State::Converter;

  // An empty handle: every call returns kClosing.
  ThreadsafeFunction() = default;

  // JS thread. Creates a threadsafe function calling `fn`. Fails with
  // InvalidArg when `fn` is not a function.
  static Result<ThreadsafeFunction> Create(
      Env env, Value fn, ThreadsafeFunctionOptions options = {},
      Converter convert = {}) {
    if (!fn.IsFunction()) {
      return Error(Status::kInvalidArg, "Expected a function");
    }
    if (!convert && !kHasDefaultConversion<T>) {
      return Error(Status::kInvalidArg,
                   "This payload type has no JsTraits: pass a converter");
    }
    if (options.lend_batches && !options.batched) {
      return Error(Status::kInvalidArg, "lend_batches needs batched delivery");
    }
    if (options.lend_batches && !(detail::kNumericPayload<T> && !convert)) {
      return Error(Status::kInvalidArg,
                   "Lent batches need a numeric payload and no converter");
    }
    const bool weak = options.weak;
    auto state =
        std::make_shared<State>(fn, std::move(options), std::move(convert));
    Status status = state->Start(env, weak);
    if (status != Status::kOk) {
      return Error(status, "Could not create the JS-thread wake-up");
    }
    return ThreadsafeFunction(std::move(state));
  }

  // Any thread. Copying acquires: the function stays open while any handle
  // lives.
  ThreadsafeFunction(const ThreadsafeFunction& other) : state_(other.state_) {
    if (state_) (void)state_->queue().Acquire();
  }
  ThreadsafeFunction& operator=(const ThreadsafeFunction& other) {
    if (this != &other) {
      ThreadsafeFunction copy(other);
      *this = std::move(copy);
    }
    return *this;
  }
  ThreadsafeFunction(ThreadsafeFunction&& other) noexcept = default;
  ThreadsafeFunction& operator=(ThreadsafeFunction&& other) noexcept {
    if (this != &other) {
      Release();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  ~ThreadsafeFunction() { Release(); }

  // Any thread. Queues `value` for the JS function. Returns kOk; kQueueFull
  // when non-blocking and the queue is full (the value is dropped here);
  // kWouldDeadlock for a blocking call on the JS thread that would wait;
  // kClosing once aborted, released or finalized, or on an empty handle.
  // With no consumer, a JS exception in the callback is uncaught.
  [[nodiscard]] Status Call(T value, CallMode mode = CallMode::kNonBlocking) {
    detail::CallItem<T> item(std::move(value));
    return PushItem(item, mode);
  }
  // Any thread. Queues a value or an Error. CalleeHandled: JS receives the
  // error as its only argument. Fatal: the error becomes uncaught.
  [[nodiscard]] Status Call(Result<T> value,
                            CallMode mode = CallMode::kNonBlocking) {
    return Push(std::move(value), nullptr, mode);
  }

  // Any thread. Queues values[0], ..., values[n - 1] as n calls, in order:
  // JS sees exactly what n Call()s from this thread would give it, but the
  // producer takes the queue's lock once, and rings at most once, for the
  // block (a codec's samples, a tool's log lines). `values` is an iterator
  // over what a T is made from: a pointer copies the values, and
  // std::make_move_iterator(...) moves them (move-only payloads, or long
  // strings not to copy); either way a value is read only as it is queued,
  // and one not queued is left as it was. Returns kOk when all n were
  // queued; otherwise the status Call() would have given the first one
  // refused (kQueueFull, kWouldDeadlock, kClosing), the values before it
  // queued and it and those after it not (retry from values + *queued);
  // kInvalidArg (nothing queued) for null `values` with n > 0 or a bad
  // mode. *queued, if given, says how many were queued. Blocking waits for
  // room as often as it needs (n may exceed max_queue_size), and other
  // threads' calls may then come between the values; from the JS thread,
  // a full queue gives kWouldDeadlock as Call() would.
  template <typename It>
  [[nodiscard]] Status CallMany(It values, size_t n,
                                CallMode mode = CallMode::kNonBlocking,
                                size_t* queued = nullptr) {
    static_assert(std::is_constructible<T, decltype(*values)>::value,
                  "CallMany makes each payload from *values: a T must be "
                  "constructible from it (std::make_move_iterator for "
                  "move-only payloads)");
    if (queued != nullptr) *queued = 0;
    if constexpr (std::is_pointer<It>::value) {
      if (values == nullptr && n > 0) return Status::kInvalidArg;
    }
    if (!state_) return Status::kClosing;
    size_t pushed = 0;
    // PushMany makes the items in order, once each, only those it queues.
    Status status = state_->queue().PushMany(
        n,
        [&values](size_t) {
          detail::CallItem<T> item{T(*values)};
          ++values;
          return item;
        },
        mode, &pushed);
    if (queued != nullptr) *queued = pushed;
    return status;
  }
  // A null block: InvalidArg unless it is empty.
  [[nodiscard]] Status CallMany(std::nullptr_t, size_t n,
                                CallMode mode = CallMode::kNonBlocking,
                                size_t* queued = nullptr) {
    return CallMany(static_cast<const T*>(nullptr), n, mode, queued);
  }

  // Any thread. Like Call, and `consumer` runs on the JS thread with what
  // the callback returned, converted to R (FromJs<R>), or the Error it
  // threw (code PendingException, the thrown value kept). Fatal: a result
  // that does not convert is an uncaught exception instead. A dropped call
  // gives the consumer Closing; a refused one (status != kOk) never runs it.
  template <typename R>
  [[nodiscard]] Status CallWithReturnValue(
      Result<T> value, CallMode mode, std::function<void(Result<R>)> consumer) {
    return Push(std::move(value),
                std::make_unique<detail::ConsumerCompletion<R, S>>(
                    std::move(consumer)),
                mode);
  }

  // Any thread. An awaited call: the future settles with the callback's
  // result converted to R, after awaiting it if it is a Promise or thenable;
  // or with the thrown / rejected value (identity kept); or Closing if
  // dropped. A refused call settles at once with its status.
  template <typename R>
  Future<R> CallAsync(Result<T> value, CallMode mode = CallMode::kNonBlocking) {
    auto state = std::make_shared<detail::FutureState<R>>(JsThreadId());
    Status status = Push(std::move(value),
                         std::make_unique<detail::FutureCompletion<R>>(state),
                         mode);
    if (status != Status::kOk) {
      state->Settle(Error(status, std::string("The call was refused: ") +
                                      StatusName(status)));
    }
    return Future<R>(state);
  }

  // Any thread but the JS thread. A synchronous round trip: blocks until the
  // callback has returned (and its promise settled), then gives its result
  // or error; Error{Timeout} after `timeout`. On the JS thread it returns
  // WouldDeadlock at once and queues nothing: that thread is the one that
  // would have to run the callback.
  template <typename R>
  Result<R> CallSync(Result<T> value,
                     std::optional<std::chrono::milliseconds> timeout =
                         std::nullopt) {
    if (state_ && state_->queue().OnOwnerThread()) {
      return Error(Status::kWouldDeadlock,
                   "A synchronous call on the JS thread would deadlock");
    }
    Future<R> future = CallAsync<R>(std::move(value), CallMode::kBlocking);
    return timeout ? future.WaitFor(*timeout) : future.Wait();
  }

  // Any thread. Drops queued calls, wakes blocked producers with kClosing and
  // finalizes on the JS thread. Returns kClosing if already aborted/finalized.
  Status Abort() { return state_ ? state_->Abort() : Status::kClosing; }

  // Any thread. Releases this handle now (it becomes empty).
  void Release() {
    if (state_) {
      state_->queue().Release();
      state_.reset();
    }
  }

  // JS thread. Ref: keep the event loop alive while open (the default).
  // Unref: let the process exit even though this function is open.
  void Ref() {
    if (state_) state_->doorbell().Ref();
  }
  void Unref() {
    if (state_) state_->doorbell().Unref();
  }

  // Any thread. Calls accepted, delivered and dropped so far.
  typename CallQueue<detail::CallItem<T>, BackendDoorbell>::Counts Counts() const {
    return state_ ? state_->queue().counts()
                  : typename CallQueue<detail::CallItem<T>, BackendDoorbell>::Counts{0, 0, 0};
  }

  explicit operator bool() const { return state_ != nullptr; }

 private:
  explicit ThreadsafeFunction(std::shared_ptr<State> state)
      : state_(std::move(state)) {}

  Status Push(Result<T> payload, std::unique_ptr<detail::Completion> done,
              CallMode mode) {
    if (payload.ok()) {
      detail::CallItem<T> item(std::move(payload).value(), std::move(done));
      return PushItem(item, mode);
    }
    detail::CallItem<T> item(typename detail::CallItem<T>::Failed{}, payload.TakeError(),
                             std::move(done));
    return PushItem(item, mode);
  }
  Status PushItem(detail::CallItem<T>& item, CallMode mode) {
    Status status =
        state_ ? state_->queue().Push(item, mode) : Status::kClosing;
    if (status != Status::kOk) {
      if (detail::Completion* done = item.done()) done->Disarm();
    }
    return status;
  }
  std::thread::id JsThreadId() const {
    return state_ ? state_->queue().owner() : std::thread::id();
  }

  std::shared_ptr<State> state_;
};

// Builder-style creation, as NAPI-RS's build_threadsafe_function(): Fatal by
// default, CalleeHandled<true>() switches the strategy (and the type).
//   auto tsfn = BuildThreadsafeFunction<bool>(env, fn)
//                   .CalleeHandled<true>().MaxQueueSize(16).Weak(true).Build();
template <typename T, ErrorStrategy S = ErrorStrategy::kFatal>
class ThreadsafeFunctionBuilder {
 public:
  using Converter = typename ThreadsafeFunction<T, S>::Converter;

  ThreadsafeFunctionBuilder(Env env, Value fn) : env_(env), fn_(fn) {}

  template <bool kCalleeHandled>
  auto CalleeHandled() const {
    constexpr ErrorStrategy kNew = kCalleeHandled
                                       ? ErrorStrategy::kCalleeHandled
                                       : ErrorStrategy::kFatal;
    ThreadsafeFunctionBuilder<T, kNew> next(env_, fn_);
    next.options_ = options_;
    return next;
  }
  ThreadsafeFunctionBuilder& MaxQueueSize(size_t n) {
    options_.max_queue_size = n;
    return *this;
  }
  ThreadsafeFunctionBuilder& Weak(bool weak) {
    options_.weak = weak;
    return *this;
  }
  ThreadsafeFunctionBuilder& Finalizer(std::function<void()> fn) {
    options_.finalizer = std::move(fn);
    return *this;
  }
  ThreadsafeFunctionBuilder& Convert(Converter convert) {
    convert_ = std::move(convert);
    return *this;
  }
  // JS thread.
  Result<ThreadsafeFunction<T, S>> Build() {
    return ThreadsafeFunction<T, S>::Create(env_, fn_, options_, convert_);
  }

 private:
  template <typename, ErrorStrategy>
  friend class ThreadsafeFunctionBuilder;

  Env env_;
  Value fn_;
  ThreadsafeFunctionOptions options_;
  Converter convert_;
};

template <typename T>
ThreadsafeFunctionBuilder<T> BuildThreadsafeFunction(Env env, Value fn) {
  return ThreadsafeFunctionBuilder<T>(env, fn);
}

}  // namespace anythread

#endif  // ANYTHREAD_THREADSAFE_FUNCTION_HPP_
