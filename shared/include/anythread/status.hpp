// Status, Error and Result: how the core reports outcomes without exceptions.
//
// The core builds with -fno-exceptions. Every operation that can fail returns a
// Status (for calls) or a Result<T> (for values); each backend turns a Status or
// an Error into a JS error in exactly one function.
#ifndef ANYTHREAD_STATUS_HPP_
#define ANYTHREAD_STATUS_HPP_

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace anythread {

class SharedValue;  // A JS value any thread may hold (shared_value.hpp).

// What a call into the core returned. The names (StatusName) are the `code`
// JS sees on errors, so they are part of the public contract.
enum class Status {
  kOk,
  kQueueFull,      // Non-blocking call and the queue is at max_queue_size.
  kClosing,        // Aborted, released, finalized, or the environment is gone.
  kInvalidArg,     // A caller passed something unusable.
  kWouldDeadlock,  // A blocking call on the JS thread that would have to wait.
  kGenericFailure, // Anything else (the default code of a native Error).
  kPendingException,  // JS threw: the Error carries the thrown value itself.
  kTimeout,           // A wait for a JS result ran out of time.
};

// Any thread. The stable name of `status`, as JS sees it in `error.code`.
constexpr const char* StatusName(Status status) {
  switch (status) {
    case Status::kOk: return "Ok";
    case Status::kQueueFull: return "QueueFull";
    case Status::kClosing: return "Closing";
    case Status::kInvalidArg: return "InvalidArg";
    case Status::kWouldDeadlock: return "WouldDeadlock";
    case Status::kGenericFailure: return "GenericFailure";
    case Status::kPendingException: return "PendingException";
    case Status::kTimeout: return "Timeout";
  }
  return "GenericFailure";
}

// An error travelling between C++ and JS. Made in C++: `code` becomes
// `error.code` (a status name or any string the user chooses) and `reason`
// `error.message`. Caught from JS (code PendingException): `thrown` holds the
// thrown value itself, so turning the Error back into JS (ToJsError) yields
// the identical value, and `reason` is its message. Any thread may copy or
// destroy an Error; the JS value is released on the JS thread.
struct Error {
  std::string code = StatusName(Status::kGenericFailure);
  std::string reason;
  std::shared_ptr<const SharedValue> thrown;

  // Any thread. Whether this came from a JS throw (or rejection).
  bool IsPendingException() const { return thrown != nullptr; }

  Error() = default;
  explicit Error(std::string reason_text)
      : reason(std::move(reason_text)) {}
  Error(Status status, std::string reason_text)
      : code(StatusName(status)), reason(std::move(reason_text)) {}
  Error(std::string code_text, std::string reason_text)
      : code(std::move(code_text)), reason(std::move(reason_text)) {}
};

// Either a value or an Error. Deliberately small: the core never throws, so
// callers check ok() before value().
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return value_.has_value(); }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  const Error& error() const { assert(!ok()); return error_; }
  Error&& TakeError() { assert(!ok()); return std::move(error_); }

 private:
  std::optional<T> value_;
  Error error_;
};

}  // namespace anythread

#endif  // ANYTHREAD_STATUS_HPP_
