// The benchmark module: anythread and its baselines, side by side, built for
// both backends with anythread_add_module (bench/CMakeLists.txt). Each
// scenario starts producer threads and returns at once; the JS side times
// until its callback has seen every call (bench/scenarios.mjs).
//
// Baselines are our own small code, the way a C++ author would use each
// mechanism: node-addon-api's ThreadSafeFunction (a lambda per call) and
// TypedThreadSafeFunction (a static CallJs and a data pointer) natively;
// emscripten_async_run_in_main_runtime_thread into an embind callback, and
// MAIN_THREAD_ASYNC_EM_ASM, in wasm.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "anythread/anythread.hpp"

#if ANYTHREAD_WASM
#include <emscripten.h>
#include <emscripten/threading.h>
#endif

// Allocation counter: counts operator new on threads that opted in (the
// producers), to show the producer path allocates nothing per call. Every
// form is replaced (the core tests' replacement, shared).
#include "../tests/cpp/replaced_operator_new.hpp"

namespace {
thread_local bool t_counting = false;
std::atomic<uint64_t> g_allocations{0};
}  // namespace

void* ReplacedAllocate(size_t size, size_t align) noexcept {
  if (t_counting) g_allocations.fetch_add(1, std::memory_order_relaxed);
  return AllocateAligned(size, align);
}

namespace {

using namespace anythread;

#if ANYTHREAD_WASM
// performance.timeOrigin + performance.now(): comparable across the main
// thread and workers. (emscripten_get_now in a pthread subtracts a drift
// measured once at thread start, which includes that start's message delay:
// an offset of up to hundreds of microseconds that differs per thread.)
EM_JS(double, bench_now_ms, (), { return performance.timeOrigin + performance.now(); });
#endif

// Milliseconds on the clock JS compares with: CLOCK_MONOTONIC natively
// (process.hrtime), performance.timeOrigin + now() in wasm.
double NowMs() {
#if ANYTHREAD_WASM
  return bench_now_ms();
#else
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
#endif
}

Value Fail(Env env, const std::string& message) {
  return ThrowError(env, ErrorKind::kTypeError, "InvalidArg", message);
}

size_t Count(const CallbackInfo& info, size_t i) {
  return i < info.Length() && info[i].IsNumber()
             ? static_cast<size_t>(std::max(0.0, info[i].AsNumber()))
             : 0;
}

// Splits `total` calls over `producers` threads: fn(producer, first, count).
template <typename Fn>
void Produce(size_t producers, size_t total, Fn fn) {
  if (producers == 0) producers = 1;
  std::thread([=]() mutable {
    std::vector<std::thread> threads;
    for (size_t p = 0; p < producers; ++p) {
      size_t first = total * p / producers;
      size_t count = total * (p + 1) / producers - first;
      threads.emplace_back([=]() mutable { fn(p, first, count); });
    }
    for (auto& t : threads) t.join();
  }).detach();
}

// --- anythread ------------------------------------------------------------

// (cb, producers, total, batched, maxQueue, blocking, block); batched:
// false, true (arrays the callback keeps) or "lent" (lend_batches); block
// 0 or 1: one Call() per value, n > 1: CallMany() of blocks of n values,
// the way a producer that makes its values in arrays would queue them.
Value Anythread(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  ThreadsafeFunctionOptions options;
  options.lend_batches = info.Length() > 3 && info[3].IsString() && info[3].AsString() == "lent";
  options.batched = options.lend_batches ||
                    (info.Length() > 3 && info[3].IsBoolean() && info[3].AsBool());
  options.max_queue_size = Count(info, 4);
  const CallMode mode = info.Length() > 5 && info[5].IsBoolean() && info[5].AsBool()
                            ? CallMode::kBlocking
                            : CallMode::kNonBlocking;
  const size_t block = Count(info, 6);
  auto tsfn = ThreadsafeFunction<uint32_t, ErrorStrategy::kFatal>::Create(env, info[0], options);
  if (!tsfn.ok()) return ThrowError(env, ErrorKind::kError, tsfn.error());
  Produce(Count(info, 1), Count(info, 2),
          [tsfn = std::move(tsfn).value(), mode, block](size_t, size_t first, size_t count) mutable {
            if (block > 1) {
              std::vector<uint32_t> values(block);
              for (size_t i = 0; i < count; i += block) {
                const size_t n = std::min(block, count - i);
                for (size_t j = 0; j < n; ++j) values[j] = static_cast<uint32_t>(first + i + j);
                size_t done = 0;
                while (done < n) {
                  size_t queued = 0;
                  (void)tsfn.CallMany(values.data() + done, n - done, mode, &queued);
                  done += queued;
                  if (done < n) std::this_thread::yield();
                }
              }
              return;
            }
            for (size_t i = 0; i < count; ++i) {
              uint32_t v = static_cast<uint32_t>(first + i);
              while (tsfn.Call(v, mode) == Status::kQueueFull) std::this_thread::yield();
            }
          });
  return Value::Undefined(env);
}

// (total): queues `total` calls from one producer while the JS thread waits
// here (so nothing drains), and counts the producer's heap allocations.
// Returns the allocation count; the calls drain once JS is free again.
Value AnythreadQueueAll(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  auto tsfn = ThreadsafeFunction<uint32_t, ErrorStrategy::kFatal>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowError(env, ErrorKind::kError, tsfn.error());
  size_t total = Count(info, 1);
  uint64_t allocations = 0;
  std::thread([&, f = tsfn.value()]() mutable {
    // Warm the queue's ring to its final size first? No: growth is part of
    // the cost of queueing a million calls; it is counted and reported.
    t_counting = true;
    uint64_t before = g_allocations.load();
    for (size_t i = 0; i < total; ++i) (void)f.Call(static_cast<uint32_t>(i));
    allocations = g_allocations.load() - before;
    t_counting = false;
  }).join();
  return Value::Number(env, static_cast<double>(allocations));
}

// Steady-state producer allocations, as a producer streaming into a bounded
// queue (max_queue_size 1024) meets them: three rounds of `calls` calls (up
// to the bound), the JS thread draining each round before the next (the
// queue's rings trade places at each drain). Counts the producer's heap
// allocations per round, every call of it included (the first finds the
// queue idle and rings). Resolves with the three counts.
template <typename P, typename Make>
Value SteadyAllocations(Env env, const Value& cb, size_t calls, Make make) {
  constexpr int kRounds = 3;
  ThreadsafeFunctionOptions options;
  options.max_queue_size = 1024;
  auto tsfn = ThreadsafeFunction<P, ErrorStrategy::kFatal>::Create(env, cb, options);
  if (!tsfn.ok()) return ThrowError(env, ErrorKind::kError, tsfn.error());
  Value promise;
  auto deferred = Deferred<std::vector<double>>::Create(env, &promise);
  if (!deferred.ok()) return ThrowError(env, ErrorKind::kError, deferred.error());
  std::thread([f = std::move(tsfn).value(), d = std::move(deferred).value(),
               calls = std::min<size_t>(calls, 1024), make]() mutable {
    std::vector<double> counts;
    for (int round = 0; round < kRounds; ++round) {
      size_t refused = 0;
      t_counting = true;
      const uint64_t before = g_allocations.load();
      for (size_t i = 0; i < calls; ++i) {
        if (f.Call(make(i)) != Status::kOk) ++refused;
      }
      const uint64_t allocations = g_allocations.load() - before;
      t_counting = false;
      if (refused != 0) {
        d.Reject(Error("Unexpected", std::to_string(refused) + " calls refused"));
        return;
      }
      counts.push_back(static_cast<double>(allocations));
      while (f.Counts().delivered < (round + 1) * calls) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    d.Resolve(std::move(counts));
  }).detach();
  return promise;
}

using Payload16 = Spread<double, double>;
using Payload64 = Spread<double, double, double, double, double, double, double, double>;
static_assert(sizeof(Payload16) == 16 && sizeof(Payload64) == 64, "payload sizes");

// (cb, calls, payloadBytes): SteadyAllocations with a payload of 4 bytes (a
// uint32_t: one argument), 16 or 64 (2 or 8 doubles: that many arguments).
Value AnythreadSteadyAllocations(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  size_t calls = Count(info, 1);
  const double bytes = info[2].IsNumber() ? info[2].AsNumber() : 0;
  if (bytes == 4) {
    return SteadyAllocations<uint32_t>(env, info[0], calls,
                                       [](size_t i) { return static_cast<uint32_t>(i); });
  }
  if (bytes == 16) {
    return SteadyAllocations<Payload16>(env, info[0], calls, [](size_t i) {
      const double x = static_cast<double>(i);
      return Payload16(x, x);
    });
  }
  if (bytes == 64) {
    return SteadyAllocations<Payload64>(env, info[0], calls, [](size_t i) {
      const double x = static_cast<double>(i);
      return Payload64(x, x, x, x, x, x, x, x);
    });
  }
  return ThrowError(env, ErrorKind::kRangeError, "InvalidArg", "payloadBytes must be 4, 16 or 64");
}

Value Now(const CallbackInfo& info) { return Value::Number(info.env(), NowMs()); }

// --- strings (bench/strings.mjs; not one of the scenarios) ---------

// Log lines, short enough for std::string's inline buffer in every standard
// library built here (10 characters in wasm32's libc++), so making one
// allocates nothing: the cost measured is the delivery's.
const char* StringLine(size_t i) {
  static const char* const kLines[] = {"step 10%", "decoded", "written", "flushed"};
  return kLines[i & 3];
}

// (cb, producers, total, batched): one std::string per call, Fatal;
// batched: the callback gets arrays of strings.
Value AnythreadStrings(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  ThreadsafeFunctionOptions options;
  options.batched = info.Length() > 3 && info[3].IsBoolean() && info[3].AsBool();
  auto tsfn = ThreadsafeFunction<std::string, ErrorStrategy::kFatal>::Create(env, info[0], options);
  if (!tsfn.ok()) return ThrowError(env, ErrorKind::kError, tsfn.error());
  Produce(Count(info, 1), Count(info, 2),
          [tsfn = std::move(tsfn).value()](size_t, size_t first, size_t count) mutable {
            for (size_t i = 0; i < count; ++i) {
              (void)tsfn.Call(std::string(StringLine(first + i)), CallMode::kNonBlocking);
            }
          });
  return Value::Undefined(env);
}

#if !ANYTHREAD_WASM
// --- node-addon-api baselines ---------------------------------------------

Napi::Function JsFunction(const CallbackInfo& info) {
  return info[0].napi().As<Napi::Function>();
}

// The lambda form's call: a closure over the value, made per call.
auto LambdaCall(uint32_t v) {
  return [v](Napi::Env env, Napi::Function fn) { fn.Call({Napi::Number::New(env, v)}); };
}

// (cb, producers, total, maxQueue, blocking): a lambda per call,
// NonBlockingCall (or BlockingCall).
Value NapiLambda(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  size_t producers = std::max<size_t>(1, Count(info, 1));
  bool blocking = info.Length() > 4 && info[4].IsBoolean() && info[4].AsBool();
  auto tsfn = Napi::ThreadSafeFunction::New(env.napi(), JsFunction(info), "lambda", Count(info, 3),
                                            producers);
  Produce(producers, Count(info, 2), [tsfn, blocking](size_t, size_t first, size_t count) mutable {
    for (size_t i = 0; i < count; ++i) {
      auto call = LambdaCall(static_cast<uint32_t>(first + i));
      if (blocking) {
        tsfn.BlockingCall(call);
      } else {
        tsfn.NonBlockingCall(call);
      }
    }
    tsfn.Release();
  });
  return Value::Undefined(env);
}

// `total` calls queued by one thread while JS waits here (the memory
// scenario: nothing drains meanwhile); queue(tsfn, i) makes call i.
template <typename Tsfn, typename Queue>
void QueueAllFromThread(Tsfn tsfn, size_t total, Queue queue) {
  std::thread([tsfn, total, queue]() mutable {
    for (size_t i = 0; i < total; ++i) queue(tsfn, i);
    tsfn.Release();
  }).join();
}

// (cb, total): the lambda form with an unbounded queue, every call queued
// before JS drains.
Value NapiLambdaQueueAll(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  QueueAllFromThread(Napi::ThreadSafeFunction::New(env.napi(), JsFunction(info), "lambda", 0, 1),
                     Count(info, 1), [](Napi::ThreadSafeFunction& tsfn, size_t i) {
                       tsfn.NonBlockingCall(LambdaCall(static_cast<uint32_t>(i)));
                     });
  return Value::Undefined(env);
}

void TypedCallJs(Napi::Env env, Napi::Function fn, std::nullptr_t*, void* data) {
  if (env == nullptr) return;
  fn.Call({Napi::Number::New(env, static_cast<double>(reinterpret_cast<uintptr_t>(data)))});
}
using Typed = Napi::TypedThreadSafeFunction<std::nullptr_t, void, TypedCallJs>;

// Strings: a std::string allocated per call, as a node-addon-api user
// passes one through the data pointer.
void TypedStringCallJs(Napi::Env env, Napi::Function fn, std::nullptr_t*, std::string* line) {
  if (env != nullptr) fn.Call({Napi::String::New(env, *line)});
  delete line;
}
using TypedString = Napi::TypedThreadSafeFunction<std::nullptr_t, std::string, TypedStringCallJs>;

// (cb, producers, total): the strings baseline (bench/strings.mjs).
Value NapiTypedStrings(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  size_t producers = std::max<size_t>(1, Count(info, 1));
  TypedString tsfn = TypedString::New(env.napi(), JsFunction(info), "typed-strings", 0, producers);
  Produce(producers, Count(info, 2), [tsfn](size_t, size_t first, size_t count) mutable {
    for (size_t i = 0; i < count; ++i) tsfn.NonBlockingCall(new std::string(StringLine(first + i)));
    tsfn.Release();
  });
  return Value::Undefined(env);
}

// (cb, producers, total, maxQueue, blocking): a static CallJs and the value
// carried in the data pointer itself (no allocation per call).
Value NapiTyped(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  size_t producers = std::max<size_t>(1, Count(info, 1));
  bool blocking = info.Length() > 4 && info[4].IsBoolean() && info[4].AsBool();
  Typed tsfn = Typed::New(env.napi(), JsFunction(info), "typed", Count(info, 3), producers);
  Produce(producers, Count(info, 2), [tsfn, blocking](size_t, size_t first, size_t count) mutable {
    for (size_t i = 0; i < count; ++i) {
      void* data = reinterpret_cast<void*>(static_cast<uintptr_t>(first + i));
      if (blocking) {
        tsfn.BlockingCall(data);
      } else {
        tsfn.NonBlockingCall(data);
      }
    }
    tsfn.Release();
  });
  return Value::Undefined(env);
}

// (cb, total): Typed with an unbounded queue, every call queued before JS
// drains.
Value NapiTypedQueueAll(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  QueueAllFromThread(Typed::New(env.napi(), JsFunction(info), "typed", 0, 1), Count(info, 1),
                     [](Typed& tsfn, size_t i) {
                       tsfn.NonBlockingCall(reinterpret_cast<void*>(static_cast<uintptr_t>(i)));
                     });
  return Value::Undefined(env);
}

// (cb, total): the ceiling: a loop on the JS thread calling through Node-API.
Value NapiLoop(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  Napi::Function fn = JsFunction(info);
  Napi::Env e = env.napi();
  size_t total = Count(info, 1);
  for (size_t i = 0; i < total; ++i) {
    Napi::HandleScope scope(e);
    napi_value arg = Napi::Number::New(e, static_cast<double>(i));
    napi_value result;
    napi_call_function(e, e.Undefined(), fn, 1, &arg, &result);
  }
  return Value::Undefined(env);
}
#else
// --- Emscripten baselines -------------------------------------------------

emscripten::val* g_callback = nullptr;  // Main thread only.

void SetCallback(const Value& fn) {
  delete g_callback;
  g_callback = new emscripten::val(fn.val());
  EM_ASM({ Module["__benchCallback"] = Emval.toValue($0); }, fn.val().as_handle());
}

void CallCallback(int v) { (*g_callback)(v); }

// Send times for the per-call latency baseline: 3.1.6 proxies int
// arguments only (a double signature never runs), so the call carries an
// index into this table, written before the call is proxied.
std::vector<double>* g_sent = nullptr;
void CallCallbackSent(int i) { (*g_callback)((*g_sent)[i]); }

// (cb, producers, total, impl): one proxied call per item.
Value EmPerCall(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  SetCallback(info[0]);
  bool em_asm = info[3].IsString() && info[3].AsString() == "em-asm";
  Produce(Count(info, 1), Count(info, 2), [em_asm](size_t, size_t first, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      int v = static_cast<int>(first + i);
      if (em_asm) {
        MAIN_THREAD_ASYNC_EM_ASM({ Module["__benchCallback"]($0); }, v);
      } else {
        emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VI, &CallCallback, v);
      }
    }
  });
  return Value::Undefined(env);
}

EM_JS(void, bench_call_js, (int v), { Module["__benchCallback"](v); });

// Strings: a std::string allocated per call and proxied by its address (an
// int argument, as 3.1.6 proxies), called with embind's conversion, as an
// Emscripten user would hand a string to the main thread.
void CallCallbackString(int address) {
  auto* line = reinterpret_cast<std::string*>(static_cast<uintptr_t>(address));
  (*g_callback)(*line);
  delete line;
}

// (cb, producers, total): the wasm strings baseline (bench/strings.mjs).
Value EmPerCallStrings(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  SetCallback(info[0]);
  Produce(Count(info, 1), Count(info, 2), [](size_t, size_t first, size_t count) {
    for (size_t i = 0; i < count; ++i) {
      auto* line = new std::string(StringLine(first + i));
      emscripten_async_run_in_main_runtime_thread(
          EM_FUNC_SIG_VI, &CallCallbackString,
          static_cast<int>(reinterpret_cast<uintptr_t>(line)));
    }
  });
  return Value::Undefined(env);
}

// (cb, total, impl): the ceilings: loops on the main thread through embind
// (a val call) or EM_JS.
Value EmLoop(const CallbackInfo& info) {
  Env env = info.env();
  if (!info[0].IsFunction()) return Fail(env, "callback must be a function");
  SetCallback(info[0]);
  size_t total = Count(info, 1);
  bool em_js = info[2].IsString() && info[2].AsString() == "em-js";
  for (size_t i = 0; i < total; ++i) {
    if (em_js) {
      bench_call_js(static_cast<int>(i));
    } else {
      (*g_callback)(static_cast<int>(i));
    }
  }
  return Value::Undefined(env);
}
#endif

// --- idle latency (b) -----------------------------------------------------

#if !ANYTHREAD_WASM
// The send time travels in the data pointer's bits, as Typed's values do:
// no allocation per call, the form's strongest (until 2026-11-28 it was a
// `new double`, whose malloc and cross-thread free made the baseline a
// little slower than it need be; bench/NOTES.md).
static_assert(sizeof(void*) == sizeof(double), "a double fits a data pointer");
void* SentAsData(double sent) {
  uintptr_t bits;
  std::memcpy(&bits, &sent, sizeof bits);
  return reinterpret_cast<void*>(bits);
}
void TypedLatencyCallJs(Napi::Env env, Napi::Function fn, std::nullptr_t*, void* data) {
  if (env == nullptr) return;
  const uintptr_t bits = reinterpret_cast<uintptr_t>(data);
  double sent;
  std::memcpy(&sent, &bits, sizeof sent);
  fn.Call({Napi::Number::New(env, sent)});
}
using TypedLatency = Napi::TypedThreadSafeFunction<std::nullptr_t, void, TypedLatencyCallJs>;
#else
EM_JS(void, bench_latency_em_asm_set, (emscripten::EM_VAL fn),
      { Module["__benchLatencyEmAsm"] = Emval.toValue(fn); });
#endif

#if !ANYTHREAD_WASM && defined(__linux__)
// Diagnosis only (not used by npm run bench): ANYTHREAD_BENCH_PIN=<js>,<producer>
// pins the JS thread and the latency scenario's producer thread to those
// CPUs, to measure one placement of the two at a time (bench/NOTES.md).
void PinFromEnv(bool producer) {
  const char* pin = std::getenv("ANYTHREAD_BENCH_PIN");
  if (pin == nullptr) return;
  int js = -1, prod = -1;
  if (std::sscanf(pin, "%d,%d", &js, &prod) != 2 || js < 0 || prod < 0 ||
      js >= CPU_SETSIZE || prod >= CPU_SETSIZE) {
    std::fprintf(stderr, "ANYTHREAD_BENCH_PIN=%s: expected <js cpu>,<producer cpu>; not pinned\n", pin);
    return;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(producer ? prod : js, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}
#else
void PinFromEnv(bool) {}
#endif

// (callbacks, count, gapMs): the idle latency of every implementation, from
// one producer thread. Round i calls each implementation once, in an order
// that rotates with i, `gap` ms apart; each call carries its send time
// (NowMs), and JS takes the difference. callbacks: [anythread, napi-typed,
// napi-lambda] natively, [anythread, em-async-run, em-asm] in wasm.
//
// Why one thread for all: an idle wake-up costs 12 or 22 us on these VMs
// depending on where the threads run and how deeply the JS thread's core
// sleeps, for every implementation alike. With a producer thread of its own
// per implementation and runs taken in turn, whichever implementation drew
// the slow mode in more runs lost, whatever its code. Interleaved call by
// call from one thread, every implementation sees the same conditions.
Value LatencyInterleaved(const CallbackInfo& info) {
  Env env = info.env();
  constexpr uint32_t kImpls = 3;
  if (!info[0].IsArray() || info[0].Length() != kImpls) {
    return Fail(env, "callbacks must be an array of 3 functions");
  }
  Value callbacks[kImpls];
  for (uint32_t k = 0; k < kImpls; ++k) {
    callbacks[k] = info[0].Get(k);
    if (!callbacks[k].IsFunction()) return Fail(env, "callbacks must be functions");
  }
  size_t count = Count(info, 1);
  double gap = info.Length() > 2 && info[2].IsNumber() ? info[2].AsNumber() : 1;
  // Which implementations to call, a bit each (diagnosis: a subset changes
  // which code the others' calls keep warm; all by default).
  uint32_t mask = info.Length() > 3 && info[3].IsNumber()
                      ? static_cast<uint32_t>(info[3].AsNumber()) & 7u : 7u;
  if (mask == 0) return Fail(env, "the mask selects no implementation");
  auto tsfn = ThreadsafeFunction<double, ErrorStrategy::kFatal>::Create(env, callbacks[0]);
  if (!tsfn.ok()) return ThrowError(env, ErrorKind::kError, tsfn.error());
#if !ANYTHREAD_WASM
  auto typed = TypedLatency::New(env.napi(), callbacks[1].napi().As<Napi::Function>(), "typed", 0, 1);
  auto lambda = Napi::ThreadSafeFunction::New(
      env.napi(), callbacks[2].napi().As<Napi::Function>(), "lambda", 0, 1);
#else
  SetCallback(callbacks[1]);
  bench_latency_em_asm_set(callbacks[2].val().as_handle());
  delete g_sent;
  g_sent = new std::vector<double>(count);
#endif
  PinFromEnv(false);
  std::thread([=, f = std::move(tsfn).value()]() mutable {
    PinFromEnv(true);
    for (size_t i = 0; i < count; ++i) {
      for (uint32_t j = 0; j < kImpls; ++j) {
        const uint32_t k = static_cast<uint32_t>((i + j) % kImpls);
        if ((mask & (1u << k)) == 0) continue;
        const double sent = NowMs();
        if (k == 0) {
          (void)f.Call(sent, CallMode::kNonBlocking);
        } else {
#if !ANYTHREAD_WASM
          if (k == 1) {
            typed.NonBlockingCall(SentAsData(sent));
          } else {
            lambda.NonBlockingCall([sent](Napi::Env env, Napi::Function fn) {
              fn.Call({Napi::Number::New(env, sent)});
            });
          }
#else
          if (k == 1) {
            (*g_sent)[i] = sent;
            emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VI, &CallCallbackSent,
                                                        static_cast<int>(i));
          } else {
            MAIN_THREAD_ASYNC_EM_ASM({ Module["__benchLatencyEmAsm"]($0); }, sent);
          }
#endif
        }
        std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(gap));
      }
    }
#if !ANYTHREAD_WASM
    typed.Release();
    lambda.Release();
#endif
  }).detach();
  return Value::Undefined(env);
}

}  // namespace

ANYTHREAD_MODULE(m) {
  m.Export("anythread", &Anythread);
  m.Export("latencyInterleaved", &LatencyInterleaved);
  m.Export("anythreadQueueAll", &AnythreadQueueAll);
  m.Export("anythreadSteadyAllocations", &AnythreadSteadyAllocations);
  m.Export("now", &Now);
  m.Export("anythreadStrings", &AnythreadStrings);
#if !ANYTHREAD_WASM
  m.Export("napiLambda", &NapiLambda);
  m.Export("napiTyped", &NapiTyped);
  m.Export("napiTypedStrings", &NapiTypedStrings);
  m.Export("napiTypedQueueAll", &NapiTypedQueueAll);
  m.Export("napiLambdaQueueAll", &NapiLambdaQueueAll);
  m.Export("napiLoop", &NapiLoop);
#else
  m.Export("emPerCall", &EmPerCall);
  m.Export("emLoop", &EmLoop);
  m.Export("emPerCallStrings", &EmPerCallStrings);
#endif
}
