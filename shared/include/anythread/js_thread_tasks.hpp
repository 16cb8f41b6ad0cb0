// JsThreadTasks: run small tasks on the JS thread, posted from any thread.
//
// One per environment (TasksFor(env)), created on first use on the JS thread.
// The core uses it to release JS values (SharedValue) and settle promises
// (Deferred) when the last owner is on another thread. It rides on the same
// CallQueue and backend doorbell as a threadsafe function, but the doorbell
// is weak unless something Hold()s it (a pending Deferred does, so a process
// waiting for a promise stays alive, as with Node's own threadsafe functions).
//
// Tasks left when the environment is torn down are destroyed there, on the
// JS thread, without running. A Post() after teardown returns kClosing and
// leaves the task with the caller, who must then Abandon() it: release its C++
// state without touching JS (the JS engine is gone or going).
#ifndef ANYTHREAD_JS_THREAD_TASKS_HPP_
#define ANYTHREAD_JS_THREAD_TASKS_HPP_

#include <memory>
#include <utility>

#include "anythread/backend.hpp"
#include "anythread/call_queue.hpp"

namespace anythread {

class JsTask {
 public:
  virtual ~JsTask() = default;
  virtual void Run(Env env) = 0;  // JS thread.
  // Any thread, instead of Run() and of deletion, when the environment is
  // gone: frees what it can without touching JS, then deletes itself.
  virtual void Abandon() { delete this; }
};

template <typename Fn>
class FnTask final : public JsTask {
 public:
  explicit FnTask(Fn fn) : fn_(std::move(fn)) {}
  void Run(Env env) override { fn_(env); }

 private:
  Fn fn_;
};

class JsThreadTasks final : public DrainTarget,
                            public std::enable_shared_from_this<JsThreadTasks> {
 public:
  explicit JsThreadTasks(Env env) : queue_(0), env_(env) {}

  // JS thread. The environment's task runner (created on first use).
  static std::shared_ptr<JsThreadTasks> For(Env env) {
    std::shared_ptr<void>& slot = EnvSlot(env, EnvSlotId::kJsThreadTasks);
    if (!slot) {
      auto tasks = std::make_shared<JsThreadTasks>(env);
      tasks->doorbell_ = BackendDoorbell::Create(env, tasks, /*weak=*/true);
      if (!tasks->doorbell_) return nullptr;
      tasks->queue_.SetDoorbell(tasks->doorbell_.get());
      slot = tasks;
    }
    return std::static_pointer_cast<JsThreadTasks>(slot);
  }

  // Any thread. Runs `task` soon on the JS thread (never inside this call).
  // kClosing after teardown: `task` stays with the caller (see Abandon).
  Status Post(std::unique_ptr<JsTask>& task) {
    return queue_.Push(task, CallMode::kNonBlocking);
  }
  template <typename Fn>
  Status PostFn(Fn fn) {
    std::unique_ptr<JsTask> task(new FnTask<Fn>(std::move(fn)));
    Status status = Post(task);
    if (status != Status::kOk) task.release()->Abandon();
    return status;
  }

  // JS thread. While held (counted), the runner keeps the event loop alive.
  void Hold() {
    if (holds_++ == 0) doorbell_->Ref();
  }
  void Unhold() {
    if (holds_ > 0 && --holds_ == 0) doorbell_->Unref();
  }

  bool OnJsThread() const { return queue_.OnOwnerThread(); }
  Env env() const { return env_; }  // JS thread.

  void OnDoorbell(Env env, const Value*) override {
    queue_.Drain([&](std::unique_ptr<JsTask>& task) { task->Run(env); },
                 [&] { doorbell_->Close(); });
  }
  void OnEnvTeardown() override {
    queue_.EnvTeardown([&] { doorbell_->Close(); });
  }

 private:
  CallQueue<std::unique_ptr<JsTask>> queue_;
  std::unique_ptr<BackendDoorbell> doorbell_;  // Set once in For().
  const Env env_;
  size_t holds_ = 0;                            // JS thread only.
};

}  // namespace anythread

#endif  // ANYTHREAD_JS_THREAD_TASKS_HPP_
