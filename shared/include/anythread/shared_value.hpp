// SharedValue: a JS value that any thread may hold and release.
//
// Made on the JS thread from a Value; read (Get) on the JS thread only. The
// last owner may be any thread: released there if it is the JS thread,
// otherwise the reference is posted to the environment's JsThreadTasks and
// released on the JS thread. After teardown it is abandoned (never touched).
// Share it as std::shared_ptr<const SharedValue>.
#ifndef ANYTHREAD_SHARED_VALUE_HPP_
#define ANYTHREAD_SHARED_VALUE_HPP_

#include <memory>
#include <utility>

#include "anythread/backend.hpp"
#include "anythread/js_thread_tasks.hpp"

namespace anythread {

class SharedValue {
 public:
  // JS thread.
  static std::shared_ptr<const SharedValue> Make(Env env, const Value& value) {
    return std::shared_ptr<const SharedValue>(
        new SharedValue(JsThreadTasks::For(env), Reference::Make(value)));
  }

  // JS thread. The very value it was made from.
  Value Get(Env env) const { return ref_.Get(env); }

  ~SharedValue() {
    if (!tasks_ || tasks_->OnJsThread()) {
      ref_.Reset();
      return;
    }
    struct Release final : JsTask {
      explicit Release(Reference r) : ref(std::move(r)) {}
      void Run(Env) override { ref.Reset(); }
      void Abandon() override {
        ref.Abandon();
        delete this;
      }
      Reference ref;
    };
    std::unique_ptr<JsTask> task(new Release(std::move(ref_)));
    if (tasks_->Post(task) != Status::kOk) task.release()->Abandon();
  }

  SharedValue(const SharedValue&) = delete;
  SharedValue& operator=(const SharedValue&) = delete;

 private:
  SharedValue(std::shared_ptr<JsThreadTasks> tasks, Reference ref)
      : tasks_(std::move(tasks)), ref_(std::move(ref)) {}

  std::shared_ptr<JsThreadTasks> tasks_;
  mutable Reference ref_;
};

using SharedValuePtr = std::shared_ptr<const SharedValue>;

// JS thread. An Error carrying `thrown` itself (code PendingException), with
// its message (or string form) as the reason.
inline Error ErrorFromThrown(Env env, const Value& thrown) {
  Error error(Status::kPendingException, DescribeThrown(env, thrown));
  error.thrown = SharedValue::Make(env, thrown);
  return error;
}

// JS thread. `error` as a JS value: the thrown value itself when it came from
// JS, else a new Error with `code` and `message`.
inline Value ToJsError(Env env, const Error& error) {
  if (error.thrown) return error.thrown->Get(env);
  return MakeError(env, ErrorKind::kError, error.code, error.reason);
}

}  // namespace anythread

#endif  // ANYTHREAD_SHARED_VALUE_HPP_
