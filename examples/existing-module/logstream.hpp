// The module's threaded part, written once for both runtimes: it knows
// anythread, not Node-API or Emscripten. The module's entry points are
// what they were before anythread came in: addon.cc (node-addon-api,
// NODE_API_MODULE) and bindings.cc (embind, EMSCRIPTEN_BINDINGS).
#ifndef LOGSTREAM_HPP_
#define LOGSTREAM_HPP_

#include <cmath>
#include <cstdint>
#include <string>

#include <anythread/anythread.hpp>

namespace logstream {

constexpr double kMaxThreads = 16;
constexpr double kMaxLines = 1000000;

// Why Start refused its arguments; each entry point throws it its own way.
struct Refusal {
  anythread::ErrorKind kind = anythread::ErrorKind::kTypeError;
  std::string message;
};

// A whole number in [min, max], or a refusal.
inline bool ReadCount(const anythread::Value& v, const char* what, double min, double max,
                      uint32_t* out, Refusal* refusal) {
  if (!v.IsNumber()) {
    *refusal = {anythread::ErrorKind::kTypeError, std::string(what) + " must be a number"};
    return false;
  }
  const double d = v.AsNumber();
  if (!(d >= min && d <= max) || std::floor(d) != d) {
    *refusal = {anythread::ErrorKind::kRangeError,
                std::string(what) + " must be a whole number from " + std::to_string(int(min)) +
                    " to " + std::to_string(int(max))};
    return false;
  }
  *out = static_cast<uint32_t>(d);
  return true;
}

// JS thread. Starts `threads` threads; thread t sends the lines
// "thread <t> line <i>", i = 0 .. lines - 1, to `on_line`, which JS
// receives as (null, line): each thread's lines in order, through a bounded
// queue (a thread blocks while 64 lines wait for the JS thread). Returns
// false, having started nothing, when an argument is wrong.
inline bool Start(anythread::Env env, const anythread::Value& threads, const anythread::Value& lines,
                  const anythread::Value& on_line, Refusal* refusal) {
  using namespace anythread;
  uint32_t thread_count = 0, line_count = 0;
  if (!ReadCount(threads, "threads", 1, kMaxThreads, &thread_count, refusal) ||
      !ReadCount(lines, "lines", 0, kMaxLines, &line_count, refusal)) {
    return false;
  }
  ThreadsafeFunctionOptions options;
  options.max_queue_size = 64;
  auto log = ThreadsafeFunction<std::string>::Create(env, on_line, options);
  if (!log.ok()) {  // Not a function: InvalidArg.
    *refusal = {ErrorKind::kTypeError, "onLine must be a function"};
    return false;
  }
  for (uint32_t t = 0; t < thread_count; ++t) {
    // Each thread holds a copy of the handle; the last copy released
    // finalizes the function once its queue has delivered everything.
    StartDetachedThread([log = log.value(), t, line_count]() mutable {
      for (uint32_t i = 0; i < line_count; ++i) {
        std::string line = "thread " + std::to_string(t) + " line " + std::to_string(i);
        if (log.Call(std::move(line), CallMode::kBlocking) != Status::kOk) return;
      }
    });
  }
  return true;
}

}  // namespace logstream

#endif  // LOGSTREAM_HPP_
