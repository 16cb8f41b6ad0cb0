// anythread's own module: the conformance functions, mirroring NAPI-RS's
// ThreadsafeFunction examples. Written once; compiled into the native addon
// and into the wasm module by anythread_add_module(), as a user's module is.
#include <cstdint>
#include <utility>

#include "anythread/anythread.hpp"

namespace {

using anythread::CallbackInfo;
using anythread::CallMode;
using anythread::Env;
using anythread::Error;
using anythread::ErrorKind;
using anythread::ErrorStrategy;
using anythread::Result;
using anythread::Status;
using anythread::ThreadsafeFunction;
using anythread::Value;

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

}  // namespace

ANYTHREAD_MODULE(m) {
  m.Export("callThreadsafeFunction", &CallThreadsafeFunction);
  m.Export("callThreadsafeFunctionFatal", &CallThreadsafeFunctionFatal);
  m.Export("threadsafeFunctionThrowError", &ThreadsafeFunctionThrowError);
  m.Export("threadsafeFunctionFatalMode", &ThreadsafeFunctionFatalMode);
  m.Export("threadsafeFunctionFatalNativeError",
           &ThreadsafeFunctionFatalNativeError);
}
