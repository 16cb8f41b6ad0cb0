// anythread's own module: the conformance functions, mirroring NAPI-RS's
// ThreadsafeFunction examples. Written once; compiled into the native addon
// and into the wasm module by anythread_add_module(), as a user's module is.
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <optional>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "anythread/anythread.hpp"

namespace {

using anythread::Args;
using anythread::CallbackInfo;
using anythread::CallMode;
using anythread::Deferred;
using anythread::Env;
using anythread::Error;
using anythread::ErrorKind;
using anythread::ErrorStrategy;
using anythread::Result;
using anythread::Status;
using anythread::NoArgs;
using anythread::SharedValue;
using anythread::SharedValuePtr;
using anythread::Spread;
using anythread::ThreadsafeFunction;
using anythread::Value;
using namespace std::chrono_literals;

// JS thread. The callback argument, or a TypeError (code InvalidArg) made
// pending when `info[index]` is not a function.
bool RequireFunction(const CallbackInfo& info, size_t index, const char* what) {
  if (index < info.Length() && info[index].IsFunction()) return true;
  anythread::ThrowError(info.env(), ErrorKind::kTypeError,
                        anythread::StatusName(Status::kInvalidArg),
                        std::string(what) + " must be a function");
  return false;
}

// The seed's converter: JS receives n + 1.
template <ErrorStrategy S>
Value CallFromHundredThreads(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<uint32_t, S>::Create(
      env, info[0], {}, [](Env env, uint32_t& n) -> Result<anythread::Args> {
        return anythread::Args{Value::Number(env, n + 1)};
      });
  if (!tsfn.ok()) return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  anythread::RunOnThreads(100, [tsfn = std::move(tsfn).value()](size_t n) mutable {
    (void)tsfn.Call(static_cast<uint32_t>(n), CallMode::kBlocking);
  });
  return Value::Undefined(env);
}

Value CallThreadsafeFunction(const CallbackInfo& info) {
  return CallFromHundredThreads<ErrorStrategy::kCalleeHandled>(info);
}

Value CallThreadsafeFunctionFatal(const CallbackInfo& info) {
  return CallFromHundredThreads<ErrorStrategy::kFatal>(info);
}

// CalleeHandled: JS receives one Error, message ThrowFromNative, code
// GenericFailure.
Value ThreadsafeFunctionThrowError(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<bool>::Create(env, info[0]);
  if (!tsfn.ok()) return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  anythread::RunOnThreads(1, [tsfn = std::move(tsfn).value()](size_t) mutable {
    (void)tsfn.Call(Result<bool>(Error("ThrowFromNative")), CallMode::kBlocking);
  });
  return Value::Undefined(env);
}

// Fatal: JS receives (true).
Value ThreadsafeFunctionFatalMode(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<bool, ErrorStrategy::kFatal>::Create(env, info[0]);
  if (!tsfn.ok()) return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  anythread::RunOnThreads(1, [tsfn = std::move(tsfn).value()](size_t) mutable {
    (void)tsfn.Call(true, CallMode::kBlocking);
  });
  return Value::Undefined(env);
}

// Fatal: one thread calls with a native Error (reason FatalFromNative, code
// GenericFailure); the callback never runs and the error is uncaught.
Value ThreadsafeFunctionFatalNativeError(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<bool, ErrorStrategy::kFatal>::Create(env, info[0]);
  if (!tsfn.ok()) return anythread::ThrowError(env, ErrorKind::kError, tsfn.error());
  anythread::RunOnThreads(1, [tsfn = std::move(tsfn).value()](size_t) mutable {
    (void)tsfn.Call(Result<bool>(Error("FatalFromNative")), CallMode::kBlocking);
  });
  return Value::Undefined(env);
}


// ---------------------------------------------------------------------------
// Helpers shared by the conformance functions.

Value ThrowStatus(Env env, ErrorKind kind, Status status, const std::string& msg) {
  return anythread::ThrowError(env, kind, anythread::StatusName(status), msg);
}

// A Result's Error as a pending JS exception (the thrown value itself when
// it came from JS).
Value ThrowResultError(Env env, const Error& error) {
  return anythread::ThrowValue(env, anythread::ToJsError(env, error));
}

template <typename T>
Value PromiseOrThrow(Env env, Result<Deferred<T>>* deferred, Value* promise) {
  if (!deferred->ok()) return ThrowResultError(env, deferred->error());
  return *promise;
}

// Runs `fn` on one new thread (detached).
template <typename Fn>
void OnNewThread(Fn fn) {
  anythread::StartDetachedThread(std::move(fn));
}

// 2. CH; one thread, ten times: sleep 100 ms, then call with n = 0..9.
Value CallLongThreadsafeFunction(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<uint32_t>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value()]() mutable {
    for (uint32_t n = 0; n < 10; ++n) {
      std::this_thread::sleep_for(100ms);
      (void)tsfn.Call(n, CallMode::kNonBlocking);
    }
  });
  return Value::Undefined(env);
}

// 3. CH; one thread calls, blocking, with an Error of a custom code.
Value ThreadsafeFunctionThrowErrorWithStatus(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<bool>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value()]() mutable {
    (void)tsfn.Call(Result<bool>(Error("CustomErrorStatus", "ThrowFromNative")),
                    CallMode::kBlocking);
  });
  return Value::Undefined(env);
}

// 4. The same, built with the builder and CalleeHandled turned on.
Value ThreadsafeFunctionBuildThrowErrorWithStatus(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = anythread::BuildThreadsafeFunction<bool>(env, info[0])
                  .CalleeHandled<true>()
                  .Build();
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value()]() mutable {
    (void)tsfn.Call(Result<bool>(Error("CustomErrorStatus", "ThrowFromNative")),
                    CallMode::kBlocking);
  });
  return Value::Undefined(env);
}

// 5. Fatal; the JS result must be a string: anything else is fatal.
Value ThreadsafeFunctionFatalModeError(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<bool, ErrorStrategy::kFatal>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value()]() mutable {
    (void)tsfn.CallWithReturnValue<std::string>(
        true, CallMode::kBlocking, [](Result<std::string> r) { (void)r; });
  });
  return Value::Undefined(env);
}

// 6. Fatal; holds `value` by reference; a call from the JS thread passes it.
Value ThreadsafeFunctionClosureCapture(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 1, "callback")) return Value::Undefined(env);
  SharedValuePtr captured = SharedValue::Make(env, info[0]);
  auto tsfn = ThreadsafeFunction<NoArgs, ErrorStrategy::kFatal>::Create(
      env, info[1], {}, [captured](Env env, NoArgs&) -> Result<Args> {
        return Args{captured->Get(env)};
      });
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  (void)tsfn.value().Call(NoArgs{}, CallMode::kNonBlocking);
  return Value::Undefined(env);
}

// 7. CH, no payload, from the JS thread, with a result consumer.
Value TsfnCallWithCallback(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<NoArgs>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Status status = tsfn.value().CallWithReturnValue<std::string>(
      NoArgs{}, CallMode::kNonBlocking, [env](Result<std::string> r) {
        // JS thread. Anything but the expected string is reported.
        if (!r.ok()) {
          anythread::ReportUncaught(env, anythread::ToJsError(env, r.error()));
        } else if (r.value() != "ReturnFromJavaScriptRawCallback") {
          anythread::ReportUncaught(
              env, anythread::MakeError(env, ErrorKind::kError, "GenericFailure",
                                        "Expected ReturnFromJavaScriptRawCallback, got " +
                                            r.value()));
        }
      });
  if (status != Status::kOk) return ThrowStatus(env, ErrorKind::kError, status, "call failed");
  return Value::Undefined(env);
}

// 8. Fatal; an awaited call with (0, 1, 2); the continuation settles.
Value TsfnAsyncCall(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<Spread<int, int, int>, ErrorStrategy::kFatal>::Create(
      env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Value promise;
  auto deferred = Deferred<NoArgs>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  tsfn.value()
      .CallAsync<std::string>(Spread<int, int, int>(0, 1, 2))
      .Then([d = deferred.value()](Result<std::string> r) {
        if (!r.ok()) return d.Reject(r.error());
        if (r.value() != "ReturnFromJavaScriptRawCallback") {
          return d.Reject(Error("Expected ReturnFromJavaScriptRawCallback, got " + r.value()));
        }
        d.Resolve(NoArgs{});
      });
  return promise;
}

// 9. One thread calls with 1 / (1, false, 'NAPI-RS') / [1, false, 'NAPI-RS'].
template <typename T, ErrorStrategy S>
Value CallOnceFromThread(const CallbackInfo& info, T value) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<T, S>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value(), value = std::move(value)]() mutable {
    (void)tsfn.Call(std::move(value), CallMode::kNonBlocking);
  });
  return Value::Undefined(env);
}
Value AcceptThreadsafeFunction(const CallbackInfo& info) {
  return CallOnceFromThread<int, ErrorStrategy::kCalleeHandled>(info, 1);
}
Value AcceptThreadsafeFunctionFatal(const CallbackInfo& info) {
  return CallOnceFromThread<int, ErrorStrategy::kFatal>(info, 1);
}
Value AcceptThreadsafeFunctionTupleArgs(const CallbackInfo& info) {
  return CallOnceFromThread<Spread<int, bool, std::string>, ErrorStrategy::kCalleeHandled>(
      info, Spread<int, bool, std::string>(1, false, "NAPI-RS"));
}
Value AcceptThreadsafeFunctionTupleNoFnArgs(const CallbackInfo& info) {
  return CallOnceFromThread<std::tuple<int, bool, std::string>,
                            ErrorStrategy::kCalleeHandled>(
      info, std::tuple<int, bool, std::string>(1, false, "NAPI-RS"));
}

// 10 and 11. CH; a worker makes a synchronous round trip with 1 (awaiting
// the callback's promise) and resolves with its value + 2, or rejects.
Value ReturnPromisePlusTwo(const CallbackInfo& info,
                           std::optional<std::chrono::milliseconds> timeout) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<int>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Value promise;
  auto deferred = Deferred<double>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  OnNewThread([tsfn = std::move(tsfn).value(), d = deferred.value(), timeout]() mutable {
    Result<double> r = tsfn.CallSync<double>(1, timeout);
    if (r.ok()) {
      d.Resolve(r.value() + 2);
    } else {
      d.Reject(r.error());
    }
  });
  return promise;
}
Value TsfnReturnPromise(const CallbackInfo& info) {
  return ReturnPromisePlusTwo(info, std::nullopt);
}
Value TsfnReturnPromiseTimeout(const CallbackInfo& info) {
  return ReturnPromisePlusTwo(info, 1ms);
}

// 12. CH; awaited call with 42 from the JS thread; the result is kept by
// reference and inspected on the JS thread: 110 for an object, else 100.
Value CallAsyncWithUnknownReturnValue(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<int>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Value promise;
  auto deferred = Deferred<double>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  tsfn.value().CallAsync<SharedValuePtr>(42).Then(
      [env, d = deferred.value()](Result<SharedValuePtr> r) {
        if (!r.ok()) return d.Reject(r.error());
        d.Resolve(r.value()->Get(env).IsObject() ? 110 : 100);
      });
  return promise;
}

// 13 to 17: awaited calls whose callback may throw. A worker waits for the
// round trip and settles the promise with the value itself, or with the
// thrown / rejected value itself.
template <ErrorStrategy S, typename T>
Value AwaitFromWorker(const CallbackInfo& info, T payload) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<T, S>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Value promise;
  auto deferred = Deferred<SharedValuePtr>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  OnNewThread([tsfn = std::move(tsfn).value(), d = deferred.value(),
               payload = std::move(payload)]() mutable {
    Result<SharedValuePtr> r = tsfn.template CallSync<SharedValuePtr>(std::move(payload));
    if (r.ok()) {
      d.Resolve(r.value());
    } else {
      d.Reject(r.error());
    }
  });
  return promise;
}
Value TsfnThrowFromJs(const CallbackInfo& info) {
  return AwaitFromWorker<ErrorStrategy::kCalleeHandled>(info, 42);
}
Value TsfnThrowFromJsCatch(const CallbackInfo& info) {
  return AwaitFromWorker<ErrorStrategy::kFatal>(info, std::string("foo"));
}
Value TsfnThrowFromJsCatchHandled(const CallbackInfo& info) {
  return AwaitFromWorker<ErrorStrategy::kCalleeHandled>(info, std::string("foo"));
}

// 15. Fatal; expects a throw; rejects with the thrown value itself after
// checking it is of the pending-exception kind.
Value TsfnThrowFromJsCatchRecover(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<std::string, ErrorStrategy::kFatal>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Value promise;
  auto deferred = Deferred<NoArgs>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  OnNewThread([tsfn = std::move(tsfn).value(), d = deferred.value()]() mutable {
    Result<NoArgs> r = tsfn.CallSync<NoArgs>(std::string("trigger"));
    if (r.ok()) {
      return d.Reject(Error("expected JS callback to throw, but it returned successfully"));
    }
    if (!r.error().IsPendingException() ||
        r.error().code != anythread::StatusName(Status::kPendingException)) {
      return d.Reject(Error("expected a pending exception, got code " + r.error().code));
    }
    d.Reject(r.error());
  });
  return promise;
}

// 16. Fatal; expects a throw; the error is destroyed on another new thread.
Value TsfnThrowFromJsCatchDropInThread(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<std::string, ErrorStrategy::kFatal>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Value promise;
  auto deferred = Deferred<std::string>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  OnNewThread([tsfn = std::move(tsfn).value(), d = deferred.value()]() mutable {
    Result<NoArgs> r = tsfn.CallSync<NoArgs>(std::string("foo"));
    if (r.ok()) return d.Reject(Error("expected JS callback to throw"));
    std::string reason = r.error().reason;
    std::thread([error = r.TakeError()]() mutable {
      Error dropped = std::move(error);  // Released here, on yet another thread.
    }).join();
    d.Resolve(reason);
  });
  return promise;
}

// 17. CH; resolves at once; a spawned thread makes an awaited call with 42
// and prints any error.
Value TsfnThrowFromJsCallbackContainsTsfn(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<int>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Value promise;
  auto deferred = Deferred<NoArgs>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  OnNewThread([tsfn = std::move(tsfn).value()]() mutable {
    Result<SharedValuePtr> r = tsfn.CallSync<SharedValuePtr>(42);
    if (!r.ok()) std::fprintf(stderr, "tsfn error: %s\n", r.error().reason.c_str());
  });
  deferred.value().Resolve(NoArgs{});
  return promise;
}

// 18. CH; a thread spawns a second thread, which calls with 42.
Value SpawnThreadInThread(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<int>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value()]() mutable {
    std::thread([tsfn = std::move(tsfn)]() mutable {
      (void)tsfn.Call(42, CallMode::kNonBlocking);
    }).join();
  });
  return Value::Undefined(env);
}

// 19. pet = { name, kind, eitherTsfn }: a function is called (CH) with 42
// from a thread; a string does nothing.
Value TsfnInEither(const CallbackInfo& info) {
  Env env = info.env();
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray()) {
    return ThrowStatus(env, ErrorKind::kTypeError, Status::kInvalidArg,
                       "pet must be an object { name, kind, eitherTsfn }");
  }
  if (!info[0].Get("name").IsString()) {
    return ThrowStatus(env, ErrorKind::kTypeError, Status::kInvalidArg,
                       "pet.name must be a string");
  }
  if (!info[0].Get("kind").IsNumber()) {
    return ThrowStatus(env, ErrorKind::kTypeError, Status::kInvalidArg,
                       "pet.kind must be a number");
  }
  Value either = info[0].Get("eitherTsfn");
  if (either.IsString()) return Value::Undefined(env);
  if (!either.IsFunction()) {
    return ThrowStatus(env, ErrorKind::kTypeError, Status::kInvalidArg,
                       "pet.eitherTsfn must be a function or a string");
  }
  auto tsfn = ThreadsafeFunction<int>::Create(env, either);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value()]() mutable {
    (void)tsfn.Call(42, CallMode::kNonBlocking);
  });
  return Value::Undefined(env);
}

// 20. Fatal and weak, no payload; the promise resolves after cb ran.
Value TsfnWeak(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  anythread::ThreadsafeFunctionOptions options;
  options.weak = true;
  auto tsfn = ThreadsafeFunction<NoArgs, ErrorStrategy::kFatal>::Create(env, info[0], options);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Value promise;
  auto deferred = Deferred<NoArgs>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  OnNewThread([tsfn = std::move(tsfn).value(), d = deferred.value()]() mutable {
    Result<NoArgs> r = tsfn.CallSync<NoArgs>(NoArgs{});
    if (r.ok()) {
      d.Resolve(NoArgs{});
    } else {
      d.Reject(r.error());
    }
  });
  return promise;
}

// 21. Three Fatal functions (default, max_queue_size 1, weak), one thread
// each calling with (1, 2), joined before returning.
Value BuildThreadsafeFunctionFromFunction(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  using Pair = Spread<int, int>;
  std::vector<Result<ThreadsafeFunction<Pair, ErrorStrategy::kFatal>>> made;
  made.push_back(anythread::BuildThreadsafeFunction<Pair>(env, info[0]).Build());
  made.push_back(anythread::BuildThreadsafeFunction<Pair>(env, info[0]).MaxQueueSize(1).Build());
  made.push_back(anythread::BuildThreadsafeFunction<Pair>(env, info[0]).Weak(true).Build());
  std::vector<std::thread> threads;
  for (auto& tsfn : made) {
    if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
    threads.emplace_back([tsfn = std::move(tsfn).value()]() mutable {
      (void)tsfn.Call(Pair(1, 2), CallMode::kBlocking);  // Room: never waits.
    });
  }
  for (auto& t : threads) t.join();
  return Value::Undefined(env);
}
Value BuildThreadsafeFunctionFromFunctionCalleeHandle(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = anythread::BuildThreadsafeFunction<Spread<int, int>>(env, info[0])
                  .CalleeHandled<true>()
                  .Build();
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value()]() mutable {
    (void)tsfn.Call(Result<Spread<int, int>>(Error("run tsfn failed")),
                    CallMode::kNonBlocking);
  });
  return Value::Undefined(env);
}

// 22. { count, callback }: one thread calls callback (CH) with count.
Value ReceiveObjectOnlyFromJs(const CallbackInfo& info) {
  Env env = info.env();
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray() ||
      info[0].IsFunction()) {
    return ThrowStatus(env, ErrorKind::kTypeError, Status::kInvalidArg,
                       "expected an object { count, callback }");
  }
  Value count = info[0].Get("count");
  Value callback = info[0].Get("callback");
  if (!count.IsNumber()) {
    return ThrowStatus(env, ErrorKind::kTypeError, Status::kInvalidArg,
                       "count must be a number");
  }
  if (!callback.IsFunction()) {
    return ThrowStatus(env, ErrorKind::kTypeError, Status::kInvalidArg,
                       "callback must be a function");
  }
  auto tsfn = ThreadsafeFunction<double>::Create(env, callback);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value(), n = count.AsNumber()]() mutable {
    (void)tsfn.Call(n, CallMode::kNonBlocking);
  });
  return Value::Undefined(env);
}

// 23. Calls fn(); a promise result gives a new promise that settles after
// cb got (null, value) or (error); anything else is returned as is.
Value CallbackReturnPromise(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "fn") || !RequireFunction(info, 1, "callback")) {
    return Value::Undefined(env);
  }
  anythread::CallOutcome out = anythread::CallFunction(env, info[0], {});
  if (out.threw) return anythread::ThrowValue(env, out.value);
  if (!anythread::detail::IsThenable(out.value)) return out.value;
  Value promise;
  auto deferred = Deferred<NoArgs>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  SharedValuePtr cb = SharedValue::Make(env, info[1]);
  anythread::AttachThen(
      env, out.value,
      [cb, d = deferred.value()](Env env, bool fulfilled, const Value& v) {
        Args args = fulfilled ? Args{Value::Null(env), v} : Args{v};
        anythread::CallOutcome r = anythread::CallFunction(env, cb->Get(env), args);
        if (r.threw) return d.Reject(anythread::ErrorFromThrown(env, r.value));
        d.Resolve(NoArgs{});
      });
  return promise;
}

// 24. CH, no payload: `amount` threads sleep 700 ms; one more joins them and
// then calls cb with (null), or an error.
Value TestWorkers(const CallbackInfo& info) {
  Env env = info.env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    return ThrowStatus(env, ErrorKind::kTypeError, Status::kInvalidArg,
                       "amount must be a number");
  }
  double amount = info[0].AsNumber();
  if (!(amount >= 0) || amount > 256 || std::floor(amount) != amount) {
    return ThrowStatus(env, ErrorKind::kRangeError, Status::kInvalidArg,
                       "amount must be an integer from 0 to 256");
  }
  if (!RequireFunction(info, 1, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<NoArgs>::Create(env, info[1]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value(), n = static_cast<size_t>(amount)]() mutable {
    std::vector<std::thread> workers;
    for (size_t i = 0; i < n; ++i) {
      workers.emplace_back([] { std::this_thread::sleep_for(700ms); });
    }
    for (auto& w : workers) w.join();
    (void)tsfn.Call(NoArgs{}, CallMode::kNonBlocking);
  });
  return Value::Undefined(env);
}

// 25. CH; one thread calls blocking with [0, 1, 2, 3], another non-blocking
// with [3, 2, 1, 0]. testTsfnError: one thread calls with Error "invalid".
Value TestThreadsafeFunction(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<std::vector<int>>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  auto& f = tsfn.value();
  OnNewThread([f]() mutable { (void)f.Call(std::vector<int>{0, 1, 2, 3}, CallMode::kBlocking); });
  OnNewThread([f]() mutable { (void)f.Call(std::vector<int>{3, 2, 1, 0}, CallMode::kNonBlocking); });
  return Value::Undefined(env);
}
Value TestTsfnError(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  auto tsfn = ThreadsafeFunction<bool>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  OnNewThread([tsfn = std::move(tsfn).value()]() mutable {
    (void)tsfn.Call(Result<bool>(Error("invalid")), CallMode::kNonBlocking);
  });
  return Value::Undefined(env);
}

// 26. class A: new A(cb) makes a weak Fatal function; a.call() calls it
// from the JS thread.
class A final : public anythread::ObjectBase {
 public:
  explicit A(ThreadsafeFunction<std::string, ErrorStrategy::kFatal> tsfn)
      : tsfn_(std::move(tsfn)) {}
  static std::unique_ptr<anythread::ObjectBase> New(const CallbackInfo& info) {
    Env env = info.env();
    if (!RequireFunction(info, 0, "callback")) return nullptr;
    anythread::ThreadsafeFunctionOptions options;
    options.weak = true;
    auto tsfn = ThreadsafeFunction<std::string, ErrorStrategy::kFatal>::Create(
        env, info[0], options);
    if (!tsfn.ok()) {
      ThrowResultError(env, tsfn.error());
      return nullptr;
    }
    return std::make_unique<A>(std::move(tsfn).value());
  }
  static Value Call(anythread::ObjectBase& self, const CallbackInfo& info) {
    Status status = static_cast<A&>(self).tsfn_.Call(
        std::string("ThreadsafeFunction NonBlocking Call"), CallMode::kNonBlocking);
    return Value::String(info.env(), anythread::StatusName(status));
  }

 private:
  ThreadsafeFunction<std::string, ErrorStrategy::kFatal> tsfn_;
};

// 27. Beyond the anchors.

// Fatal; a worker's synchronous round trip with `value`; settles with cb's
// result (after awaiting a promise) or its error.
Value TsfnCallSync(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  SharedValuePtr value = SharedValue::Make(env, info.Length() > 1 ? info[1] : Value::Undefined(env));
  auto tsfn = ThreadsafeFunction<SharedValuePtr, ErrorStrategy::kFatal>::Create(env, info[0]);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Value promise;
  auto deferred = Deferred<SharedValuePtr>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  OnNewThread([tsfn = std::move(tsfn).value(), d = deferred.value(), value]() mutable {
    Result<SharedValuePtr> r = tsfn.CallSync<SharedValuePtr>(value);
    if (r.ok()) {
      d.Resolve(r.value());
    } else {
      d.Reject(r.error());
    }
  });
  return promise;
}

// A number argument that must be an integer in [min, max].
bool RequireCount(const CallbackInfo& info, size_t index, const char* what,
                  double min, double max, size_t* out) {
  Env env = info.env();
  if (index >= info.Length() || !info[index].IsNumber()) {
    ThrowStatus(env, ErrorKind::kTypeError, Status::kInvalidArg,
                std::string(what) + " must be a number");
    return false;
  }
  double v = info[index].AsNumber();
  if (!(v >= min && v <= max) || std::floor(v) != v) {
    ThrowStatus(env, ErrorKind::kRangeError, Status::kInvalidArg,
                std::string(what) + " must be an integer from " +
                    std::to_string(static_cast<long long>(min)) + " to " +
                    std::to_string(static_cast<long long>(max)));
    return false;
  }
  *out = static_cast<size_t>(v);
  return true;
}

Value NoOp(const CallbackInfo& info) { return Value::Undefined(info.env()); }

// With nothing draining (the JS thread is busy in this very call), `calls`
// non-blocking calls from the JS thread: the count of each status.
Value TsfnQueueStatuses(const CallbackInfo& info) {
  Env env = info.env();
  size_t max = 0, calls = 0;
  if (!RequireCount(info, 0, "maxQueueSize", 0, 1 << 20, &max) ||
      !RequireCount(info, 1, "calls", 0, 1 << 20, &calls)) {
    return Value::Undefined(env);
  }
  anythread::ThreadsafeFunctionOptions options;
  options.max_queue_size = max;
  auto tsfn = ThreadsafeFunction<int>::Create(
      env, anythread::MakeFunction(env, "noop", &NoOp), options);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  size_t counts[8] = {};
  for (size_t i = 0; i < calls; ++i) {
    ++counts[static_cast<int>(tsfn.value().Call(static_cast<int>(i), CallMode::kNonBlocking))];
  }
  Value result = Value::Object(env);
  for (Status s : {Status::kOk, Status::kQueueFull, Status::kClosing,
                   Status::kInvalidArg, Status::kWouldDeadlock}) {
    std::string name = anythread::StatusName(s);
    name[0] = static_cast<char>(std::tolower(name[0]));
    result.Set(name.c_str(), Value::Number(env, counts[static_cast<int>(s)]));
  }
  return result;
}

// max_queue_size 1, from the JS thread: a blocking call fills the queue,
// a second would have to wait for the JS thread itself: WouldDeadlock.
Value TsfnBlockingOnJsThread(const CallbackInfo& info) {
  Env env = info.env();
  if (!RequireFunction(info, 0, "callback")) return Value::Undefined(env);
  anythread::ThreadsafeFunctionOptions options;
  options.max_queue_size = 1;
  auto tsfn = ThreadsafeFunction<int>::Create(env, info[0], options);
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Status first = tsfn.value().Call(1, CallMode::kBlocking);
  Status second = tsfn.value().Call(2, CallMode::kBlocking);
  Value result = Value::Array(env);
  result.Set(0u, Value::String(env, anythread::StatusName(first)));
  result.Set(1u, Value::String(env, anythread::StatusName(second)));
  return result;
}

// Producers call (non-blocking, retrying on QueueFull) while the JS side
// aborts after the first delivery; every call is accounted for.
struct AbortStats {
  size_t accepted = 0, delivered = 0, dropped = 0, closing_after_abort = 0,
         other = 0;
};
}  // namespace

template <>
struct anythread::JsTraits<AbortStats> {
  static Value ToJs(Env env, const AbortStats& s) {
    Value o = Value::Object(env);
    o.Set("accepted", Value::Number(env, s.accepted));
    o.Set("delivered", Value::Number(env, s.delivered));
    o.Set("dropped", Value::Number(env, s.dropped));
    o.Set("closingAfterAbort", Value::Number(env, s.closing_after_abort));
    o.Set("otherStatuses", Value::Number(env, s.other));
    return o;
  }
};

namespace {

Value TsfnAbort(const CallbackInfo& info) {
  Env env = info.env();
  size_t producers = 0, each = 0;
  if (!RequireFunction(info, 0, "callback") ||
      !RequireCount(info, 1, "producers", 1, 64, &producers) ||
      !RequireCount(info, 2, "callsEach", 0, 1 << 20, &each)) {
    return Value::Undefined(env);
  }
  struct Shared {
    std::mutex mutex;
    std::condition_variable finalized_cv;
    bool finalized = false;
    ThreadsafeFunction<int> self;  // For the abort; reset at finalization.
    size_t delivered = 0;          // JS thread only.
  };
  auto shared = std::make_shared<Shared>();
  anythread::ThreadsafeFunctionOptions options;
  options.finalizer = [shared] {
    std::lock_guard<std::mutex> lock(shared->mutex);
    shared->finalized = true;
    shared->finalized_cv.notify_all();
  };
  auto tsfn = ThreadsafeFunction<int>::Create(
      env, info[0], options, [shared](Env env, int& v) -> Result<Args> {
        if (++shared->delivered == 1) (void)shared->self.Abort();
        return Args{Value::Number(env, v)};
      });
  if (!tsfn.ok()) return ThrowResultError(env, tsfn.error());
  Value promise;
  auto deferred = Deferred<AbortStats>::Create(env, &promise);
  if (!deferred.ok()) return ThrowResultError(env, deferred.error());
  shared->self = tsfn.value();
  OnNewThread([tsfn = std::move(tsfn).value(), d = deferred.value(), shared,
               producers, each]() mutable {
    std::mutex m;
    AbortStats stats;
    std::vector<std::thread> threads;
    for (size_t p = 0; p < producers; ++p) {
      threads.emplace_back([&, f = tsfn]() mutable {
        size_t ok = 0, closing = 0, other = 0;
        for (size_t i = 0; i < each; ++i) {
          Status s;
          while ((s = f.Call(static_cast<int>(i), CallMode::kNonBlocking)) ==
                 Status::kQueueFull) {
          }
          if (s == Status::kOk && closing == 0) {
            ++ok;
          } else if (s == Status::kClosing) {
            ++closing;
          } else {
            ++other;  // Ok after this producer saw Closing: a bug.
          }
        }
        std::lock_guard<std::mutex> lock(m);
        stats.accepted += ok;
        stats.closing_after_abort += closing;
        stats.other += other;
      });
    }
    for (auto& t : threads) t.join();
    auto counts = [&] {
      std::unique_lock<std::mutex> lock(shared->mutex);
      shared->finalized_cv.wait(lock, [&] { return shared->finalized; });
      return tsfn.Counts();
    }();
    tsfn.Release();
    stats.delivered = counts.delivered;
    stats.dropped = counts.dropped;
    if (counts.accepted != stats.accepted) ++stats.other;
    d.Resolve(stats);
  });
  return promise;
}

}  // namespace

ANYTHREAD_MODULE(m) {
  m.Export("callThreadsafeFunction", &CallThreadsafeFunction);
  m.Export("callThreadsafeFunctionFatal", &CallThreadsafeFunctionFatal);
  m.Export("threadsafeFunctionThrowError", &ThreadsafeFunctionThrowError);
  m.Export("threadsafeFunctionFatalMode", &ThreadsafeFunctionFatalMode);
  m.Export("threadsafeFunctionFatalNativeError",
           &ThreadsafeFunctionFatalNativeError);
  m.Export("callLongThreadsafeFunction", &CallLongThreadsafeFunction);
  m.Export("threadsafeFunctionThrowErrorWithStatus",
           &ThreadsafeFunctionThrowErrorWithStatus);
  m.Export("threadsafeFunctionBuildThrowErrorWithStatus",
           &ThreadsafeFunctionBuildThrowErrorWithStatus);
  m.Export("threadsafeFunctionFatalModeError", &ThreadsafeFunctionFatalModeError);
  m.Export("threadsafeFunctionClosureCapture", &ThreadsafeFunctionClosureCapture);
  m.Export("tsfnCallWithCallback", &TsfnCallWithCallback);
  m.Export("tsfnAsyncCall", &TsfnAsyncCall);
  m.Export("acceptThreadsafeFunction", &AcceptThreadsafeFunction);
  m.Export("acceptThreadsafeFunctionFatal", &AcceptThreadsafeFunctionFatal);
  m.Export("acceptThreadsafeFunctionTupleArgs", &AcceptThreadsafeFunctionTupleArgs);
  m.Export("acceptThreadsafeFunctionTupleNoFnArgs",
           &AcceptThreadsafeFunctionTupleNoFnArgs);
  m.Export("tsfnReturnPromise", &TsfnReturnPromise);
  m.Export("tsfnReturnPromiseTimeout", &TsfnReturnPromiseTimeout);
  m.Export("callAsyncWithUnknownReturnValue", &CallAsyncWithUnknownReturnValue);
  m.Export("tsfnThrowFromJs", &TsfnThrowFromJs);
  m.Export("tsfnThrowFromJsCatch", &TsfnThrowFromJsCatch);
  m.Export("tsfnThrowFromJsCatchHandled", &TsfnThrowFromJsCatchHandled);
  m.Export("tsfnThrowFromJsCatchRecover", &TsfnThrowFromJsCatchRecover);
  m.Export("tsfnThrowFromJsCatchDropInThread", &TsfnThrowFromJsCatchDropInThread);
  m.Export("tsfnThrowFromJsCallbackContainsTsfn",
           &TsfnThrowFromJsCallbackContainsTsfn);
  m.Export("spawnThreadInThread", &SpawnThreadInThread);
  m.Export("tsfnInEither", &TsfnInEither);
  m.Export("tsfnWeak", &TsfnWeak);
  m.Export("buildThreadsafeFunctionFromFunction", &BuildThreadsafeFunctionFromFunction);
  m.Export("buildThreadsafeFunctionFromFunctionCalleeHandle",
           &BuildThreadsafeFunctionFromFunctionCalleeHandle);
  m.Export("receiveObjectOnlyFromJs", &ReceiveObjectOnlyFromJs);
  m.Export("callbackReturnPromise", &CallbackReturnPromise);
  m.Export("testWorkers", &TestWorkers);
  m.Export("testThreadsafeFunction", &TestThreadsafeFunction);
  m.Export("testTsfnError", &TestTsfnError);
  m.ExportClass("A", &A::New, {{"call", &A::Call}});
  m.Export("tsfnCallSync", &TsfnCallSync);
  m.Export("tsfnQueueStatuses", &TsfnQueueStatuses);
  m.Export("tsfnBlockingOnJsThread", &TsfnBlockingOnJsThread);
  m.Export("tsfnAbort", &TsfnAbort);
}
