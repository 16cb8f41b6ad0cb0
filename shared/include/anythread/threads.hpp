// RunOnThreads: start N threads running fn(i), portable across backends.
#ifndef ANYTHREAD_THREADS_HPP_
#define ANYTHREAD_THREADS_HPP_

#include <cstddef>
#include <deque>
#include <thread>
#include <utility>

#include "anythread/config.hpp"

namespace anythread {

// Any thread. Runs `fn(i)` for i in [0, count), each on its own new thread,
// and returns at once without waiting for them. At most kMaxLiveThreads run
// at the same time: beyond that, a coordinator thread starts the next one
// when an earlier one has finished (wasm: a pthread is a Web Worker, and
// threads started from the main thread cannot run until it yields, so the
// coordinator, not the caller, joins them).
template <typename Fn>
void RunOnThreads(size_t count, Fn fn) {
  if (count <= kMaxLiveThreads) {
#if !ANYTHREAD_WASM
    for (size_t i = 0; i < count; ++i) std::thread(fn, i).detach();
    return;
#endif
  }
  std::thread([count, fn = std::move(fn)]() {
    std::deque<std::thread> live;
    for (size_t i = 0; i < count; ++i) {
      if (live.size() == kMaxLiveThreads) {
        live.front().join();
        live.pop_front();
      }
      live.emplace_back(fn, i);
    }
    for (auto& t : live) t.join();
  }).detach();
}

}  // namespace anythread

#endif  // ANYTHREAD_THREADS_HPP_
