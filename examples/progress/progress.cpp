// processBuffer(size, { chunkSize, threads }, onProgress) -> Promise<number>
//
// Makes a buffer of `size` bytes (byte i is (i * 31 + 7) & 255), splits it in
// chunks of `chunkSize`, and checksums the chunks on `threads` native threads.
// After each chunk, onProgress(null, chunksDone, chunksTotal) runs on the JS
// thread (through a bounded threadsafe function: a fast producer blocks
// rather than flooding the queue); the promise resolves with the checksum:
// the sum over i of byte_i * ((i % 251) + 1), modulo 2^32, after the last
// onProgress call has run.
//
// Why the promise waits for the function's finalizer: a Deferred and a
// threadsafe function are separate queues, with no order between them. If
// the thread that finishes the last chunk resolved at once, the resolution
// could reach JS before another thread's last progress call (which may not
// even be queued yet). The last thread to finish releases the function
// instead; once the queue has delivered everything, the function finalizes
// on the JS thread, and the waiting thread resolves the promise.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <anythread/anythread.hpp>

namespace {

using namespace anythread;

Value Fail(Env env, ErrorKind kind, const std::string& message) {
  return ThrowError(env, kind, StatusName(Status::kInvalidArg), message);
}

// A whole number in [min, max] from `v`, or a thrown TypeError/RangeError.
bool ReadCount(Env env, const Value& v, const char* what, double min, double max,
               size_t* out) {
  if (!v.IsNumber()) {
    Fail(env, ErrorKind::kTypeError, std::string(what) + " must be a number");
    return false;
  }
  double d = v.AsNumber();
  if (!(d >= min && d <= max) || std::floor(d) != d) {
    Fail(env, ErrorKind::kRangeError,
         std::string(what) + " must be a whole number from " +
             std::to_string(static_cast<long long>(min)) + " to " +
             std::to_string(static_cast<long long>(max)));
    return false;
  }
  *out = static_cast<size_t>(d);
  return true;
}

struct Job {
  std::vector<uint8_t> buffer;
  size_t chunk_size = 0;
  size_t chunks = 0;
  std::atomic<size_t> next{0};      // Next chunk to take.
  std::atomic<size_t> done{0};      // Chunks finished.
  std::atomic<uint32_t> checksum{0};
  std::atomic<size_t> running{0};   // Threads still processing chunks.
  // One handle, shared by the threads (Call on one handle from many threads
  // is safe); released by the last thread to finish.
  ThreadsafeFunction<Spread<double, double>> progress;
  std::mutex mutex;
  std::condition_variable finalized_cv;
  bool finalized = false;
};

Value ProcessBuffer(const CallbackInfo& info) {
  Env env = info.env();
  size_t size = 0, chunk_size = 0, threads = 0;
  if (!ReadCount(env, info[0], "size", 0, 256 << 20, &size)) return Value::Undefined(env);
  Value options = info[1];
  if (!options.IsObject()) return Fail(env, ErrorKind::kTypeError, "options must be an object");
  if (!ReadCount(env, options.Get("chunkSize"), "options.chunkSize", 1, 64 << 20, &chunk_size) ||
      !ReadCount(env, options.Get("threads"), "options.threads", 1, 8, &threads)) {
    return Value::Undefined(env);
  }
  if (!info[2].IsFunction()) return Fail(env, ErrorKind::kTypeError, "onProgress must be a function");

  auto job = std::make_shared<Job>();
  ThreadsafeFunctionOptions tsfn_options;
  tsfn_options.max_queue_size = 64;  // Backpressure: producers wait for JS.
  // JS thread, once every queued call has run (or at teardown). Holds the
  // Job until then: Release() below breaks the cycle Job -> function.
  tsfn_options.finalizer = [job] {
    std::lock_guard<std::mutex> lock(job->mutex);
    job->finalized = true;
    job->finalized_cv.notify_all();
  };
  auto progress = ThreadsafeFunction<Spread<double, double>>::Create(env, info[2], tsfn_options);
  if (!progress.ok()) return ThrowError(env, ErrorKind::kError, progress.error());
  Value promise;
  auto result = Deferred<double>::Create(env, &promise);
  if (!result.ok()) return ThrowError(env, ErrorKind::kError, result.error());

  job->buffer.resize(size);
  for (size_t i = 0; i < size; ++i) job->buffer[i] = static_cast<uint8_t>((i * 31 + 7) & 255);
  job->chunk_size = chunk_size;
  job->chunks = (size + chunk_size - 1) / chunk_size;
  if (job->chunks == 0) {
    result.value().Resolve(0);
    return promise;  // `progress` is released here; it finalizes unused.
  }
  job->progress = std::move(progress).value();
  threads = std::min(threads, job->chunks);
  job->running = threads;
  RunOnThreads(threads, [job, deferred = result.value()](size_t) {
    for (size_t c; (c = job->next.fetch_add(1)) < job->chunks;) {
      uint32_t sum = 0;
      size_t begin = c * job->chunk_size;
      size_t end = std::min(begin + job->chunk_size, job->buffer.size());
      for (size_t i = begin; i < end; ++i) {
        sum += static_cast<uint32_t>(job->buffer[i]) * static_cast<uint32_t>((i % 251) + 1);
      }
      job->checksum.fetch_add(sum);
      size_t done = job->done.fetch_add(1) + 1;
      (void)job->progress.Call(Spread<double, double>(static_cast<double>(done),
                                                      static_cast<double>(job->chunks)),
                               CallMode::kBlocking);
    }
    if (job->running.fetch_sub(1) != 1) return;
    // The last thread: no other thread touches the handle any more.
    job->progress.Release();
    std::unique_lock<std::mutex> lock(job->mutex);
    job->finalized_cv.wait(lock, [&] { return job->finalized; });
    // At teardown the settlement is refused and dropped, never run.
    deferred.Resolve(job->checksum.load());
  });
  return promise;
}

}  // namespace

ANYTHREAD_MODULE(m) { m.Export("processBuffer", &ProcessBuffer); }
