// StartDetachedThread: run fn on a new thread, detached; RunOnThreads:
// start N threads running fn(i). Portable across backends.
#ifndef ANYTHREAD_THREADS_HPP_
#define ANYTHREAD_THREADS_HPP_

#include <cstddef>
#include <cstdlib>
#include <deque>
#include <memory>
#include <thread>
#include <utility>

#include "anythread/config.hpp"

#if ANYTHREAD_WASM
#include <pthread.h>
#endif

namespace anythread {

// Any thread. Runs `fn()` on a new thread and returns at once, as
// std::thread(fn).detach() does. In wasm the thread is created detached
// instead: Emscripten 3.1.6's pthread_detach joins a thread that has already
// finished (musl does), and a join on a browser's main thread prints
// "Blocking on the main thread is very dangerous" (it aborts in a module
// built with -sALLOW_BLOCKING_ON_MAIN_THREAD=0), though that join never
// waits (tests/main-thread-wait.browser.test.ts). Like std::thread built
// without exceptions, it aborts when no thread can be made.
template <typename Fn>
void StartDetachedThread(Fn fn) {
#if ANYTHREAD_WASM
  auto owned = std::make_unique<Fn>(std::move(fn));
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  const int rc = pthread_create(
      &thread, &attr,
      [](void* p) -> void* {
        std::unique_ptr<Fn> f(static_cast<Fn*>(p));
        (*f)();
        return nullptr;
      },
      owned.get());
  pthread_attr_destroy(&attr);
  if (rc != 0) std::abort();
  owned.release();  // The thread owns it now.
#else
  std::thread(std::move(fn)).detach();
#endif
}

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
  StartDetachedThread([count, fn = std::move(fn)]() {
    std::deque<std::thread> live;
    for (size_t i = 0; i < count; ++i) {
      if (live.size() == kMaxLiveThreads) {
        live.front().join();
        live.pop_front();
      }
      live.emplace_back(fn, i);
    }
    for (auto& t : live) t.join();
  });
}

}  // namespace anythread

#endif  // ANYTHREAD_THREADS_HPP_
