// Deferred<T>: a JS Promise that C++ settles later, from any thread.
//
// Create() runs on the JS thread and gives the promise to return to JS. Any
// thread may then Resolve(value) or Reject(error) once (later calls are
// ignored). Settlement happens on the JS thread: at once when called there,
// otherwise through the environment's JsThreadTasks. A pending Deferred holds
// the event loop (so a process awaiting it does not exit early). Dropping the
// last copy unsettled rejects the promise with code Closing. Reject keeps a
// thrown value's identity (ToJsError).
#ifndef ANYTHREAD_DEFERRED_HPP_
#define ANYTHREAD_DEFERRED_HPP_

#include <atomic>
#include <memory>
#include <optional>
#include <utility>

#include "anythread/backend.hpp"
#include "anythread/convert.hpp"
#include "anythread/js_thread_tasks.hpp"
#include "anythread/shared_value.hpp"

namespace anythread {

template <typename T>
class Deferred {
 public:
  Deferred() = default;

  // JS thread. `*promise` receives the pending promise to hand to JS.
  static Result<Deferred> Create(Env env, Value* promise) {
    auto tasks = JsThreadTasks::For(env);
    if (!tasks) return Error("Could not create the JS-thread task runner");
    auto state = std::make_shared<State>(std::move(tasks));
    state->resolver.emplace(PromiseResolver::Create(env, promise));
    state->tasks->Hold();
    return Deferred(std::move(state));
  }

  // Any thread.
  void Resolve(T value) const { Settle(Result<T>(std::move(value))); }
  void Reject(Error error) const { Settle(Result<T>(std::move(error))); }
  void Settle(Result<T> result) const {
    if (!state_ || state_->settled.exchange(true)) return;
    State::Post(state_->tasks, std::move(state_->resolver), std::move(result));
  }

 private:
  struct State {
    explicit State(std::shared_ptr<JsThreadTasks> t) : tasks(std::move(t)) {}

    // The settlement, run on the JS thread; the resolver dies with it there.
    struct SettleTask final : JsTask {
      SettleTask(std::shared_ptr<JsThreadTasks> t, PromiseResolver r,
                 Result<T> res)
          : tasks(std::move(t)), resolver(std::move(r)), result(std::move(res)) {}
      void Run(Env env) override {
        if (result.ok()) {
          resolver.Resolve(env, JsTraits<T>::ToJs(env, result.value()));
        } else {
          resolver.Reject(env, ToJsError(env, result.error()));
        }
        tasks->Unhold();
      }
      void Abandon() override {
        resolver.Abandon();  // The JS engine is gone: touch nothing of it.
        delete this;
      }
      std::shared_ptr<JsThreadTasks> tasks;
      PromiseResolver resolver;
      Result<T> result;
    };

    // Any thread. Settles on the JS thread: now if this is it, else posted.
    static void Post(const std::shared_ptr<JsThreadTasks>& tasks,
                     std::optional<PromiseResolver> resolver,
                     Result<T> result) {
      if (!resolver) return;
      std::unique_ptr<JsTask> task(
          new SettleTask(tasks, std::move(*resolver), std::move(result)));
      if (tasks->OnJsThread()) {
        task->Run(tasks->env());
        return;
      }
      if (tasks->Post(task) != Status::kOk) task.release()->Abandon();
    }

    ~State() {
      if (!settled.exchange(true)) {
        Post(tasks, std::move(resolver),
             Result<T>(Error(Status::kClosing,
                             "The promise's Deferred was dropped unsettled")));
      }
    }

    std::shared_ptr<JsThreadTasks> tasks;
    std::optional<PromiseResolver> resolver;  // Moved out once, to settle.
    std::atomic<bool> settled{false};
  };

  explicit Deferred(std::shared_ptr<State> state) : state_(std::move(state)) {}

  std::shared_ptr<State> state_;
};

}  // namespace anythread

#endif  // ANYTHREAD_DEFERRED_HPP_
