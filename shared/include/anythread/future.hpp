// Future<R>: the awaitable result of a call into JS.
//
// Settled exactly once, on the JS thread (with the converted JS result, the
// thrown or rejected value, or Closing when the call was dropped), or at once
// on the calling thread when the call was refused. Any thread may wait on it
// (with a timeout); the JS thread may attach a continuation instead, which
// runs on the JS thread.
#ifndef ANYTHREAD_FUTURE_HPP_
#define ANYTHREAD_FUTURE_HPP_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "anythread/status.hpp"

namespace anythread {

namespace detail {

template <typename R>
class FutureState {
 public:
  explicit FutureState(std::thread::id js_thread) : js_thread_(js_thread) {}

  // Any thread; the first settlement wins. Runs the continuation, if any,
  // on this thread (the JS thread whenever a continuation can exist).
  void Settle(Result<R> result) {
    std::function<void(Result<R>)> then;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (result_) return;
      result_.emplace(std::move(result));
      then = std::move(then_);
    }
    ready_.notify_all();
    if (then) then(*result_);
  }

  Result<R> Wait(std::optional<std::chrono::milliseconds> timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!result_) {
      if (std::this_thread::get_id() == js_thread_) {
        return Error(Status::kWouldDeadlock,
                     "Waiting on the JS thread for a JS result would deadlock");
      }
      if (!timeout) {
        ready_.wait(lock, [&] { return result_.has_value(); });
      } else if (!ready_.wait_for(lock, *timeout,
                                  [&] { return result_.has_value(); })) {
        return Error(Status::kTimeout, "Timeout");
      }
    }
    return *result_;
  }

  void Then(std::function<void(Result<R>)> fn) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!result_) {
      then_ = std::move(fn);
      return;
    }
    lock.unlock();
    fn(*result_);  // Settled already: the result is immutable from now on.
  }

  bool ready() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return result_.has_value();
  }

 private:
  // Guarded by mutex_ until set; immutable after.
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<Result<R>> result_;
  std::function<void(Result<R>)> then_;  // Runs on the JS thread.

  const std::thread::id js_thread_;
};

}  // namespace detail

template <typename R>
class Future {
 public:
  Future() = default;
  explicit Future(std::shared_ptr<detail::FutureState<R>> state)
      : state_(std::move(state)) {}

  // Any thread but the JS thread (which gets WouldDeadlock unless already
  // settled). Blocks until settled; returns the result or the error.
  Result<R> Wait() const { return state_->Wait(std::nullopt); }
  // The same, giving up after `timeout` with Error{Timeout, "Timeout"}. The
  // call itself goes on; its late result is discarded.
  Result<R> WaitFor(std::chrono::milliseconds timeout) const {
    return state_->Wait(timeout);
  }
  // JS thread. Runs `fn` on the JS thread once settled (now, if it is).
  void Then(std::function<void(Result<R>)> fn) const {
    state_->Then(std::move(fn));
  }
  // Any thread.
  bool ready() const { return state_->ready(); }
  bool valid() const { return state_ != nullptr; }

 private:
  std::shared_ptr<detail::FutureState<R>> state_;
};

}  // namespace anythread

#endif  // ANYTHREAD_FUTURE_HPP_
