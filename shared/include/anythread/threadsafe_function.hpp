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

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "anythread/backend.hpp"
#include "anythread/call_queue.hpp"
#include "anythread/convert.hpp"
#include "anythread/status.hpp"

namespace anythread {

// How native errors and JS arguments are shaped (NAPI-RS's ErrorStrategy).
enum class ErrorStrategy {
  kCalleeHandled,  // JS gets (null, ...args), or (error) for a native Error.
  kFatal,          // JS gets (...args); a native Error is uncaught.
};

struct ThreadsafeFunctionOptions {
  size_t max_queue_size = 0;  // 0 means unbounded.
  bool weak = false;          // true: does not keep the event loop alive.
  // JS thread, exactly once, when the function is finalized (or the
  // environment torn down). May be empty.
  std::function<void()> finalizer;
};

namespace detail {

template <typename T, ErrorStrategy S>
class TsfnState final : public DrainTarget,
                        public std::enable_shared_from_this<TsfnState<T, S>> {
 public:
  using Converter = std::function<Result<Args>(Env, T&)>;

  TsfnState(Env env, Value fn, ThreadsafeFunctionOptions options,
            Converter convert)
      : queue_(options.max_queue_size),
        fn_(Reference::Make(fn)),
        convert_(std::move(convert)),
        finalizer_(std::move(options.finalizer)) {
    (void)env;
  }

  // JS thread, right after construction (needs shared_from_this).
  Status Start(Env env, bool weak) {
    auto doorbell = BackendDoorbell::Create(env, this->shared_from_this(), weak);
    if (!doorbell) return Status::kGenericFailure;
    doorbell_ = std::move(doorbell);
    queue_.SetDoorbell(doorbell_.get());
    return Status::kOk;
  }

  CallQueue<Result<T>>& queue() { return queue_; }
  BackendDoorbell& doorbell() { return *doorbell_; }

  void OnDoorbell(Env env) override {
    queue_.Drain([&](Result<T>& item) { Deliver(env, item); },
                 [&] { Finalize(); });
  }
  void OnEnvTeardown() override {
    queue_.EnvTeardown([&] { Finalize(); });
  }

 private:
  void Deliver(Env env, Result<T>& item) {
    Value fn = fn_.Get(env);
    if (item.ok()) {
      Result<Args> args = convert_ ? convert_(env, item.value())
                                   : Result<Args>(ToJsArgs(env, item.value()));
      if (args.ok()) {
        if (S == ErrorStrategy::kCalleeHandled) {
          args.value().insert(args.value().begin(), Value::Null(env));
        }
        CallOutcome outcome = CallFunction(env, fn, args.value());
        if (outcome.threw) ReportUncaught(env, outcome.value);
        return;
      }
      item = Result<T>(args.TakeError());
    }
    const Error& error = item.error();
    Value js_error = MakeError(env, ErrorKind::kError, error.code, error.reason);
    if (S == ErrorStrategy::kFatal) {
      ReportUncaught(env, js_error);
      return;
    }
    CallOutcome outcome = CallFunction(env, fn, Args{js_error});
    if (outcome.threw) ReportUncaught(env, outcome.value);
  }

  // JS thread, exactly once (the queue guarantees it).
  void Finalize() {
    fn_.Reset();
    if (doorbell_) doorbell_->Close();
    if (finalizer_) {
      auto finalizer = std::move(finalizer_);
      finalizer();
    }
  }

  CallQueue<Result<T>> queue_;
  // JS thread only.
  Reference fn_;
  Converter convert_;
  std::function<void()> finalizer_;
  // Set once in Start(), before any producer sees the queue.
  std::unique_ptr<BackendDoorbell> doorbell_;
};

}  // namespace detail

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
    const bool weak = options.weak;
    auto state = std::make_shared<State>(env, fn, std::move(options),
                                         std::move(convert));
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
  [[nodiscard]] Status Call(T value, CallMode mode = CallMode::kNonBlocking) {
    Result<T> item(std::move(value));
    return Push(item, mode);
  }
  // Any thread. Queues a value or an Error. CalleeHandled: JS receives the
  // error as its only argument. Fatal: the error becomes uncaught.
  [[nodiscard]] Status Call(Result<T> value,
                            CallMode mode = CallMode::kNonBlocking) {
    return Push(value, mode);
  }

  // Any thread. Drops queued calls, wakes blocked producers with kClosing and
  // finalizes on the JS thread. Returns kClosing if already aborted/finalized.
  Status Abort() {
    return state_ ? state_->queue().Abort() : Status::kClosing;
  }

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

  explicit operator bool() const { return state_ != nullptr; }

 private:
  explicit ThreadsafeFunction(std::shared_ptr<State> state)
      : state_(std::move(state)) {}

  Status Push(Result<T>& item, CallMode mode) {
    return state_ ? state_->queue().Push(item, mode) : Status::kClosing;
  }

  std::shared_ptr<State> state_;
};

}  // namespace anythread

#endif  // ANYTHREAD_THREADSAFE_FUNCTION_HPP_
