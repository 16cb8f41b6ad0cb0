// ThreadsafeFunction, Future, CallSync, Deferred and SharedValue over a fake
// JS engine (fake_backend/): the semantics the real backends inherit, with
// the test's main thread as the JS thread. Runs normally and under TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "allocation_hooks.hpp"
#include "anythread/anythread.hpp"

namespace anythread {
namespace {

using namespace std::chrono_literals;

// A JS function that records its calls and answers with `reply`.
struct Recorder {
  std::vector<std::vector<Value>> calls;
  std::function<CallOutcome(Env, const std::vector<Value>&)> reply;
  Value fn() {
    return Value::Function([this](Env env, const std::vector<Value>& args) {
      calls.push_back(args);
      return reply ? reply(env, args) : CallOutcome{false, Value::Undefined(env)};
    });
  }
};

class TsfnTest : public ::testing::Test {
 protected:
  void SetUp() override { Reference::WrongThread() = 0; }
  void TearDown() override { EXPECT_EQ(Reference::WrongThread().load(), 0); }
  FakeRuntime rt;
  Env env{&rt};
};

TEST_F(TsfnTest, CalleeHandledGetsNullThenArgsFatalGetsArgs) {
  Recorder ch, fatal;
  auto a = ThreadsafeFunction<int>::Create(env, ch.fn());
  auto b = ThreadsafeFunction<int, ErrorStrategy::kFatal>::Create(env, fatal.fn());
  ASSERT_TRUE(a.ok() && b.ok());
  std::thread([&] {
    EXPECT_EQ(a.value().Call(7), Status::kOk);
    EXPECT_EQ(b.value().Call(8), Status::kOk);
  }).join();
  rt.RunPending();
  ASSERT_EQ(ch.calls.size(), 1u);
  ASSERT_EQ(ch.calls[0].size(), 2u);
  EXPECT_TRUE(ch.calls[0][0].IsNull());
  EXPECT_EQ(ch.calls[0][1].AsNumber(), 7);
  ASSERT_EQ(fatal.calls.size(), 1u);
  ASSERT_EQ(fatal.calls[0].size(), 1u);
  EXPECT_EQ(fatal.calls[0][0].AsNumber(), 8);
}

TEST_F(TsfnTest, CreateRejectsANonFunctionWithInvalidArg) {
  auto t = ThreadsafeFunction<int>::Create(env, Value::Number(env, 1));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "InvalidArg");
}

// A payload type with no JsTraits: usable with a converter, refused
// (InvalidArg, not a compile error) without one.
struct Opaque {
  int n;
};

TEST_F(TsfnTest, APayloadWithoutJsTraitsNeedsAConverter) {
  Recorder r;
  auto refused = ThreadsafeFunction<Opaque>::Create(env, r.fn());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "InvalidArg");
  auto t = ThreadsafeFunction<Opaque, ErrorStrategy::kFatal>::Create(
      env, r.fn(), {}, [](Env env, Opaque& o) -> Result<Args> {
        return Args{Value::Number(env, o.n * 2)};
      });
  ASSERT_TRUE(t.ok());
  std::thread([&] { EXPECT_EQ(t.value().Call(Opaque{21}), Status::kOk); }).join();
  rt.RunPending();
  ASSERT_EQ(r.calls.size(), 1u);
  ASSERT_EQ(r.calls[0].size(), 1u);
  EXPECT_EQ(r.calls[0][0].AsNumber(), 42);
}

TEST_F(TsfnTest, NativeErrorIsOneArgumentOrUncaught) {
  Recorder ch, fatal;
  auto a = ThreadsafeFunction<int>::Create(env, ch.fn()).value();
  auto b = ThreadsafeFunction<int, ErrorStrategy::kFatal>::Create(env, fatal.fn()).value();
  ASSERT_EQ(a.Call(Result<int>(Error("Custom", "boom"))), Status::kOk);
  ASSERT_EQ(b.Call(Result<int>(Error("fatal boom"))), Status::kOk);
  rt.RunPending();
  ASSERT_EQ(ch.calls.size(), 1u);
  ASSERT_EQ(ch.calls[0].size(), 1u);
  EXPECT_EQ(ch.calls[0][0].Get("code").AsString(), "Custom");
  EXPECT_EQ(ch.calls[0][0].Get("message").AsString(), "boom");
  EXPECT_TRUE(fatal.calls.empty());
  EXPECT_EQ(rt.uncaught, std::vector<std::string>{"fatal boom"});
}

TEST_F(TsfnTest, AThrowWithNoConsumerIsUncaught) {
  Recorder r;
  r.reply = [](Env env, const std::vector<Value>&) {
    return CallOutcome{true, Value::String(env, "thrown")};
  };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  ASSERT_EQ(t.Call(1), Status::kOk);
  rt.RunPending();
  EXPECT_EQ(rt.uncaught, std::vector<std::string>{"thrown"});
}

TEST_F(TsfnTest, ConsumerGetsTheConvertedResultOnTheJsThread) {
  Recorder r;
  r.reply = [](Env env, const std::vector<Value>& args) {
    return CallOutcome{false, Value::String(env, "got " + std::to_string(int(args[1].AsNumber())))};
  };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  std::vector<std::string> seen;
  std::thread::id consumer_thread;
  std::thread([&] {
    EXPECT_EQ(t.CallWithReturnValue<std::string>(5, CallMode::kBlocking,
                                                 [&](Result<std::string> v) {
                                                   consumer_thread = std::this_thread::get_id();
                                                   seen.push_back(v.ok() ? v.value() : "error");
                                                 }),
              Status::kOk);
  }).join();
  rt.RunPending();
  EXPECT_EQ(seen, std::vector<std::string>{"got 5"});
  EXPECT_EQ(consumer_thread, std::this_thread::get_id());
}

TEST_F(TsfnTest, ConversionFailureGoesToTheConsumerOrIsFatal) {
  Recorder r;
  r.reply = [](Env env, const std::vector<Value>&) {
    return CallOutcome{false, Value::Number(env, 3)};
  };
  auto ch = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  auto fatal = ThreadsafeFunction<int, ErrorStrategy::kFatal>::Create(env, r.fn()).value();
  std::vector<std::string> ch_seen;
  int fatal_consumer_runs = 0;
  ASSERT_EQ(ch.CallWithReturnValue<std::string>(1, CallMode::kNonBlocking,
                                                [&](Result<std::string> v) {
                                                  ch_seen.push_back(v.ok() ? "ok" : v.error().reason);
                                                }),
            Status::kOk);
  ASSERT_EQ(fatal.CallWithReturnValue<std::string>(
                1, CallMode::kNonBlocking, [&](Result<std::string>) { ++fatal_consumer_runs; }),
            Status::kOk);
  rt.RunPending();
  ASSERT_EQ(ch_seen.size(), 1u);
  EXPECT_EQ(ch_seen[0].rfind("Failed to convert JavaScript value `Number", 0), 0u);
  EXPECT_EQ(fatal_consumer_runs, 0);
  ASSERT_EQ(rt.uncaught.size(), 1u);
  EXPECT_EQ(rt.uncaught[0].rfind("Failed to convert JavaScript value", 0), 0u);
}

TEST_F(TsfnTest, AThrowWithAConsumerIsCaughtWithTheThrownValueItself) {
  Value thrown = Value::Object(env);
  Recorder r;
  r.reply = [&](Env, const std::vector<Value>&) { return CallOutcome{true, thrown}; };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  std::optional<Error> got;
  ASSERT_EQ(t.CallWithReturnValue<NoArgs>(1, CallMode::kNonBlocking,
                                          [&](Result<NoArgs> v) { got = v.error(); }),
            Status::kOk);
  rt.RunPending();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->code, "PendingException");
  EXPECT_TRUE(got->IsPendingException());
  EXPECT_TRUE(ToJsError(env, *got).SameAs(thrown));
  EXPECT_TRUE(rt.uncaught.empty());
}

TEST_F(TsfnTest, AwaitedCallSettlesWhenTheReturnedPromiseDoes) {
  std::shared_ptr<FakePromise> promise;
  Recorder r;
  r.reply = [&](Env, const std::vector<Value>&) {
    return CallOutcome{false, MakeFakePromise(&promise)};
  };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  Future<double> f = t.CallAsync<double>(1);
  std::vector<double> continuation;
  f.Then([&](Result<double> v) { continuation.push_back(v.value()); });
  rt.RunPending();
  ASSERT_TRUE(promise);
  EXPECT_FALSE(f.ready());  // Called, but its promise is pending.
  promise->Settle(env, true, Value::Number(env, 41));
  EXPECT_TRUE(f.ready());
  EXPECT_EQ(continuation, std::vector<double>{41});
  EXPECT_EQ(f.Wait().value(), 41);  // Settled: even the JS thread may read it.
}

TEST_F(TsfnTest, AwaitedCallRejectsWithTheRejectionItself) {
  std::shared_ptr<FakePromise> promise;
  Recorder r;
  r.reply = [&](Env, const std::vector<Value>&) {
    return CallOutcome{false, MakeFakePromise(&promise)};
  };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  Future<double> f = t.CallAsync<double>(1);
  rt.RunPending();
  Value reason = Value::String(env, "nope");
  promise->Settle(env, false, reason);
  Result<double> v = f.Wait();
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(ToJsError(env, v.error()).SameAs(reason));
}

TEST_F(TsfnTest, WaitOnTheJsThreadIsWouldDeadlockNotAHang) {
  Recorder r;
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  Future<NoArgs> f = t.CallAsync<NoArgs>(1);
  Result<NoArgs> v = f.WaitFor(10s);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "WouldDeadlock");
  rt.RunPending();
  EXPECT_TRUE(f.Wait().ok());
}

TEST_F(TsfnTest, CallSyncOnTheJsThreadReturnsWouldDeadlockAndQueuesNothing) {
  Recorder r;
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  Result<NoArgs> v = t.CallSync<NoArgs>(1);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "WouldDeadlock");
  EXPECT_EQ(t.Counts().accepted, 0u);
  rt.RunPending();
  EXPECT_TRUE(r.calls.empty());
}

TEST_F(TsfnTest, CallSyncFromAWorkerGetsTheResult) {
  Recorder r;
  r.reply = [](Env env, const std::vector<Value>& args) {
    return CallOutcome{false, Value::Number(env, args[1].AsNumber() * 2)};
  };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  std::atomic<double> result{0};
  std::atomic<bool> done{false};
  std::thread worker([&, t]() mutable {
    Result<double> v = t.CallSync<double>(21);
    result = v.ok() ? v.value() : -1;
    done = true;
  });
  EXPECT_TRUE(rt.RunUntil([&] { return done.load(); }));
  worker.join();
  EXPECT_EQ(result.load(), 42);
}

TEST_F(TsfnTest, CallSyncTimesOutAndTheLateResultIsHarmless) {
  std::shared_ptr<FakePromise> promise;
  Recorder r;
  r.reply = [&](Env, const std::vector<Value>&) {
    return CallOutcome{false, MakeFakePromise(&promise)};
  };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  std::atomic<bool> done{false};
  std::string code;
  std::thread worker([&, t]() mutable {
    Result<double> v = t.CallSync<double>(1, 20ms);
    code = v.ok() ? "ok" : v.error().code;
    done = true;
  });
  EXPECT_TRUE(rt.RunUntil([&] { return done.load(); }));
  worker.join();
  EXPECT_EQ(code, "Timeout");
  ASSERT_TRUE(promise);
  promise->Settle(env, true, Value::Number(env, 1));  // Nobody waits: fine.
}

TEST_F(TsfnTest, ARefusedCallHasNoOutcomeButItsStatus) {
  Recorder r;
  ThreadsafeFunctionOptions options;
  options.max_queue_size = 1;
  auto t = ThreadsafeFunction<int>::Create(env, r.fn(), options).value();
  ASSERT_EQ(t.Call(1), Status::kOk);
  int consumer_runs = 0;
  EXPECT_EQ(t.CallWithReturnValue<NoArgs>(2, CallMode::kNonBlocking,
                                          [&](Result<NoArgs>) { ++consumer_runs; }),
            Status::kQueueFull);
  Future<NoArgs> f = t.CallAsync<NoArgs>(3);
  ASSERT_TRUE(f.ready());
  EXPECT_EQ(f.Wait().error().code, "QueueFull");
  rt.RunPending();
  EXPECT_EQ(consumer_runs, 0);
  EXPECT_EQ(r.calls.size(), 1u);
}

TEST_F(TsfnTest, AbortSettlesDroppedCallsWithClosingOnTheJsThread) {
  Recorder r;
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  std::vector<std::string> consumer;
  std::thread::id consumer_thread;
  ASSERT_EQ(t.CallWithReturnValue<NoArgs>(1, CallMode::kNonBlocking,
                                          [&](Result<NoArgs> v) {
                                            consumer_thread = std::this_thread::get_id();
                                            consumer.push_back(v.ok() ? "ok" : v.error().code);
                                          }),
            Status::kOk);
  Future<NoArgs> f = t.CallAsync<NoArgs>(2);
  std::thread([&] { EXPECT_EQ(t.Abort(), Status::kOk); }).join();
  EXPECT_EQ(t.Call(3), Status::kClosing);
  rt.RunPending();
  EXPECT_EQ(consumer, std::vector<std::string>{"Closing"});
  EXPECT_EQ(consumer_thread, std::this_thread::get_id());
  EXPECT_EQ(f.Wait().error().code, "Closing");
  EXPECT_TRUE(r.calls.empty());
  auto counts = t.Counts();
  EXPECT_EQ(counts.accepted, 2u);
  EXPECT_EQ(counts.dropped, 2u);
}

TEST_F(TsfnTest, StrongHoldsTheLoopWeakDoesNotAndRefUnrefToggle) {
  Recorder r;
  auto strong = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  EXPECT_EQ(rt.refs.load(), 1);
  ThreadsafeFunctionOptions weak_options;
  weak_options.weak = true;
  auto weak = ThreadsafeFunction<int>::Create(env, r.fn(), weak_options).value();
  EXPECT_EQ(rt.refs.load(), 1);
  weak.Ref();
  EXPECT_EQ(rt.refs.load(), 2);
  weak.Unref();
  strong.Unref();
  EXPECT_EQ(rt.refs.load(), 0);
  strong.Ref();
  strong.Ref();  // Idempotent, like Node's.
  EXPECT_EQ(rt.refs.load(), 1);
  strong.Release();  // Finalization lets go of the loop.
  rt.RunPending();
  EXPECT_EQ(rt.refs.load(), 0);
}

TEST_F(TsfnTest, FinalizerRunsOnceAfterQueuedCallsOnTheJsThread) {
  Recorder r;
  int finalized = 0;
  std::thread::id finalizer_thread;
  ThreadsafeFunctionOptions options;
  options.finalizer = [&] {
    ++finalized;
    finalizer_thread = std::this_thread::get_id();
  };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn(), options).value();
  std::thread([t = std::move(t)]() mutable {
    for (int i = 0; i < 3; ++i) EXPECT_EQ(t.Call(i), Status::kOk);
  }).join();  // The thread held the last handle.
  rt.RunPending();
  EXPECT_EQ(r.calls.size(), 3u);
  EXPECT_EQ(finalized, 1);
  EXPECT_EQ(finalizer_thread, std::this_thread::get_id());
}

// LiveThreadsafeFunctions counts states: a handle, or a finalized function
// whose doorbell still holds its state, counts; once finalized and let go
// of, it does not.
TEST_F(TsfnTest, LiveFunctionsCountsStatesUntilTheyAreLetGoOf) {
  const size_t before = LiveThreadsafeFunctions();
  Recorder r;
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  auto u = ThreadsafeFunction<int, ErrorStrategy::kFatal>::Create(env, r.fn()).value();
  EXPECT_EQ(LiveThreadsafeFunctions(), before + 2);
  EXPECT_EQ(t.Call(1), Status::kOk);
  t.Release();
  u.Release();
  rt.RunPending();  // Delivers, finalizes, closes the doorbells.
  EXPECT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(LiveThreadsafeFunctions(), before);
}

TEST_F(TsfnTest, TeardownDropsPendingCallsAndLaterCallsAreClosing) {
  Recorder r;
  int finalized = 0;
  ThreadsafeFunctionOptions options;
  options.finalizer = [&] { ++finalized; };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn(), options).value();
  Future<NoArgs> f = t.CallAsync<NoArgs>(1);
  rt.Teardown();
  EXPECT_EQ(f.Wait().error().code, "Closing");
  EXPECT_EQ(t.Call(2), Status::kClosing);
  std::thread([&] { EXPECT_EQ(t.Call(3), Status::kClosing); }).join();
  EXPECT_EQ(finalized, 1);
  EXPECT_TRUE(r.calls.empty());
}

TEST_F(TsfnTest, DeferredSettledFromAWorkerResolvesOnTheJsThread) {
  Value promise;
  auto d = Deferred<double>::Create(env, &promise);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(rt.refs.load(), 1);  // Pending: holds the loop.
  std::thread([d = d.value()] {
    d.Resolve(7);
    d.Resolve(8);  // Later settlements are ignored.
  }).join();
  auto p = promise.data()->promise;
  EXPECT_FALSE(p->settled);  // Not on the worker: on the JS thread.
  rt.RunPending();
  EXPECT_TRUE(p->settled && p->fulfilled);
  EXPECT_EQ(p->value.AsNumber(), 7);
  EXPECT_EQ(rt.refs.load(), 0);
}

TEST_F(TsfnTest, DeferredDroppedUnsettledRejectsWithClosing) {
  Value promise;
  {
    auto d = Deferred<double>::Create(env, &promise);
    std::thread([d = std::move(d).value()] { (void)d; }).join();
  }
  rt.RunPending();
  auto p = promise.data()->promise;
  ASSERT_TRUE(p->settled);
  EXPECT_FALSE(p->fulfilled);
  EXPECT_EQ(p->value.Get("code").AsString(), "Closing");
  EXPECT_EQ(rt.refs.load(), 0);
}

TEST_F(TsfnTest, SharedValueReleasedOnAWorkerIsFreedOnTheJsThread) {
  int live = Reference::Live();
  Value object = Value::Object(env);
  SharedValuePtr shared = SharedValue::Make(env, object);
  EXPECT_EQ(Reference::Live(), live + 1);
  std::thread([s = std::move(shared)]() mutable { s.reset(); }).join();
  EXPECT_EQ(Reference::Live(), live + 1);  // Posted, not freed off-thread.
  rt.RunPending();
  EXPECT_EQ(Reference::Live(), live);
}

TEST_F(TsfnTest, ManyWorkersMakingSyncRoundTripsAllGetTheirOwnAnswer) {
  Recorder r;
  r.reply = [](Env env, const std::vector<Value>& args) {
    return CallOutcome{false, Value::Number(env, args[1].AsNumber() + 1)};
  };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  constexpr int kWorkers = 4, kEach = 200;
  std::atomic<int> wrong{0}, finished{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, t, w]() mutable {
      for (int i = 0; i < kEach; ++i) {
        int n = w * 1000 + i;
        Result<double> v = t.CallSync<double>(n);
        if (!v.ok() || v.value() != n + 1) ++wrong;
      }
      ++finished;
    });
  }
  EXPECT_TRUE(rt.RunUntil([&] { return finished.load() == kWorkers; }, 20s));
  for (auto& w : workers) w.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(r.calls.size(), static_cast<size_t>(kWorkers * kEach));
}

// Every payload that makes one JS value goes through a loop in JS: numbers
// the numeric fast path, std::strings the string loop (the backend makes
// the strings), others (a vector here) the value loop. Each value in
// order, a throw uncaught and the loop going on after it; for the string
// and value loops (`loops`: their counter), one loop per run.
template <typename P, typename Make, typename Read>
void ExpectTheLoopDeliversInOrderAndSurvivesThrows(FakeRuntime& rt, Env env,
                                                   size_t FakeRuntime::*loops, Make make,
                                                   Read read) {
  Recorder r;
  r.reply = [&](Env env, const std::vector<Value>& args) {
    bool odd_hundred = read(args[1]) % 100 == 50;
    return CallOutcome{odd_hundred, odd_hundred ? Value::String(env, "x") : Value::Undefined(env)};
  };
  auto t = ThreadsafeFunction<P>::Create(env, r.fn()).value();
  std::thread([&] {
    for (int i = 0; i < 2500; ++i) ASSERT_EQ(t.Call(make(i)), Status::kOk);
  }).join();
  rt.RunPending();
  ASSERT_EQ(r.calls.size(), 2500u);
  for (int i = 0; i < 2500; ++i) {
    ASSERT_EQ(r.calls[i].size(), 2u);
    EXPECT_TRUE(r.calls[i][0].IsNull());
    EXPECT_EQ(read(r.calls[i][1]), i);
  }
  EXPECT_EQ(rt.uncaught.size(), 25u);  // 50, 150, ..., 2450: each uncaught.
  EXPECT_EQ(t.Counts().delivered, 2500u);
  if (loops == nullptr) return;
  // The first call alone (handed over, a direct call), the rest in runs
  // of the loop, each throw resuming it: at least 26 loops, more when the
  // queue hands a batch over in two spans (its rings wrap around) or a
  // batch ends at the time budget (slow under the sanitizers); far fewer
  // than one per call.
  EXPECT_GE(rt.*loops, 26u);
  EXPECT_LE(rt.*loops, 250u);
}

TEST_F(TsfnTest, NumericFastPathDeliversEachItemInOrderAndSurvivesThrows) {
  ExpectTheLoopDeliversInOrderAndSurvivesThrows<int>(
      rt, env, nullptr, [](int i) { return i; },
      [](const Value& v) { return static_cast<int>(v.AsNumber()); });
}

TEST_F(TsfnTest, AbortFromACallbackStopsTheFastPathAtOnce) {
  Recorder r;
  ThreadsafeFunction<double, ErrorStrategy::kFatal> t;
  r.reply = [&](Env env, const std::vector<Value>& args) {
    if (args[0].AsNumber() == 3) {
      EXPECT_EQ(t.Abort(), Status::kOk);
    }
    return CallOutcome{false, Value::Undefined(env)};
  };
  t = ThreadsafeFunction<double, ErrorStrategy::kFatal>::Create(env, r.fn()).value();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(t.Call(i), Status::kOk);
  rt.RunPending();
  ASSERT_EQ(r.calls.size(), 4u);  // 0, 1, 2, 3: nothing after the abort.
  auto counts = t.Counts();
  EXPECT_EQ(counts.delivered, 4u);
  EXPECT_EQ(counts.dropped, 6u);
}

TEST_F(TsfnTest, StringLoopDeliversEachStringInOrderAndSurvivesThrows) {
  ExpectTheLoopDeliversInOrderAndSurvivesThrows<std::string>(
      rt, env, &FakeRuntime::string_loops, [](int i) { return std::to_string(i); },
      [](const Value& v) { return std::stoi(v.AsString()); });
  EXPECT_EQ(rt.value_loops, 0u);
}

TEST_F(TsfnTest, ValueLoopDeliversEachValueInOrderAndSurvivesThrows) {
  ExpectTheLoopDeliversInOrderAndSurvivesThrows<std::vector<int>>(
      rt, env, &FakeRuntime::value_loops, [](int i) { return std::vector<int>{i}; },
      [](const Value& v) { return static_cast<int>(v.Get(uint32_t{0}).AsNumber()); });
  EXPECT_EQ(rt.string_loops, 0u);
}

TEST_F(TsfnTest, AbortFromACallbackStopsTheStringLoopAtOnce) {
  Recorder r;
  ThreadsafeFunction<std::string, ErrorStrategy::kFatal> t;
  r.reply = [&](Env env, const std::vector<Value>& args) {
    if (args[0].AsString() == "3") {
      EXPECT_EQ(t.Abort(), Status::kOk);
    }
    return CallOutcome{false, Value::Undefined(env)};
  };
  t = ThreadsafeFunction<std::string, ErrorStrategy::kFatal>::Create(env, r.fn()).value();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(t.Call(std::to_string(i)), Status::kOk);
  rt.RunPending();
  EXPECT_EQ(rt.string_loops, 1u);
  ASSERT_EQ(r.calls.size(), 4u);  // 0, 1, 2, 3: nothing after the abort.
  auto counts = t.Counts();
  EXPECT_EQ(counts.delivered, 4u);
  EXPECT_EQ(counts.dropped, 6u);
}

TEST_F(TsfnTest, BatchedDeliveryHandsWholeBatchesAsArrays) {
  Recorder r;
  ThreadsafeFunctionOptions options;
  options.batched = true;
  auto t = ThreadsafeFunction<uint32_t>::Create(env, r.fn(), options).value();
  const int total = static_cast<int>(kMaxDrainPerTick) + 500;
  for (int i = 0; i < total; ++i) ASSERT_EQ(t.Call(static_cast<uint32_t>(i)), Status::kOk);
  rt.RunPending();
  ASSERT_EQ(r.calls.size(), 2u);  // Two wake-ups: kMaxDrainPerTick, then 500.
  std::vector<double> seen;
  for (auto& call : r.calls) {
    ASSERT_EQ(call.size(), 2u);
    EXPECT_TRUE(call[0].IsNull());
    for (uint32_t i = 0; i < call[1].Length(); ++i) seen.push_back(call[1].Get(i).AsNumber());
  }
  ASSERT_EQ(seen.size(), static_cast<size_t>(total));
  for (int i = 0; i < total; ++i) EXPECT_EQ(seen[i], i);
}

// CallMany: a block of values arrives as that many calls, in order, each
// value copied (the caller's block is left as it was); a refused rest is
// reported, not lost; bad input is InvalidArg.
TEST_F(TsfnTest, CallManyDeliversABlockAsThatManyCalls) {
  Recorder r;
  auto t = ThreadsafeFunction<std::string, ErrorStrategy::kFatal>::Create(env, r.fn()).value();
  const std::vector<std::string> block{"a", "b", "c"};
  size_t queued = 0;
  std::thread([&] {
    EXPECT_EQ(t.CallMany(block.data(), block.size(), CallMode::kBlocking, &queued), Status::kOk);
    EXPECT_EQ(t.Call("d"), Status::kOk);
  }).join();
  EXPECT_EQ(queued, 3u);
  EXPECT_EQ(block, (std::vector<std::string>{"a", "b", "c"}));
  rt.RunPending();
  std::vector<std::string> seen;
  for (auto& call : r.calls) {
    ASSERT_EQ(call.size(), 1u);
    seen.push_back(call[0].AsString());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d"}));

  EXPECT_EQ(t.CallMany(nullptr, 2, CallMode::kNonBlocking, &queued), Status::kInvalidArg);
  EXPECT_EQ(queued, 0u);
  EXPECT_EQ(t.CallMany(nullptr, 0), Status::kOk);  // An empty block.
  EXPECT_EQ(t.CallMany(block.data(), 1, static_cast<CallMode>(9)), Status::kInvalidArg);
  ThreadsafeFunction<std::string, ErrorStrategy::kFatal> empty;
  EXPECT_EQ(empty.CallMany(block.data(), 3, CallMode::kNonBlocking, &queued), Status::kClosing);
  EXPECT_EQ(queued, 0u);
  rt.RunPending();
  EXPECT_EQ(r.calls.size(), 4u);  // Nothing more was queued.
}

TEST_F(TsfnTest, CallManyQueuesWhatFitsABoundedQueueAndTheCallerRetriesTheRest) {
  Recorder r;
  ThreadsafeFunctionOptions options;
  options.max_queue_size = 2;
  auto t = ThreadsafeFunction<int, ErrorStrategy::kFatal>::Create(env, r.fn(), options).value();
  const int block[5] = {1, 2, 3, 4, 5};
  size_t queued = 0;
  EXPECT_EQ(t.CallMany(block, 5, CallMode::kNonBlocking, &queued), Status::kQueueFull);
  EXPECT_EQ(queued, 2u);
  // From the JS thread, blocking on a full queue cannot wait: WouldDeadlock.
  size_t more = 9;
  EXPECT_EQ(t.CallMany(block + queued, 5 - queued, CallMode::kBlocking, &more),
            Status::kWouldDeadlock);
  EXPECT_EQ(more, 0u);
  rt.RunPending();
  EXPECT_EQ(t.CallMany(block + queued, 5 - queued, CallMode::kNonBlocking, &more),
            Status::kQueueFull);
  EXPECT_EQ(more, 2u);
  queued += more;
  rt.RunPending();
  EXPECT_EQ(t.CallMany(block + queued, 5 - queued, CallMode::kNonBlocking, &more), Status::kOk);
  EXPECT_EQ(more, 1u);
  rt.RunPending();
  std::vector<double> seen;
  for (auto& call : r.calls) seen.push_back(call[0].AsNumber());
  EXPECT_EQ(seen, (std::vector<double>{1, 2, 3, 4, 5}));
}

// Through a move iterator, CallMany moves its values, and only those it
// queues: move-only payloads work, and a refused rest is left as it was.
TEST_F(TsfnTest, CallManyMovesThroughAMoveIteratorOnlyWhatItQueues) {
  Recorder r;
  ThreadsafeFunctionOptions options;
  options.max_queue_size = 2;
  auto t = ThreadsafeFunction<std::string, ErrorStrategy::kFatal>::Create(env, r.fn(), options)
               .value();
  std::vector<std::string> lines{"first line", "second line", "third line"};
  size_t queued = 0;
  EXPECT_EQ(t.CallMany(std::make_move_iterator(lines.begin()), lines.size(),
                       CallMode::kNonBlocking, &queued),
            Status::kQueueFull);
  EXPECT_EQ(queued, 2u);
  EXPECT_TRUE(lines[0].empty());  // Moved into the queue.
  EXPECT_TRUE(lines[1].empty());
  EXPECT_EQ(lines[2], "third line");  // Refused: left as it was.
  rt.RunPending();
  EXPECT_EQ(t.CallMany(std::make_move_iterator(lines.begin() + 2), 1), Status::kOk);
  rt.RunPending();
  std::vector<std::string> seen;
  for (auto& call : r.calls) seen.push_back(call[0].AsString());
  EXPECT_EQ(seen, (std::vector<std::string>{"first line", "second line", "third line"}));

  // A move-only payload, with a converter.
  Recorder u;
  auto owned = ThreadsafeFunction<std::unique_ptr<int>, ErrorStrategy::kFatal>::Create(
                   env, u.fn(), {},
                   [](Env env, std::unique_ptr<int>& p) -> Result<Args> {
                     return Args{Value::Number(env, *p)};
                   })
                   .value();
  std::unique_ptr<int> block[3] = {std::make_unique<int>(1), std::make_unique<int>(2),
                                   std::make_unique<int>(3)};
  std::thread([&] {
    EXPECT_EQ(owned.CallMany(std::make_move_iterator(block), 3, CallMode::kBlocking), Status::kOk);
  }).join();
  for (auto& p : block) EXPECT_EQ(p, nullptr);
  rt.RunPending();
  ASSERT_EQ(u.calls.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(u.calls[i][0].AsNumber(), i + 1);
}

TEST_F(TsfnTest, CallManyBatchedArrivesAsOneBatch) {
  Recorder r;
  ThreadsafeFunctionOptions options;
  options.batched = true;
  auto t = ThreadsafeFunction<uint8_t, ErrorStrategy::kFatal>::Create(env, r.fn(), options).value();
  const uint8_t block[4] = {0, 7, 128, 255};
  std::thread([&] { EXPECT_EQ(t.CallMany(block, 4), Status::kOk); }).join();
  rt.RunPending();
  ASSERT_EQ(r.calls.size(), 1u);
  const Value& batch = r.calls[0][0];
  EXPECT_EQ(batch.data()->s, "Uint8Array");
  ASSERT_EQ(batch.Length(), 4u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(batch.Get(i).AsNumber(), block[i]);
}

// A batch arrives in the typed array of its payload's type (up to 32 bits;
// wider integers as Float64Array), with the values unchanged.
template <typename T>
void ExpectBatchOf(FakeRuntime& rt, Env env, std::vector<T> values, const char* array_type) {
  SCOPED_TRACE(array_type);
  Recorder r;
  ThreadsafeFunctionOptions options;
  options.batched = true;
  auto t = ThreadsafeFunction<T>::Create(env, r.fn(), options).value();
  for (T v : values) ASSERT_EQ(t.Call(v), Status::kOk);
  rt.RunPending();
  ASSERT_EQ(r.calls.size(), 1u);
  const Value& batch = r.calls[0][1];
  EXPECT_EQ(batch.data()->s, array_type);
  ASSERT_EQ(batch.Length(), values.size());
  for (uint32_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(batch.Get(i).AsNumber(), static_cast<double>(values[i]));
  }
}

TEST_F(TsfnTest, BatchesArriveInTheTypedArrayOfTheirPayload) {
  ExpectBatchOf<int8_t>(rt, env, {-128, -1, 0, 127}, "Int8Array");
  ExpectBatchOf<uint8_t>(rt, env, {0, 1, 255}, "Uint8Array");
  ExpectBatchOf<int16_t>(rt, env, {-32768, -1, 32767}, "Int16Array");
  ExpectBatchOf<uint16_t>(rt, env, {0, 65535}, "Uint16Array");
  ExpectBatchOf<int32_t>(rt, env, {INT32_MIN, -1, INT32_MAX}, "Int32Array");
  ExpectBatchOf<uint32_t>(rt, env, {0, UINT32_MAX}, "Uint32Array");
  ExpectBatchOf<float>(rt, env, {-1.5f, 0.1f, 3.0e38f}, "Float32Array");
  ExpectBatchOf<double>(rt, env, {-2.5, 0.1, 1e300}, "Float64Array");
  ExpectBatchOf<int64_t>(rt, env, {-(int64_t{1} << 53), 0, int64_t{1} << 53}, "Float64Array");
  ExpectBatchOf<uint64_t>(rt, env, {0, uint64_t{1} << 53}, "Float64Array");
  // 4 bytes in wasm32, 8 natively: the same array on both.
  ExpectBatchOf<long>(rt, env, {-1, 0, 1}, "Float64Array");
  ExpectBatchOf<size_t>(rt, env, {0, 1}, "Float64Array");
  ExpectBatchOf<int>(rt, env, {-1, 0, 1}, "Int32Array");
}

// Lent batches: the callback sees the whole batch; once it returns, the
// array is given back (EndLend: detached, so it reads as empty).
TEST_F(TsfnTest, LentBatchesAreGivenBackWhenTheCallbackReturns) {
  Recorder r;
  std::vector<double> seen;
  r.reply = [&](Env env, const std::vector<Value>& args) {
    for (uint32_t i = 0; i < args[1].Length(); ++i) seen.push_back(args[1].Get(i).AsNumber());
    return CallOutcome{false, Value::Undefined(env)};
  };
  ThreadsafeFunctionOptions options;
  options.batched = true;
  options.lend_batches = true;
  auto t = ThreadsafeFunction<uint32_t>::Create(env, r.fn(), options).value();
  const int total = static_cast<int>(kMaxDrainPerTick) + 500;
  for (int i = 0; i < total; ++i) ASSERT_EQ(t.Call(static_cast<uint32_t>(i)), Status::kOk);
  rt.RunPending();
  ASSERT_EQ(r.calls.size(), 2u);
  for (auto& call : r.calls) {
    ASSERT_EQ(call.size(), 2u);
    EXPECT_TRUE(call[1].IsArray());
    EXPECT_EQ(call[1].Length(), 0u);  // Given back.
  }
  ASSERT_EQ(seen.size(), static_cast<size_t>(total));
  for (int i = 0; i < total; ++i) EXPECT_EQ(seen[i], i);
}

TEST_F(TsfnTest, LendingBatchesNeedsBatchedDelivery) {
  Recorder r;
  ThreadsafeFunctionOptions options;
  options.lend_batches = true;
  auto t = ThreadsafeFunction<uint32_t>::Create(env, r.fn(), options);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "InvalidArg");
}

// Queues `total` calls of 1 ms callbacks (from this thread, or from a
// thread of their own), on the numeric fast path (the loop in JS) and on
// the per-item path; checks that one wake-up delivers at most 10 of them
// (8 ms of 1 ms calls, and the handed-over one), and that the later ones
// deliver the rest, in order.
void ExpectSlowCallbacksYield(FakeRuntime& rt, Env env, size_t total,
                              bool from_other_thread) {
  for (bool converter : {false, true}) {
    SCOPED_TRACE(converter ? "per-item path" : "numeric fast path");
    Recorder r;
    r.reply = [](Env env, const std::vector<Value>&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return CallOutcome{false, Value::Undefined(env)};
    };
    auto created = converter
        ? ThreadsafeFunction<uint32_t>::Create(env, r.fn(), {},
              [](Env env, uint32_t& v) -> Result<Args> { return Args{Value::Number(env, v)}; })
        : ThreadsafeFunction<uint32_t>::Create(env, r.fn());
    auto t = std::move(created).value();
    rt.RunPending();  // The previous round's finalization, if any.
    auto call_all = [&] {
      for (size_t i = 0; i < total; ++i) ASSERT_EQ(t.Call(static_cast<uint32_t>(i)), Status::kOk);
    };
    if (from_other_thread) {
      std::thread(call_all).join();
    } else {
      call_all();
    }
    // A refused call ends the test, as an ASSERT in its body would.
    if (::testing::Test::HasFatalFailure()) return;
    ASSERT_TRUE(rt.RunOne());  // One wake-up.
    EXPECT_GE(r.calls.size(), 1u);
    EXPECT_LE(r.calls.size(), 10u);  // 8 ms of 1 ms calls, and the handed-over one.
    rt.RunPending();
    ASSERT_EQ(r.calls.size(), total);
    for (size_t i = 0; i < total; ++i) EXPECT_EQ(r.calls[i][1].AsNumber(), i);
  }
}

// A batch of slow callbacks stops once it has taken kMaxDrainTime and yields
// (the next wake-up delivers the rest, in order). The loops read the clock
// at the callbacks' pace (ClockPacer): with 1 ms each, a batch stops after
// at most 9, and a call handed over alone may come first. (Read every 32
// calls, as until 2026-11-28, a batch ran 32.)
TEST_F(TsfnTest, SlowCallbacksYieldAfterTheDrainTimeBudget) {
  ExpectSlowCallbacksYield(rt, env, 100, false);  // 100 ms of callbacks.
}

// A run shorter than 32 calls is bounded by the budget too: the loops once
// read the clock only every 32 calls, so 20 slow callbacks ran in one task.
TEST_F(TsfnTest, AShortRunOfSlowCallbacksYieldsAfterTheDrainTimeBudget) {
  ExpectSlowCallbacksYield(rt, env, 20, true);
}

// A payload of our own, slow to make into its JS value (slow_make_us each):
// the value loop makes it (JsTraits) a chunk at a time, within the
// drain's budget.
struct SlowToMake {
  int i;
};
std::atomic<int> slow_made{0};
std::atomic<int> slow_make_us{1000};
}  // namespace
template <>
struct JsTraits<SlowToMake> {
  static Value ToJs(Env env, const SlowToMake& v) {
    ++slow_made;
    std::this_thread::sleep_for(std::chrono::microseconds(slow_make_us.load()));
    return Value::Number(env, v.i);
  }
};
namespace {

// Values slow to make end a drain at the budget too, the clock read at the
// making's pace (read every 16 values, as until 2026-11-28, 16 of 1 ms were
// made and delivered in a drain). And each is made about once: the values
// made get at least kValueChunkTime for their callbacks, so a drain whose
// making spent the budget still delivers them (with a spent budget it
// delivered one of them, and the next drain made the rest again: 422
// makings for 400 values of 250 us).
TEST_F(TsfnTest, ValuesSlowToMakeYieldAfterTheBudgetAndAreMadeAboutOnce) {
  for (int us : {1000, 250}) {
    SCOPED_TRACE(us);
    slow_make_us = us;
    Recorder r;
    auto t = ThreadsafeFunction<SlowToMake>::Create(env, r.fn()).value();
    rt.RunPending();  // The previous round's finalization, if any.
    slow_made = 0;
    const int total = us == 1000 ? 40 : 400;
    std::thread([&] {
      for (int i = 0; i < total; ++i) ASSERT_EQ(t.Call(SlowToMake{i}), Status::kOk);
    }).join();
    ASSERT_TRUE(rt.RunOne());  // One wake-up.
    EXPECT_GE(r.calls.size(), 1u);
    // 8 ms of making, and the handed-over call: at most 10 of 1 ms.
    if (us == 1000) {
      EXPECT_LE(r.calls.size(), 10u);
    }
    rt.RunPending();
    ASSERT_EQ(r.calls.size(), static_cast<size_t>(total));
    for (int i = 0; i < total; ++i) EXPECT_EQ(r.calls[i][1].AsNumber(), i);
    if (us == 250) {
      EXPECT_LE(slow_made.load(), total + 6);
    }
  }
}

// The same on the string loop, which paces its clock reads too.
TEST_F(TsfnTest, SlowCallbacksYieldAfterTheDrainTimeBudgetOnTheStringLoop) {
  Recorder r;
  r.reply = [](Env env, const std::vector<Value>&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return CallOutcome{false, Value::Undefined(env)};
  };
  auto t = ThreadsafeFunction<std::string>::Create(env, r.fn()).value();
  const size_t total = 100;  // 100 ms of callbacks.
  std::thread([&] {
    for (size_t i = 0; i < total; ++i) ASSERT_EQ(t.Call(std::to_string(i)), Status::kOk);
  }).join();
  ASSERT_TRUE(rt.RunOne());  // One wake-up.
  EXPECT_GE(r.calls.size(), 1u);
  EXPECT_LE(r.calls.size(), 10u);  // 8 ms of 1 ms calls, and the handed-over one.
  EXPECT_EQ(rt.string_loops, 1u);
  rt.RunPending();
  ASSERT_EQ(r.calls.size(), total);
  for (size_t i = 0; i < total; ++i) EXPECT_EQ(r.calls[i][1].AsString(), std::to_string(i));
}

// A batch of values is built before its one call: slow conversions end it
// at the drain's time budget (the clock read at their pace: 1 ms each, at
// most 9; every 16, as until 2026-11-28, made 16), and the rest come in
// later drains, in order.
TEST_F(TsfnTest, SlowConversionsEndABatchOfValuesAtTheTimeBudget) {
  Recorder r;
  ThreadsafeFunctionOptions options;
  options.batched = true;
  auto t = ThreadsafeFunction<uint32_t>::Create(env, r.fn(), options,
                                                [](Env env, uint32_t& v) -> Result<Args> {
                                                  std::this_thread::sleep_for(1ms);
                                                  return Args{Value::Number(env, v)};
                                                })
               .value();
  const uint32_t total = 100;  // 100 ms of conversions.
  for (uint32_t i = 0; i < total; ++i) ASSERT_EQ(t.Call(i), Status::kOk);
  ASSERT_TRUE(rt.RunOne());  // One wake-up: one batch of at most 9.
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_LE(r.calls[0][1].Length(), 9u);
  rt.RunPending();
  EXPECT_GE(r.calls.size(), 12u);
  std::vector<double> seen;
  for (auto& call : r.calls) {
    for (uint32_t i = 0; i < call[1].Length(); ++i) seen.push_back(call[1].Get(i).AsNumber());
  }
  ASSERT_EQ(seen.size(), total);
  for (uint32_t i = 0; i < total; ++i) EXPECT_EQ(seen[i], i);
}

// Payloads that are not plain numbers come in batches too: an Array, one
// element per call (its one argument, or an array of its several), in
// order, one JS call per drain. Lending stays for typed arrays.
TEST_F(TsfnTest, OtherPayloadsArriveInArraysOfValues) {
  ThreadsafeFunctionOptions options;
  options.batched = true;
  {
    Recorder r;
    auto t = ThreadsafeFunction<std::string>::Create(env, r.fn(), options).value();
    std::thread([&] {
      for (const char* s : {"a", "b", "c"}) EXPECT_EQ(t.Call(s), Status::kOk);
    }).join();
    rt.RunPending();
    ASSERT_EQ(r.calls.size(), 1u);
    ASSERT_EQ(r.calls[0].size(), 2u);
    EXPECT_TRUE(r.calls[0][0].IsNull());
    const Value& batch = r.calls[0][1];
    ASSERT_TRUE(batch.IsArray());
    EXPECT_EQ(batch.data()->s, "");  // A plain Array, not a typed one.
    ASSERT_EQ(batch.Length(), 3u);
    EXPECT_EQ(batch.Get(0u).AsString(), "a");
    EXPECT_EQ(batch.Get(1u).AsString(), "b");
    EXPECT_EQ(batch.Get(2u).AsString(), "c");
    EXPECT_EQ(rt.string_arrays, 1u);  // Made from the strings' bytes at once.
  }
  {
    Recorder r;
    using Pair = Spread<int, std::string>;
    auto t = ThreadsafeFunction<Pair, ErrorStrategy::kFatal>::Create(env, r.fn(), options).value();
    ASSERT_EQ(t.Call(Pair{1, "x"}), Status::kOk);
    ASSERT_EQ(t.Call(Pair{2, "y"}), Status::kOk);
    rt.RunPending();
    ASSERT_EQ(r.calls.size(), 1u);
    ASSERT_EQ(r.calls[0].size(), 1u);
    const Value& batch = r.calls[0][0];
    ASSERT_EQ(batch.Length(), 2u);
    EXPECT_EQ(batch.Get(0u).Get(0u).AsNumber(), 1);
    EXPECT_EQ(batch.Get(0u).Get(1u).AsString(), "x");
    EXPECT_EQ(batch.Get(1u).Get(0u).AsNumber(), 2);
    EXPECT_EQ(batch.Get(1u).Get(1u).AsString(), "y");
  }
  {
    // A numeric payload with a converter: an Array of what it converts to.
    Recorder r;
    auto t = ThreadsafeFunction<int>::Create(env, r.fn(), options,
                                             [](Env env, int& n) -> Result<Args> {
                                               return Args{Value::String(env, std::to_string(n))};
                                             })
                 .value();
    ASSERT_EQ(t.Call(7), Status::kOk);
    ASSERT_EQ(t.Call(8), Status::kOk);
    rt.RunPending();
    ASSERT_EQ(r.calls.size(), 1u);
    const Value& batch = r.calls[0][1];
    ASSERT_EQ(batch.Length(), 2u);
    EXPECT_EQ(batch.Get(0u).AsString(), "7");
    EXPECT_EQ(batch.Get(1u).AsString(), "8");
  }
  Recorder r;
  options.lend_batches = true;
  auto lent = ThreadsafeFunction<std::string>::Create(env, r.fn(), options);
  ASSERT_FALSE(lent.ok());
  EXPECT_EQ(lent.error().code, "InvalidArg");
}

// In a batch of values, a call whose conversion fails ends the batch: the
// calls before it arrive first, then its error alone (CalleeHandled: the
// error argument; Fatal: uncaught, the callback skipped), then the calls
// after it. Each payload is converted once; a consumer's call comes alone.
TEST_F(TsfnTest, BatchesOfValuesKeepErrorsAndConsumersInOrder) {
  ThreadsafeFunctionOptions options;
  options.batched = true;
  int conversions = 0;
  auto convert = [&conversions](Env env, int& n) -> Result<Args> {
    ++conversions;
    if (n < 0) return Error("Negative", "negative " + std::to_string(n));
    return Args{Value::Number(env, n)};
  };
  Recorder r;
  r.reply = [](Env env, const std::vector<Value>& args) {
    return CallOutcome{false, Value::Number(env, args.size() == 2 ? args[1].Length() : 0)};
  };
  auto t = ThreadsafeFunction<int>::Create(env, r.fn(), options, convert).value();
  std::vector<double> consumed;
  for (int n : {1, 2, -3, 4}) ASSERT_EQ(t.Call(n), Status::kOk);
  ASSERT_EQ(t.CallWithReturnValue<double>(5, CallMode::kNonBlocking,
                                          [&](Result<double> v) {
                                            consumed.push_back(v.ok() ? v.value() : -1);
                                          }),
            Status::kOk);
  ASSERT_EQ(t.Call(6), Status::kOk);
  rt.RunPending();
  EXPECT_EQ(conversions, 6);
  // [1, 2]; the error; [4]; [5] (the consumer's, alone); [6].
  ASSERT_EQ(r.calls.size(), 5u);
  auto numbers = [](const Value& batch) {
    std::vector<double> out;
    for (uint32_t i = 0; i < batch.Length(); ++i) out.push_back(batch.Get(i).AsNumber());
    return out;
  };
  EXPECT_EQ(numbers(r.calls[0][1]), (std::vector<double>{1, 2}));
  ASSERT_EQ(r.calls[1].size(), 1u);
  EXPECT_EQ(r.calls[1][0].Get("message").AsString(), "negative -3");
  EXPECT_EQ(r.calls[1][0].Get("code").AsString(), "Negative");
  EXPECT_EQ(numbers(r.calls[2][1]), (std::vector<double>{4}));
  EXPECT_EQ(numbers(r.calls[3][1]), (std::vector<double>{5}));
  EXPECT_EQ(numbers(r.calls[4][1]), (std::vector<double>{6}));
  EXPECT_EQ(consumed, std::vector<double>{1});  // The length of its batch.

  // Fatal: the error is uncaught and the callback skipped for it.
  Recorder f;
  auto fatal = ThreadsafeFunction<int, ErrorStrategy::kFatal>::Create(env, f.fn(), options, convert)
                   .value();
  for (int n : {1, -2, 3}) ASSERT_EQ(fatal.Call(n), Status::kOk);
  const size_t uncaught = rt.uncaught.size();
  rt.RunPending();
  ASSERT_EQ(f.calls.size(), 2u);
  EXPECT_EQ(numbers(f.calls[0][0]), (std::vector<double>{1}));
  EXPECT_EQ(numbers(f.calls[1][0]), (std::vector<double>{3}));
  ASSERT_EQ(rt.uncaught.size(), uncaught + 1);
  EXPECT_EQ(rt.uncaught.back(), "negative -2");
}

TEST_F(TsfnTest, ErrorsAndConsumersAmidNumbersKeepTheirOrder) {
  Recorder r;
  auto t = ThreadsafeFunction<int>::Create(env, r.fn()).value();
  std::vector<std::string> order;
  ASSERT_EQ(t.Call(1), Status::kOk);
  ASSERT_EQ(t.Call(Result<int>(Error("E", "two"))), Status::kOk);
  ASSERT_EQ(t.CallWithReturnValue<NoArgs>(3, CallMode::kNonBlocking,
                                          [&](Result<NoArgs>) { order.push_back("consumer"); }),
            Status::kOk);
  ASSERT_EQ(t.Call(4), Status::kOk);
  rt.RunPending();
  ASSERT_EQ(r.calls.size(), 4u);
  EXPECT_EQ(r.calls[0][1].AsNumber(), 1);
  EXPECT_EQ(r.calls[1][0].Get("message").AsString(), "two");
  EXPECT_EQ(r.calls[2][1].AsNumber(), 3);
  EXPECT_EQ(r.calls[3][1].AsNumber(), 4);
  EXPECT_EQ(order, std::vector<std::string>{"consumer"});
}

// Batched delivery: every value reaches the callback in a batch, whatever
// the call. One with a consumer comes in a batch of its own (the consumer
// gets the callback's result for that call alone); an error comes alone,
// as the callback's error argument (CalleeHandled). Order is kept. Kept
// and lent batches alike.
TEST_F(TsfnTest, BatchedCallsWithConsumersArriveInBatchesOfTheirOwn) {
  for (bool lend : {false, true}) {
    SCOPED_TRACE(lend ? "lent" : "kept");
    Recorder r;
    std::vector<std::vector<double>> batches;  // Each batch, read while it was lent.
    r.reply = [&](Env env, const std::vector<Value>& args) {
      std::vector<double> seen;
      if (args.size() == 2) {
        for (uint32_t i = 0; i < args[1].Length(); ++i) seen.push_back(args[1].Get(i).AsNumber());
      }
      batches.push_back(seen);
      return CallOutcome{false, Value::Number(env, seen.size() == 1 ? seen[0] * 10 : -1)};
    };
    ThreadsafeFunctionOptions options;
    options.batched = true;
    options.lend_batches = lend;
    auto t = ThreadsafeFunction<uint32_t>::Create(env, r.fn(), options).value();
    std::vector<double> results;
    ASSERT_EQ(t.Call(1), Status::kOk);
    ASSERT_EQ(t.CallWithReturnValue<double>(2, CallMode::kNonBlocking,
                                            [&](Result<double> v) {
                                              results.push_back(v.ok() ? v.value() : -2);
                                            }),
              Status::kOk);
    ASSERT_EQ(t.Call(Result<uint32_t>(Error("E", "three"))), Status::kOk);
    ASSERT_EQ(t.Call(4), Status::kOk);
    ASSERT_EQ(t.Call(5), Status::kOk);
    Future<double> awaited = t.CallAsync<double>(6);
    rt.RunPending();
    ASSERT_EQ(r.calls.size(), 5u);
    for (size_t c : {0, 1, 3, 4}) {
      ASSERT_EQ(r.calls[c].size(), 2u) << c;
      EXPECT_TRUE(r.calls[c][0].IsNull()) << c;
      EXPECT_TRUE(r.calls[c][1].IsArray()) << c;
      EXPECT_EQ(r.calls[c][1].data()->s, "Uint32Array") << c;
      // A lent batch is given back once its callback returned.
      if (lend) {
        EXPECT_EQ(r.calls[c][1].Length(), 0u) << c;
      }
    }
    ASSERT_EQ(r.calls[2].size(), 1u);
    EXPECT_EQ(r.calls[2][0].Get("message").AsString(), "three");
    EXPECT_EQ(batches, (std::vector<std::vector<double>>{{1}, {2}, {}, {4, 5}, {6}}));
    EXPECT_EQ(results, std::vector<double>{20});
    ASSERT_TRUE(awaited.ready());
    Result<double> got = awaited.Wait();
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got.value(), 60);
  }
}

// Every kind of queued call (a plain value, an error, a value with a
// consumer, an error with a consumer) keeps its value, error and consumer
// through ring growth (which moves items) and delivery, and is destroyed
// exactly once when dropped. Run for a payload with a heap buffer
// (std::string), which lets ASan catch a lost, doubled or missing
// destruction, and for a 4-byte one, whose queued call is packed into 8
// bytes natively (PackedCallItem: a call with an extra keeps its value
// there and splits the extra's address over the tag and the payload).
template <typename P>
void ExpectEveryKindOfCallSurvives(Env env, FakeRuntime& rt, P (*make)(int),
                                   void (*check)(const Value&, int)) {
  Recorder r;
  constexpr int kCalls = 1000;  // The ring grows from 1 several times.
  for (int round = 0; round < 2; ++round) {
    const bool abort = round == 1;
    auto t = ThreadsafeFunction<P>::Create(env, r.fn()).value();
    r.calls.clear();
    std::vector<std::string> consumed;
    for (int i = 0; i < kCalls; ++i) {
      Result<P> payload = i % 3 == 1 ? Result<P>(Error("E", "error " + std::to_string(i)))
                                     : Result<P>(make(i));
      if (i % 2 == 0) {
        ASSERT_EQ(t.Call(std::move(payload)), Status::kOk);
      } else {
        ASSERT_EQ(t.template CallWithReturnValue<NoArgs>(
                      std::move(payload), CallMode::kNonBlocking,
                      [&, i](Result<NoArgs> v) {
                        consumed.push_back(std::to_string(i) + (v.ok() ? "" : ":" + v.error().code));
                      }),
                  Status::kOk);
      }
    }
    if (abort) std::thread([&] { EXPECT_EQ(t.Abort(), Status::kOk); }).join();
    rt.RunPending();
    // Every second call had a consumer: it ran once, in order, with the
    // callback's result (an error call's callback runs too: CalleeHandled),
    // or with Closing when aborted.
    ASSERT_EQ(consumed.size(), static_cast<size_t>(kCalls / 2));
    for (int k = 0; k < kCalls / 2; ++k) {
      const int i = 2 * k + 1;
      EXPECT_EQ(consumed[k], std::to_string(i) + (abort ? ":Closing" : "")) << i;
    }
    if (abort) {
      EXPECT_TRUE(r.calls.empty());
      EXPECT_EQ(t.Counts().dropped, static_cast<size_t>(kCalls));
      continue;
    }
    ASSERT_EQ(r.calls.size(), static_cast<size_t>(kCalls));
    for (int i = 0; i < kCalls; ++i) {
      if (i % 3 == 1) {  // CalleeHandled: the error is the only argument.
        ASSERT_EQ(r.calls[i].size(), 1u) << i;
        EXPECT_EQ(r.calls[i][0].Get("message").AsString(), "error " + std::to_string(i));
        EXPECT_EQ(r.calls[i][0].Get("code").AsString(), "E");
      } else {
        ASSERT_EQ(r.calls[i].size(), 2u) << i;
        EXPECT_TRUE(r.calls[i][0].IsNull());
        check(r.calls[i][1], i);
      }
    }
  }
}

TEST_F(TsfnTest, EveryKindOfCallSurvivesRingGrowthDeliveryAndDrops) {
  ExpectEveryKindOfCallSurvives<std::string>(
      env, rt, [](int i) { return std::to_string(i) + std::string(40, 'x'); },
      [](const Value& v, int i) { EXPECT_EQ(v.AsString(), std::to_string(i) + std::string(40, 'x')); });
}

TEST_F(TsfnTest, EveryKindOfCallOfAPackedPayloadSurvivesRingGrowthDeliveryAndDrops) {
  static_assert(sizeof(void*) != 8 || sizeof(detail::CallItem<uint32_t>) == 8,
                "a 4-byte payload's call is packed into 8 bytes natively");
  // Values with their high bits set: the payload's bytes hold the high
  // half of an extra's address, so a mix-up shows.
  ExpectEveryKindOfCallSurvives<uint32_t>(
      env, rt, [](int i) { return 0xfffff000u + static_cast<uint32_t>(i); },
      [](const Value& v, int i) { EXPECT_EQ(v.AsNumber(), 0xfffff000u + static_cast<double>(i)); });
}

// The producer path allocates nothing per call for payloads of up to 64
// bytes (issue #5's goal): a fire-and-forget call's payload is moved into
// the queue's ring in place. One producer thread makes three rounds of
// kCalls calls, the JS thread draining between them. A bounded queue's
// rings are allocated at its bound, so no round allocates; an unbounded
// queue's two rings (the producers' and the drain's trade places at each
// drain) grow in the first two rounds and never shrink, so the third
// allocates nothing. Each round's first call finds the queue idle and
// rings (the fake doorbell allocates a task, as a real one may: once per
// wake-up, not per call), so it is made before counting starts.
template <typename P>
void ExpectNoAllocationPerCall(Env env, FakeRuntime& rt, size_t max_queue_size,
                               P (*make)(int), size_t args) {
  constexpr int kCalls = 1024;
  constexpr int kRounds = 3;
  Recorder r;
  ThreadsafeFunctionOptions options;
  options.max_queue_size = max_queue_size;
  auto t = ThreadsafeFunction<P, ErrorStrategy::kFatal>::Create(env, r.fn(), options).value();
  std::promise<void> drained[kRounds];
  std::promise<size_t> filled[kRounds];
  size_t counted[kRounds];
  std::thread producer([&] {
    for (int round = 0; round < kRounds; ++round) {
      if (round > 0) drained[round - 1].get_future().wait();
      counted[round] = kCalls;  // Stays so if a call fails.
      if (t.Call(make(round * kCalls)) == Status::kOk) {  // Rings.
        AllocationCounter counter;
        int i = 1;
        while (i < kCalls && t.Call(make(round * kCalls + i)) == Status::kOk) ++i;
        if (i == kCalls) counted[round] = counter.count();
      }
      filled[round].set_value(t.Counts().accepted);
    }
  });
  for (int round = 0; round < kRounds; ++round) {
    EXPECT_EQ(filled[round].get_future().get(), static_cast<size_t>((round + 1) * kCalls));
    rt.RunPending();
    drained[round].set_value();
  }
  producer.join();
  const std::string what = std::to_string(sizeof(P)) + "-byte payload, max_queue_size " +
                           std::to_string(max_queue_size);
  for (int round = max_queue_size == 0 ? 2 : 0; round < kRounds; ++round) {
    EXPECT_EQ(counted[round], 0u) << what << ", round " << round + 1;
  }
  // Every call arrived, in order, with its whole payload.
  ASSERT_EQ(r.calls.size(), static_cast<size_t>(kRounds * kCalls)) << what;
  for (int i = 0; i < kRounds * kCalls; i += 97) {
    ASSERT_EQ(r.calls[i].size(), args) << what;
    for (size_t a = 0; a < args; ++a) {
      EXPECT_EQ(r.calls[i][a].AsNumber(), static_cast<double>(i + a)) << what << ", call " << i;
    }
  }
}

using Payload16 = Spread<double, double>;
using Payload64 = Spread<double, double, double, double, double, double, double, double>;
static_assert(sizeof(Payload16) == 16 && sizeof(Payload64) == 64, "payload sizes");

TEST_F(TsfnTest, TheProducerPathAllocatesNothingPerCallForPayloadsUpTo64Bytes) {
  for (size_t max_queue_size : {size_t{0}, size_t{1024}}) {
    ExpectNoAllocationPerCall<uint32_t>(
        env, rt, max_queue_size, [](int i) { return static_cast<uint32_t>(i); }, 1);
    ExpectNoAllocationPerCall<Payload16>(
        env, rt, max_queue_size, [](int i) { return Payload16(i, i + 1); }, 2);
    ExpectNoAllocationPerCall<Payload64>(
        env, rt, max_queue_size,
        [](int i) { return Payload64(i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7); }, 8);
  }
}

}  // namespace
}  // namespace anythread
