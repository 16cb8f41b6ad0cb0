// The public C++ API of anythread, in one include.
#ifndef ANYTHREAD_ANYTHREAD_HPP_
#define ANYTHREAD_ANYTHREAD_HPP_

#include "anythread/backend.hpp"
#include "anythread/call_queue.hpp"
#include "anythread/clock_pacer.hpp"
#include "anythread/config.hpp"
#include "anythread/convert.hpp"
#include "anythread/deferred.hpp"
#include "anythread/future.hpp"
#include "anythread/js_thread_tasks.hpp"
#include "anythread/shared_value.hpp"
#include "anythread/status.hpp"
#include "anythread/threads.hpp"
#include "anythread/threadsafe_function.hpp"

namespace anythread {

// JS thread. Throws (makes pending) a JS error for `error` with `kind`, and
// returns undefined for the exported function to return.
inline Value ThrowError(Env env, ErrorKind kind, const Error& error) {
  return ThrowError(env, kind, error.code, error.reason);
}

}  // namespace anythread

#endif  // ANYTHREAD_ANYTHREAD_HPP_
