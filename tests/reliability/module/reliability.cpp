// The reliability suites' module: producers on their own threads calling one
// threadsafe function with sequence-numbered payloads whose destructors are
// counted, so JS can check that every accepted call ended in exactly one
// outcome. Written against the public API only, like a user's module.
//
//   run(callback, options) -> Promise<RunStats>
//     callback(producer, seq)      Fatal strategy, one JS call per item.
//     options.producers            1..64 threads
//     options.callsEach            calls per producer (0..10^8)
//     options.maxQueueSize         0 (unbounded) .. 2^20
//     options.blocking             Blocking calls, else NonBlocking with
//                                  retry on QueueFull
//     options.abortAfter           -1: never; 0: abort from the JS thread as
//                                  soon as the producers are started; n > 0:
//                                  abort from the JS thread at the n-th
//                                  delivery (inside the conversion)
//     options.releaseSeed          -1: each producer makes all its calls;
//                                  else each producer stops at a pseudo-random
//                                  count drawn from this seed and releases
//                                  its handle (the last release closes)
//     options.block                1 (the default): one Call() per payload;
//                                  n in 2..4096: CallMany() of blocks of n
//                                  payloads (the last one shorter), copied
//                                  from prototypes that count nothing
//                                  themselves, so only the copies the queue
//                                  makes count; a block refused in part
//                                  goes on from its first refused payload.
//                                  Attempts then count payloads queued plus
//                                  one per refusal; a refused Call()
//                                  destroys its payload, a refused
//                                  CallMany() copies none.
//   Resolves once every producer has finished and the function finalized.
//
//   flood(callback, { count, converter, batched, lend, fromThread, keep,
//                     payload }) -> number
//     Queues callback(i) for i in [0, count) from the JS thread itself
//     (NonBlocking, unbounded), before anything can drain, then releases;
//     returns how many calls were accepted. Plain numbers go through the
//     numeric fast path; with converter: true each goes through a converter
//     (the per-item path); batched: true hands JS Uint32Array batches,
//     lent ones (detached when the callback returns) with lend: true.
//     payload "string" makes the payloads std::strings (String(i)), which
//     go through the string loop, as do those of "long" (String(i), a
//     space and 32,768 'é's: 64 KiB of UTF-8 each, costly to make into JS
//     strings); "vector" std::vector<uint32_t>s ([i]),
//     "tuple" std::tuple<uint32_t, std::string>s ([i, String(i)]), "words"
//     std::vector<std::string>s ([String(i)]) and "slow" numbers that take
//     about 20 us each to convert (counted: floodConversions()), through
//     the value loop ("number", the default: uint32_t); batched, all but
//     numbers come in Arrays. keep: true keeps a handle for
//     floodAbort(). (lend, fromThread and keep are optional booleans.)
//     For the drain's yield bounds (count and time), and for lent batches.
//   floodConversions() -> number
//     How many "slow" payloads the last flood() of them has converted so
//     far: once each, as the value loop makes them, and again only for
//     those a drain made but did not deliver.
//   floodAbort() -> string
//     Aborts the function the last flood() kept and lets go of it; returns
//     the status's name.
//
//   typedBatch(callback, { type, values, lend }) -> number
//     A batched function (Fatal) over a payload of the C++ type named by
//     type ("int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t",
//     "uint32_t", "float", "double", "int64_t", "uint64_t", "long",
//     "size_t"; "bool", which
//     batched delivery refuses, throws its Error): the JS thread
//     queues each of values (numbers, converted with static_cast) before
//     anything drains, then releases; returns how many calls were accepted.
//     For the typed array each payload type's batches arrive in.
//
//   callMany(callback, { values, maxQueueSize, blocking, fromThread,
//                        batched }) -> Promise<{ status, queued }>
//     A function over callback(n) (Fatal, uint32_t payloads; batched: one
//     Uint32Array per drained batch) with that bound (0: unbounded), given
//     all of values (integers in [0, 2^32)) in one CallMany(), Blocking or
//     NonBlocking, from the JS thread or (fromThread) from a thread of its
//     own while the JS thread goes on; then released. Resolves with the
//     status's name and how many values were queued. For CallMany's
//     statuses and what JS sees of a block.
//
//   ticker(callback, { periodMs, count, weak }) -> undefined
//     One thread calls callback(0, i) for i in [0, count), every periodMs,
//     then releases; it stops early at Closing. A weak function does not
//     keep the process alive; a strong one does, until released.
//
//   liveFunctions() -> number
//     anythread::LiveThreadsafeFunctions(): functions whose state is alive.
//     For checking that a finalized function lets go of its state (and its
//     queue's memory) without waiting for a garbage collection.
//
//   echoStart(callback) -> undefined; echoCall(n) -> status; echoStop()
//     A function over callback(n) (Fatal, plain numbers, one call per item)
//     kept by the module: a thread calls it once with 0 (an idle function,
//     so that call is the handed-over one); echoCall(n) calls it from the JS
//     thread and returns the status's name ("Ok"); echoStop() releases it.
//     For calls JS makes from inside a callback.
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "anythread/anythread.hpp"

namespace {

using anythread::Args;
using anythread::CallbackInfo;
using anythread::CallMode;
using anythread::Deferred;
using anythread::Env;
using anythread::ErrorKind;
using anythread::ErrorStrategy;
using anythread::Result;
using anythread::Status;
using anythread::Value;

struct Counters {
  std::atomic<uint64_t> constructed{0};  // Live payloads ever made.
  std::atomic<uint64_t> destroyed{0};    // Live payloads destroyed.
  std::atomic<uint64_t> delivered{0};    // Converted for JS (JS thread).
  std::atomic<uint64_t> undelivered{0};  // Destroyed without delivery.
};

// A payload that counts its own life: moved-from shells count nothing. A
// prototype (for CallMany) counts nothing either, but its copies do.
class Item {
 public:
  Item(uint32_t producer, uint32_t seq, Counters* c)
      : producer_(producer), seq_(seq), c_(c) {
    c_->constructed.fetch_add(1, std::memory_order_relaxed);
  }
  static Item Prototype(uint32_t producer, Counters* c) {
    Item item;
    item.producer_ = producer;
    item.copies_count_in_ = c;
    return item;
  }
  Item(const Item& o)
      : producer_(o.producer_), seq_(o.seq_),
        c_(o.c_ ? o.c_ : o.copies_count_in_) {
    if (c_) c_->constructed.fetch_add(1, std::memory_order_relaxed);
  }
  Item(Item&& o) noexcept
      : producer_(o.producer_), seq_(o.seq_), c_(o.c_),
        copies_count_in_(o.copies_count_in_), delivered_(o.delivered_) {
    o.c_ = nullptr;
  }
  Item& operator=(Item&& o) noexcept {
    if (this != &o) {
      Count();
      producer_ = o.producer_;
      seq_ = o.seq_;
      c_ = o.c_;
      copies_count_in_ = o.copies_count_in_;
      delivered_ = o.delivered_;
      o.c_ = nullptr;
    }
    return *this;
  }
  Item& operator=(const Item&) = delete;
  ~Item() { Count(); }
  void set_seq(uint32_t seq) { seq_ = seq; }

  // JS thread, at delivery.
  void MarkDelivered() {
    if (c_ && !delivered_) {
      delivered_ = true;
      c_->delivered.fetch_add(1, std::memory_order_relaxed);
    }
  }
  uint32_t producer() const { return producer_; }
  uint32_t seq() const { return seq_; }

 private:
  void Count() {
    if (!c_) return;
    c_->destroyed.fetch_add(1, std::memory_order_relaxed);
    if (!delivered_) c_->undelivered.fetch_add(1, std::memory_order_relaxed);
    c_ = nullptr;
  }
  Item() = default;
  uint32_t producer_ = 0, seq_ = 0;
  Counters* c_ = nullptr;
  Counters* copies_count_in_ = nullptr;  // A prototype's counters.
  bool delivered_ = false;
};

struct Options {
  size_t producers = 0, calls_each = 0, max_queue_size = 0, block = 1;
  bool blocking = false;
  double abort_after = -1, release_seed = -1;
};

struct ManyResult {
  Status status = Status::kOk;
  size_t queued = 0;
};

struct RunStats {
  uint64_t attempts = 0, accepted = 0, refused_full = 0, refused_closing = 0,
           ok_after_closing = 0, other_status = 0;
  // Payloads refused calls destroyed (not delivered, and not dropped).
  uint64_t refused_payloads = 0;
  uint64_t constructed = 0, destroyed = 0, delivered = 0, dropped = 0;
  // The core's own counts; -1 (null in JS) for release runs, where no
  // handle is left to ask.
  double core_accepted = -1, core_delivered = -1, core_dropped = -1;
  uint64_t finalized = 0;
};

}  // namespace

template <>
struct anythread::JsTraits<RunStats> {
  static Value ToJs(Env env, const RunStats& s) {
    Value o = Value::Object(env);
    auto set = [&](const char* k, uint64_t v) {
      o.Set(k, Value::Number(env, static_cast<double>(v)));
    };
    set("attempts", s.attempts);
    set("accepted", s.accepted);
    set("refusedQueueFull", s.refused_full);
    set("refusedClosing", s.refused_closing);
    set("okAfterClosing", s.ok_after_closing);
    set("otherStatus", s.other_status);
    set("constructed", s.constructed);
    set("destroyed", s.destroyed);
    set("delivered", s.delivered);
    set("dropped", s.dropped);
    auto set_core = [&](const char* k, double v) {
      o.Set(k, v < 0 ? Value::Null(env) : Value::Number(env, v));
    };
    set_core("coreAccepted", s.core_accepted);
    set_core("coreDelivered", s.core_delivered);
    set_core("coreDropped", s.core_dropped);
    set("finalized", s.finalized);
    return o;
  }
};

template <>
struct anythread::JsTraits<ManyResult> {
  static Value ToJs(Env env, const ManyResult& r) {
    Value o = Value::Object(env);
    o.Set("status", Value::String(env, anythread::StatusName(r.status)));
    o.Set("queued", Value::Number(env, static_cast<double>(r.queued)));
    return o;
  }
};

// flood()'s payload "long": String(i), a space and 32,768 'é's (64 KiB of
// UTF-8 that JS holds as two-byte characters), as a log line or a JSON
// document would be: costly to make into a JS string.
namespace {
constexpr size_t kLongStringChars = 32768;
std::string LongString(uint32_t i) {
  std::string s = std::to_string(i);
  s += ' ';
  s.reserve(s.size() + 2 * kLongStringChars);
  for (size_t k = 0; k < kLongStringChars; ++k) s += "\xC3\xA9";
  return s;
}
}  // namespace

// flood()'s payload "slow": a number whose conversion takes about 20 us
// and is counted (floodConversions()), as a payload costly to make into
// its JS value would be (in wasm, a tuple's Array made through embind).
struct SlowNumber {
  uint32_t i;
};
namespace {
std::atomic<uint64_t> slow_conversions{0};
}  // namespace
template <>
struct anythread::JsTraits<SlowNumber> {
  static Value ToJs(Env env, const SlowNumber& v) {
    slow_conversions.fetch_add(1, std::memory_order_relaxed);
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
    while (std::chrono::steady_clock::now() < until) {
      // Spin: a costly conversion.
    }
    return Value::Number(env, v.i);
  }
};

namespace {

Value Throw(Env env, ErrorKind kind, const std::string& msg) {
  return anythread::ThrowError(env, kind,
                               anythread::StatusName(Status::kInvalidArg), msg);
}

// options[name]: a number, integer unless `fractional`, in [min, max].
bool ReadNumber(Env env, Value options, const char* name, double min,
                double max, double* out) {
  Value v = options.Get(name);
  if (!v.IsNumber()) {
    Throw(env, ErrorKind::kTypeError,
          std::string("options.") + name + " must be a number");
    return false;
  }
  double d = v.AsNumber();
  if (!(d >= min && d <= max) || std::floor(d) != d) {
    Throw(env, ErrorKind::kRangeError,
          std::string("options.") + name + " must be an integer from " +
              std::to_string(static_cast<long long>(min)) + " to " +
              std::to_string(static_cast<long long>(max)));
    return false;
  }
  *out = d;
  return true;
}

// Every export's shape: (callback, options object). A TypeError otherwise.
bool ReadCallbackAndOptions(const CallbackInfo& info) {
  Env env = info.env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Throw(env, ErrorKind::kTypeError, "callback must be a function");
    return false;
  }
  if (info.Length() < 2 || !info[1].IsObject() || info[1].IsArray() ||
      info[1].IsFunction()) {
    Throw(env, ErrorKind::kTypeError, "options must be an object");
    return false;
  }
  return true;
}

bool ReadOptions(const CallbackInfo& info, Options* o) {
  Env env = info.env();
  if (!ReadCallbackAndOptions(info)) return false;
  Value opts = info[1];
  double producers, each, max, abort_after = -1, seed = -1;
  if (!ReadNumber(env, opts, "producers", 1, 64, &producers) ||
      !ReadNumber(env, opts, "callsEach", 0, 1e8, &each) ||
      !ReadNumber(env, opts, "maxQueueSize", 0, 1 << 20, &max)) {
    return false;
  }
  Value blocking = opts.Get("blocking");
  if (!blocking.IsBoolean()) {
    Throw(env, ErrorKind::kTypeError, "options.blocking must be a boolean");
    return false;
  }
  if (!opts.Get("abortAfter").IsUndefined() &&
      !ReadNumber(env, opts, "abortAfter", -1, 1e12, &abort_after)) {
    return false;
  }
  if (!opts.Get("releaseSeed").IsUndefined() &&
      !ReadNumber(env, opts, "releaseSeed", -1, 4294967295.0, &seed)) {
    return false;
  }
  double block = 1;
  if (!opts.Get("block").IsUndefined() &&
      !ReadNumber(env, opts, "block", 1, 4096, &block)) {
    return false;
  }
  if (abort_after > producers * each) {
    Throw(env, ErrorKind::kRangeError,
          "options.abortAfter must not exceed producers * callsEach");
    return false;
  }
  if (abort_after >= 0 && seed >= 0) {
    Throw(env, ErrorKind::kRangeError,
          "options.abortAfter and options.releaseSeed exclude each other");
    return false;
  }
  o->producers = static_cast<size_t>(producers);
  o->calls_each = static_cast<size_t>(each);
  o->max_queue_size = static_cast<size_t>(max);
  o->blocking = blocking.AsBool();
  o->abort_after = abort_after;
  o->release_seed = seed;
  o->block = static_cast<size_t>(block);
  return true;
}

// A small deterministic generator (splitmix64) for the release points.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A producer's pause between retries on QueueFull: spinning producers would
// take the cores the JS thread needs to make room. A timed wait on a private
// condition variable really sleeps in wasm too (sleep_for below 1 ms spins
// there, in Emscripten 3.1.6's emscripten_thread_sleep).
class Backoff {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    (void)cv_.wait_for(lock, std::chrono::microseconds(50));
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
};

using Tsfn = anythread::ThreadsafeFunction<Item, ErrorStrategy::kFatal>;

struct Run {
  Options options;
  Counters counters;
  std::mutex mutex;
  std::condition_variable finalized_cv;
  uint64_t finalized = 0;
  // Abort runs only: the handle the JS thread aborts through (used on the JS
  // thread only; released with the Run, after finalization).
  Tsfn self;

  void WaitFinalized(RunStats* stats) {
    std::unique_lock<std::mutex> lock(mutex);
    finalized_cv.wait(lock, [&] { return finalized > 0; });
    stats->finalized = finalized;
  }
};

void Add(RunStats* to, const RunStats& s) {
  to->attempts += s.attempts;
  to->accepted += s.accepted;
  to->refused_full += s.refused_full;
  to->refused_closing += s.refused_closing;
  to->ok_after_closing += s.ok_after_closing;
  to->other_status += s.other_status;
  to->refused_payloads += s.refused_payloads;
}

// A producer of run(): payloads [0, stop_at) by CallMany() in blocks of
// options.block, copied from prototypes (which count nothing themselves).
// A block refused in part goes on from its first refused payload: after
// QueueFull (non-blocking) with a back-off, after Closing with the next
// block (up to 4 refusals, as single calls do).
void ProduceInBlocks(Tsfn& f, Run& run, size_t p, size_t stop_at, CallMode mode,
                     Backoff& backoff, RunStats* s) {
  std::vector<Item> block;
  block.reserve(run.options.block);
  for (size_t j = 0; j < run.options.block; ++j) {
    block.push_back(Item::Prototype(static_cast<uint32_t>(p), &run.counters));
  }
  size_t closing_seen = 0;
  for (size_t first = 0; first < stop_at && closing_seen < 4;) {
    const size_t n = std::min(run.options.block, stop_at - first);
    for (size_t j = 0; j < n; ++j) block[j].set_seq(static_cast<uint32_t>(first + j));
    size_t done = 0;
    while (done < n) {
      size_t queued = 0;
      Status st = f.CallMany(block.data() + done, n - done, mode, &queued);
      done += queued;
      s->attempts += queued;
      (closing_seen ? s->ok_after_closing : s->accepted) += queued;
      if (st == Status::kOk) break;
      ++s->attempts;
      if (st == Status::kQueueFull) {
        if (++s->refused_full % 16 == 0) {
          backoff.Wait();
        } else {
          std::this_thread::yield();
        }
        continue;
      }
      if (st == Status::kClosing) {
        ++s->refused_closing;
        ++closing_seen;
      } else {
        ++s->other_status;
      }
      break;  // The rest of this block is not queued: on to the next.
    }
    first += n;
  }
}

Value RunExport(const CallbackInfo& info) {
  Env env = info.env();
  Options options;
  if (!ReadOptions(info, &options)) return Value::Undefined(env);
  auto run = std::make_shared<Run>();
  run->options = options;
  anythread::ThreadsafeFunctionOptions tsfn_options;
  tsfn_options.max_queue_size = options.max_queue_size;
  // The function's callbacks hold the Run by raw pointer (the Run holds the
  // function in abort runs; a shared_ptr would make a cycle): the coordinator
  // keeps the Run alive until finalization, after which neither runs.
  Run* r = run.get();
  tsfn_options.finalizer = [r] {
    std::lock_guard<std::mutex> lock(r->mutex);
    ++r->finalized;
    r->finalized_cv.notify_all();
  };
  auto tsfn = Tsfn::Create(
      env, info[0], tsfn_options, [r](Env env, Item& item) -> Result<Args> {
        item.MarkDelivered();
        uint64_t n = r->counters.delivered.load(std::memory_order_relaxed);
        if (r->options.abort_after > 0 &&
            n == static_cast<uint64_t>(r->options.abort_after)) {
          (void)r->self.Abort();
        }
        return Args{Value::Number(env, item.producer()),
                    Value::Number(env, item.seq())};
      });
  if (!tsfn.ok()) {
    return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  }
  Value promise;
  auto deferred = Deferred<RunStats>::Create(env, &promise);
  if (!deferred.ok()) {
    return anythread::ThrowError(env, ErrorKind::kError, deferred.error());
  }
  if (options.abort_after >= 0) run->self = tsfn.value();

  // One coordinator thread starts the producers, joins them, waits for the
  // finalizer and settles the promise (the JS thread never waits).
  std::thread([run, tsfn = std::move(tsfn).value(),
               d = deferred.value()]() mutable {
    const Options& o = run->options;
    std::mutex stats_mutex;
    RunStats stats;
    std::vector<std::thread> producers;
    for (size_t p = 0; p < o.producers; ++p) {
      size_t stop_at = o.calls_each;
      if (o.release_seed >= 0 && o.calls_each > 0) {
        stop_at = Mix(static_cast<uint64_t>(o.release_seed) * 131 + p) %
                  (o.calls_each + 1);
      }
      producers.emplace_back([&, p, stop_at, f = tsfn]() mutable {
        RunStats s;
        Backoff backoff;
        CallMode mode = o.blocking ? CallMode::kBlocking : CallMode::kNonBlocking;
        size_t closing_seen = 0;
        if (o.block > 1) {
          ProduceInBlocks(f, *run, p, stop_at, mode, backoff, &s);
          f.Release();
          std::lock_guard<std::mutex> lock(stats_mutex);
          Add(&stats, s);
          return;
        }
        for (size_t i = 0; i < stop_at; ++i) {
          Status st;
          for (;;) {
            ++s.attempts;
            st = f.Call(Item(static_cast<uint32_t>(p), static_cast<uint32_t>(i),
                             &run->counters),
                        mode);
            if (st != Status::kQueueFull) break;
            if (++s.refused_full % 16 == 0) {
              backoff.Wait();
            } else {
              std::this_thread::yield();
            }
          }
          if (st == Status::kOk) {
            if (closing_seen) {
              ++s.ok_after_closing;
            } else {
              ++s.accepted;
            }
          } else if (st == Status::kClosing) {
            ++s.refused_closing;
            // A few more attempts must all be refused the same way.
            if (++closing_seen == 4) break;
          } else {
            ++s.other_status;
          }
        }
        // Each refused Call() destroyed its payload.
        s.refused_payloads = s.refused_full + s.refused_closing + s.other_status;
        f.Release();  // Release runs: possibly the last handle.
        std::lock_guard<std::mutex> lock(stats_mutex);
        Add(&stats, s);
      });
    }
    // Release runs: only the producers hold the function now.
    if (o.release_seed >= 0) tsfn.Release();
    for (auto& t : producers) t.join();
    if (o.abort_after >= 0) {
      run->WaitFinalized(&stats);
      auto core = tsfn.Counts();
      stats.core_accepted = core.accepted;
      stats.core_delivered = core.delivered;
      stats.core_dropped = core.dropped;
      tsfn.Release();
    } else if (o.release_seed < 0) {
      // Plain runs: this handle is the last; read the core's counts once
      // everything accepted has an outcome, then release (finalizes).
      auto core = tsfn.Counts();
      while (core.delivered + core.dropped < core.accepted) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        core = tsfn.Counts();
      }
      stats.core_accepted = core.accepted;
      stats.core_delivered = core.delivered;
      stats.core_dropped = core.dropped;
      tsfn.Release();
      run->WaitFinalized(&stats);
    } else {
      run->WaitFinalized(&stats);
    }
    // Finalized: every payload was delivered or destroyed by now.
    stats.constructed = run->counters.constructed.load();
    stats.destroyed = run->counters.destroyed.load();
    stats.delivered = run->counters.delivered.load();
    // Refused calls destroy their payload without delivery too.
    stats.dropped = run->counters.undelivered.load() - stats.refused_payloads;
    d.Resolve(stats);
  }).detach();

  if (options.abort_after == 0) (void)run->self.Abort();
  return promise;
}

// The function flood() kept (keep: true) for floodAbort(): its abort,
// holding a handle of its own. JS thread only; one per runtime.
std::function<Status()>& KeptFlood() {
  static std::function<Status()> abort;
  return abort;
}

// flood() over payloads of type T, call i's payload make(i).
template <typename T, typename Make>
Value Flood(Env env, const Value& callback, uint32_t count, bool converter,
            anythread::ThreadsafeFunctionOptions options, bool from_thread, bool keep,
            Make make) {
  using F = anythread::ThreadsafeFunction<T, ErrorStrategy::kFatal>;
  auto tsfn = converter
                  ? F::Create(env, callback, options,
                              [](Env env, T& v) -> Result<Args> {
                                return Args{anythread::JsTraits<T>::ToJs(env, v)};
                              })
                  : F::Create(env, callback, options);
  if (!tsfn.ok()) return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  F f = std::move(tsfn).value();
  if (keep) {
    KeptFlood() = [kept = f]() mutable {
      Status status = kept.Abort();
      kept.Release();
      return status;
    };
  }
  double accepted = 0;
  auto queue_all = [&] {
    for (uint32_t i = 0; i < count; ++i) {
      if (f.Call(make(i), CallMode::kNonBlocking) == Status::kOk) ++accepted;
    }
  };
  if (from_thread) {
    // A thread makes the calls while the JS thread waits for it here. In
    // wasm the main thread runs the queued proxied calls meanwhile
    // (Emscripten's main-thread wait does), and with them the wake-up
    // messages of doorbells that have no Atomics.waitAsync: their drains
    // run inside this call.
    std::thread(queue_all).join();
  } else {
    queue_all();
  }
  f.Release();
  return Value::Number(env, accepted);
}

Value FloodExport(const CallbackInfo& info) {
  Env env = info.env();
  if (!ReadCallbackAndOptions(info)) return Value::Undefined(env);
  double count;
  if (!ReadNumber(env, info[1], "count", 0, 1e7, &count)) return Value::Undefined(env);
  Value converter = info[1].Get("converter");
  Value batched = info[1].Get("batched");
  if (!converter.IsBoolean() || !batched.IsBoolean()) {
    return Throw(env, ErrorKind::kTypeError,
                 "options.converter and options.batched must be booleans");
  }
  bool flags[3] = {};  // lend, fromThread, keep: optional booleans.
  const char* names[3] = {"lend", "fromThread", "keep"};
  for (int k = 0; k < 3; ++k) {
    Value flag = info[1].Get(names[k]);
    if (!flag.IsUndefined() && !flag.IsBoolean()) {
      return Throw(env, ErrorKind::kTypeError,
                   std::string("options.") + names[k] + " must be a boolean");
    }
    flags[k] = flag.IsBoolean() && flag.AsBool();
  }
  anythread::ThreadsafeFunctionOptions options;
  options.batched = batched.AsBool();
  options.lend_batches = flags[0];
  Value payload = info[1].Get("payload");
  const std::string kind = payload.IsUndefined() ? "number" : payload.IsString() ? payload.AsString() : "";
  const auto n = static_cast<uint32_t>(count);
  const bool conv = converter.AsBool();
  if (kind == "number") {
    return Flood<uint32_t>(env, info[0], n, conv, options, flags[1], flags[2],
                           [](uint32_t i) { return i; });
  }
  if (kind == "string") {
    return Flood<std::string>(env, info[0], n, conv, options, flags[1], flags[2],
                              [](uint32_t i) { return std::to_string(i); });
  }
  if (kind == "long") {
    return Flood<std::string>(env, info[0], n, conv, options, flags[1], flags[2], LongString);
  }
  if (kind == "vector") {
    return Flood<std::vector<uint32_t>>(env, info[0], n, conv, options, flags[1], flags[2],
                                        [](uint32_t i) { return std::vector<uint32_t>{i}; });
  }
  if (kind == "slow") {
    slow_conversions.store(0, std::memory_order_relaxed);
    return Flood<SlowNumber>(env, info[0], n, conv, options, flags[1], flags[2],
                             [](uint32_t i) { return SlowNumber{i}; });
  }
  if (kind == "tuple") {
    return Flood<std::tuple<uint32_t, std::string>>(
        env, info[0], n, conv, options, flags[1], flags[2],
        [](uint32_t i) { return std::make_tuple(i, std::to_string(i)); });
  }
  if (kind == "words") {
    return Flood<std::vector<std::string>>(env, info[0], n, conv, options, flags[1], flags[2],
                                           [](uint32_t i) { return std::vector<std::string>{std::to_string(i)}; });
  }
  return Throw(env, ErrorKind::kTypeError,
               "options.payload must be 'number', 'string', 'long', 'vector', 'tuple', 'words' "
               "or 'slow'");
}

// Aborts the function the last flood() with keep: true kept, and lets go of
// it; returns the abort's status name ("Ok"). TypeError when none is kept.
Value FloodAbortExport(const CallbackInfo& info) {
  Env env = info.env();
  if (!KeptFlood()) return Throw(env, ErrorKind::kTypeError, "no flood() is kept");
  auto abort = std::move(KeptFlood());
  KeptFlood() = nullptr;
  return Value::String(env, anythread::StatusName(abort()));
}

// A batched function over `callback` (strategy S; batches lent when
// `lend`): the JS thread queues make(0), ..., make(n - 1) (payloads, or
// Result<T>s) before anything drains, then releases it. Returns how many
// calls were accepted.
template <typename T, ErrorStrategy S, typename Make>
Value QueueBatchFromJs(Env env, const Value& callback, bool lend, uint32_t n, Make make,
                       bool batched = true) {
  anythread::ThreadsafeFunctionOptions options;
  options.batched = batched;
  options.lend_batches = lend;
  auto tsfn = anythread::ThreadsafeFunction<T, S>::Create(env, callback, options);
  if (!tsfn.ok()) return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  auto f = std::move(tsfn).value();
  double accepted = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (f.Call(make(i), CallMode::kNonBlocking) == Status::kOk) ++accepted;
  }
  f.Release();
  return Value::Number(env, accepted);
}

template <typename T>
Value QueueTypedBatch(Env env, const Value& callback, const Value& values, bool lend) {
  return QueueBatchFromJs<T, ErrorStrategy::kFatal>(
      env, callback, lend, values.Length(),
      [&](uint32_t i) { return static_cast<T>(values.Get(i).AsNumber()); });
}

Value TypedBatchExport(const CallbackInfo& info) {
  Env env = info.env();
  if (!ReadCallbackAndOptions(info)) return Value::Undefined(env);
  Value type = info[1].Get("type");
  Value values = info[1].Get("values");
  Value lend = info[1].Get("lend");
  if (!type.IsString() || !values.IsArray() || !lend.IsBoolean()) {
    return Throw(env, ErrorKind::kTypeError,
                 "options.type must be a string, options.values an array and "
                 "options.lend a boolean");
  }
  for (uint32_t i = 0; i < values.Length(); ++i) {
    if (!values.Get(i).IsNumber()) {
      return Throw(env, ErrorKind::kTypeError, "options.values must hold numbers");
    }
  }
  using Queue = Value (*)(Env, const Value&, const Value&, bool);
  static const std::pair<const char*, Queue> kTypes[] = {
      {"int8_t", &QueueTypedBatch<int8_t>},     {"uint8_t", &QueueTypedBatch<uint8_t>},
      {"int16_t", &QueueTypedBatch<int16_t>},   {"uint16_t", &QueueTypedBatch<uint16_t>},
      {"int32_t", &QueueTypedBatch<int32_t>},   {"uint32_t", &QueueTypedBatch<uint32_t>},
      {"float", &QueueTypedBatch<float>},       {"double", &QueueTypedBatch<double>},
      {"int64_t", &QueueTypedBatch<int64_t>},   {"uint64_t", &QueueTypedBatch<uint64_t>},
      {"long", &QueueTypedBatch<long>},         {"size_t", &QueueTypedBatch<size_t>},
      {"bool", &QueueTypedBatch<bool>},  // Not numeric: an Array, never lent.
  };
  const std::string name = type.AsString();
  for (const auto& [type_name, queue] : kTypes) {
    if (name == type_name) return queue(env, info[0], values, lend.AsBool());
  }
  return Throw(env, ErrorKind::kRangeError, "options.type names no payload type: " + name);
}

// (callback, { lend }): a batched CalleeHandled function of uint32_t fed,
// from a thread, 1; 2 with a consumer; an Error (message 'three'); 4; 5;
// and 6 awaited (CallAsync). Resolves, once the awaited call settled, with
// [what the consumer got, what the awaited call got] (-1 for an error).
Value BatchedWithConsumersExport(const CallbackInfo& info) {
  Env env = info.env();
  if (!ReadCallbackAndOptions(info)) return Value::Undefined(env);
  Value lend = info[1].Get("lend");
  if (!lend.IsBoolean()) return Throw(env, ErrorKind::kTypeError, "options.lend must be a boolean");
  anythread::ThreadsafeFunctionOptions options;
  options.batched = true;
  options.lend_batches = lend.AsBool();
  auto tsfn = anythread::ThreadsafeFunction<uint32_t>::Create(env, info[0], options);
  if (!tsfn.ok()) return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  Value promise;
  auto deferred = Deferred<std::vector<double>>::Create(env, &promise);
  if (!deferred.ok()) return anythread::ThrowError(env, ErrorKind::kError, deferred.error());
  std::thread([f = std::move(tsfn).value(), d = deferred.value()]() mutable {
    auto consumed = std::make_shared<std::atomic<double>>(-2);  // -2: not run.
    (void)f.Call(1);
    (void)f.CallWithReturnValue<double>(2, CallMode::kBlocking, [consumed](Result<double> r) {
      consumed->store(r.ok() ? r.value() : -1);
    });
    (void)f.Call(Result<uint32_t>(anythread::Error("E", "three")));
    (void)f.Call(4);
    (void)f.Call(5);
    Result<double> awaited = f.CallAsync<double>(6).Wait();
    f.Release();
    // The consumer ran before the awaited call's callback (FIFO).
    d.Resolve(std::vector<double>{consumed->load(), awaited.ok() ? awaited.value() : -1});
  }).detach();
  return promise;
}

// (callback): a vector of each numeric element type, from a thread, as
// (name, array) calls of one Fatal function per type. Each element arrives
// as JsTraits<T> makes a T (a number, static_cast<double>), whichever way
// the backend builds the Array (MakeNumberArray). Returns the calls made.
template <typename T>
using VectorTsfn =
    anythread::ThreadsafeFunction<anythread::Spread<std::string, std::vector<T>>, ErrorStrategy::kFatal>;
template <typename T>
auto Named(const char* name, std::vector<T> v) {
  return anythread::Spread<std::string, std::vector<T>>(name, std::move(v));
}
Value NumberVectorsExport(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Throw(env, ErrorKind::kTypeError, "callback must be a function");
  auto d = VectorTsfn<double>::Create(env, info[0]);
  auto i64 = VectorTsfn<int64_t>::Create(env, info[0]);
  auto u32 = VectorTsfn<uint32_t>::Create(env, info[0]);
  auto u8 = VectorTsfn<uint8_t>::Create(env, info[0]);
  auto i8 = VectorTsfn<int8_t>::Create(env, info[0]);
  auto f32 = VectorTsfn<float>::Create(env, info[0]);
  auto i32 = VectorTsfn<int32_t>::Create(env, info[0]);
  if (!d.ok() || !i64.ok() || !u32.ok() || !u8.ok() || !i8.ok() || !f32.ok() || !i32.ok()) {
    return Throw(env, ErrorKind::kError, "creating the functions failed");
  }
  std::thread([d = std::move(d).value(), i64 = std::move(i64).value(), u32 = std::move(u32).value(),
               u8 = std::move(u8).value(), i8 = std::move(i8).value(), f32 = std::move(f32).value(),
               i32 = std::move(i32).value()]() mutable {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    (void)d.Call(Named<double>("double, empty", {}));
    (void)d.Call(Named<double>("double", {-0.0, 1.5, -2.25, std::nan(""), kInf, -kInf,
                                           9007199254740993.0, 5e-324}));
    (void)i64.Call(Named<int64_t>("int64", {std::numeric_limits<int64_t>::min(), -1,
                                            9007199254740993LL}));
    (void)u32.Call(Named<uint32_t>("uint32", {0, 4294967295u}));
    (void)u8.Call(Named<uint8_t>("uint8", {0, 255}));
    (void)i8.Call(Named<int8_t>("int8", {-128, 127}));
    (void)f32.Call(Named<float>("float", {0.1f, -3.5f}));
    std::vector<int32_t> many(40);  // More than a small buffer holds.
    for (int32_t k = 0; k < 40; ++k) many[k] = k * k - 100;
    (void)i32.Call(Named<int32_t>("int32, 40", std::move(many)));
    d.Release(), i64.Release(), u32.Release(), u8.Release(), i8.Release(), f32.Release(),
        i32.Release();
  }).detach();
  return Value::Number(env, 8);
}

// (callback, { values, spread }): a batched CalleeHandled function; the JS
// thread queues one call per entry of `values` before anything drains,
// then releases it. A string is a call of that string (spread: of
// Spread<uint32_t, std::string>{its index, it}); null is a call of an
// Error (code 'Missing', message 'no value at <index>'). Returns how many
// calls were accepted.
template <typename T, typename Make>
Value QueueValueBatch(Env env, const Value& callback, const Value& values, bool batched,
                      Make make) {
  return QueueBatchFromJs<T, ErrorStrategy::kCalleeHandled>(
      env, callback, false, values.Length(), [&](uint32_t i) {
        Value v = values.Get(i);
        return v.IsString() ? Result<T>(make(i, v.AsString()))
                            : Result<T>(anythread::Error("Missing", "no value at " + std::to_string(i)));
      }, batched);
}

Value ValueBatchExport(const CallbackInfo& info) {
  Env env = info.env();
  if (!ReadCallbackAndOptions(info)) return Value::Undefined(env);
  Value values = info[1].Get("values");
  Value spread = info[1].Get("spread");
  if (!values.IsArray() || !spread.IsBoolean()) {
    return Throw(env, ErrorKind::kTypeError,
                 "options.values must be an array and options.spread a boolean");
  }
  for (uint32_t i = 0; i < values.Length(); ++i) {
    if (!values.Get(i).IsString() && !values.Get(i).IsNull()) {
      return Throw(env, ErrorKind::kTypeError, "options.values must hold strings or null");
    }
  }
  Value per_item = info[1].Get("perItem");
  if (!per_item.IsUndefined() && !per_item.IsBoolean()) {
    return Throw(env, ErrorKind::kTypeError, "options.perItem must be a boolean");
  }
  const bool batched = !(per_item.IsBoolean() && per_item.AsBool());
  if (spread.AsBool()) {
    using Pair = anythread::Spread<uint32_t, std::string>;
    return QueueValueBatch<Pair>(env, info[0], values, batched,
                                 [](uint32_t i, std::string s) { return Pair{i, std::move(s)}; });
  }
  return QueueValueBatch<std::string>(env, info[0], values, batched,
                                      [](uint32_t, std::string s) { return s; });
}

// (callback, { counts }): a CalleeHandled function of uint32_t whose
// converter turns a call of n into n arguments, 100 * n + i for i < n; the
// JS thread queues one call per entry of `counts`, then releases it.
// Returns how many calls were accepted. (Calls with many arguments: the
// wasm backend passes up to 4 from a buffer on its stack, more from one it
// allocates.)
Value ManyArgumentsExport(const CallbackInfo& info) {
  Env env = info.env();
  if (!ReadCallbackAndOptions(info)) return Value::Undefined(env);
  Value counts = info[1].Get("counts");
  if (!counts.IsArray()) return Throw(env, ErrorKind::kTypeError, "options.counts must be an array");
  for (uint32_t i = 0; i < counts.Length(); ++i) {
    const Value c = counts.Get(i);
    if (!c.IsNumber() || !(c.AsNumber() >= 0 && c.AsNumber() <= 64)) {
      return Throw(env, ErrorKind::kRangeError, "options.counts must hold numbers from 0 to 64");
    }
  }
  auto tsfn = anythread::ThreadsafeFunction<uint32_t>::Create(
      env, info[0], {}, [](Env env, uint32_t& n) -> Result<anythread::Args> {
        anythread::Args args;
        for (uint32_t i = 0; i < n; ++i) args.push_back(Value::Number(env, 100.0 * n + i));
        return args;
      });
  if (!tsfn.ok()) return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  auto f = std::move(tsfn).value();
  double accepted = 0;
  for (uint32_t i = 0; i < counts.Length(); ++i) {
    if (f.Call(static_cast<uint32_t>(counts.Get(i).AsNumber())) == Status::kOk) ++accepted;
  }
  f.Release();
  return Value::Number(env, accepted);
}

Value CallManyExport(const CallbackInfo& info) {
  Env env = info.env();
  if (!ReadCallbackAndOptions(info)) return Value::Undefined(env);
  Value opts = info[1];
  double max;
  if (!ReadNumber(env, opts, "maxQueueSize", 0, 1 << 20, &max)) return Value::Undefined(env);
  Value values = opts.Get("values");
  Value blocking = opts.Get("blocking");
  Value from_thread = opts.Get("fromThread");
  Value batched = opts.Get("batched");
  if (!values.IsArray() || !blocking.IsBoolean() || !from_thread.IsBoolean() ||
      !batched.IsBoolean()) {
    return Throw(env, ErrorKind::kTypeError,
                 "options.values must be an array; options.blocking, "
                 "options.fromThread and options.batched booleans");
  }
  std::vector<uint32_t> block(values.Length());
  for (uint32_t i = 0; i < values.Length(); ++i) {
    Value v = values.Get(i);
    const double d = v.IsNumber() ? v.AsNumber() : -1;
    if (!(d >= 0 && d <= 4294967295.0 && std::floor(d) == d)) {
      return Throw(env, ErrorKind::kTypeError,
                   "options.values must hold integers in [0, 2^32)");
    }
    block[i] = static_cast<uint32_t>(d);
  }
  anythread::ThreadsafeFunctionOptions options;
  options.max_queue_size = static_cast<size_t>(max);
  options.batched = batched.AsBool();
  using Numbers = anythread::ThreadsafeFunction<uint32_t, ErrorStrategy::kFatal>;
  auto tsfn = Numbers::Create(env, info[0], options);
  if (!tsfn.ok()) return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  Value promise;
  auto deferred = Deferred<ManyResult>::Create(env, &promise);
  if (!deferred.ok()) return anythread::ThrowError(env, ErrorKind::kError, deferred.error());
  const CallMode mode = blocking.AsBool() ? CallMode::kBlocking : CallMode::kNonBlocking;
  auto call = [mode, block = std::move(block), f = std::move(tsfn).value(),
               d = deferred.value()]() mutable {
    ManyResult r;
    r.status = f.CallMany(block.data(), block.size(), mode, &r.queued);
    f.Release();
    d.Resolve(r);
  };
  if (from_thread.AsBool()) {
    std::thread(std::move(call)).detach();
  } else {
    call();
  }
  return promise;
}

Value TickerExport(const CallbackInfo& info) {
  Env env = info.env();
  if (!ReadCallbackAndOptions(info)) return Value::Undefined(env);
  double period, count;
  if (!ReadNumber(env, info[1], "periodMs", 0, 60000, &period) ||
      !ReadNumber(env, info[1], "count", 0, 1e9, &count)) {
    return Value::Undefined(env);
  }
  Value weak = info[1].Get("weak");
  if (!weak.IsBoolean()) {
    return Throw(env, ErrorKind::kTypeError, "options.weak must be a boolean");
  }
  anythread::ThreadsafeFunctionOptions options;
  options.weak = weak.AsBool();
  auto tsfn = Tsfn::Create(env, info[0], options, [](Env env, Item& item) -> Result<Args> {
    return Args{Value::Number(env, item.producer()), Value::Number(env, item.seq())};
  });
  if (!tsfn.ok()) {
    return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  }
  // Payloads may outlive this thread (queued when a weak function's
  // environment goes away): their counters must outlive everything.
  static Counters counters;
  std::thread([f = std::move(tsfn).value(), period,
               n = static_cast<uint64_t>(count)]() mutable {
    for (uint64_t i = 0; i < n; ++i) {
      if (i > 0 && period > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(period));
      }
      if (f.Call(Item(0, static_cast<uint32_t>(i), &counters),
                 CallMode::kBlocking) == Status::kClosing) {
        break;
      }
    }
    f.Release();
  }).detach();
  return Value::Undefined(env);
}

using Echo = anythread::ThreadsafeFunction<uint32_t, ErrorStrategy::kFatal>;
Echo& EchoFunction() {  // JS thread only; one per runtime.
  static Echo echo;
  return echo;
}

Value FloodConversionsExport(const CallbackInfo& info) {
  return Value::Number(info.env(),
                       static_cast<double>(slow_conversions.load(std::memory_order_relaxed)));
}

Value LiveFunctionsExport(const CallbackInfo& info) {
  return Value::Number(info.env(),
                       static_cast<double>(anythread::LiveThreadsafeFunctions()));
}

Value EchoStartExport(const CallbackInfo& info) {
  Env env = info.env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    return Throw(env, ErrorKind::kTypeError, "callback must be a function");
  }
  auto tsfn = Echo::Create(env, info[0]);
  if (!tsfn.ok()) return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  EchoFunction() = std::move(tsfn).value();
  std::thread([f = EchoFunction()]() mutable {
    (void)f.Call(0, CallMode::kNonBlocking);
  }).detach();
  return Value::Undefined(env);
}

Value EchoCallExport(const CallbackInfo& info) {
  Env env = info.env();
  const double n = info.Length() > 0 && info[0].IsNumber() ? info[0].AsNumber() : -1;
  if (!(n >= 0 && n <= 4294967295.0 && std::floor(n) == n)) {
    return Throw(env, ErrorKind::kTypeError, "n must be an integer in [0, 2^32)");
  }
  const Status status = EchoFunction().Call(static_cast<uint32_t>(n), CallMode::kNonBlocking);
  return Value::String(env, anythread::StatusName(status));
}

Value EchoStopExport(const CallbackInfo& info) {
  EchoFunction() = Echo();
  return Value::Undefined(info.env());
}

}  // namespace

ANYTHREAD_MODULE(m) {
  m.Export("run", &RunExport);
  m.Export("flood", &FloodExport);
  m.Export("numberVectors", &NumberVectorsExport);
  m.Export("floodAbort", &FloodAbortExport);
  m.Export("floodConversions", &FloodConversionsExport);
  m.Export("typedBatch", &TypedBatchExport);
  m.Export("batchedWithConsumers", &BatchedWithConsumersExport);
  m.Export("valueBatch", &ValueBatchExport);
  m.Export("callMany", &CallManyExport);
  m.Export("manyArguments", &ManyArgumentsExport);
  m.Export("ticker", &TickerExport);
  m.Export("liveFunctions", &LiveFunctionsExport);
  m.Export("echoStart", &EchoStartExport);
  m.Export("echoCall", &EchoCallExport);
  m.Export("echoStop", &EchoStopExport);
}
