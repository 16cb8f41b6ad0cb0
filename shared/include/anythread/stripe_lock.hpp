// StripeLock: the lock of one CallQueue stripe.
//
// Taken by one producer thread nearly always, so the uncontended path is
// what counts: one compare-exchange to lock, one exchange to unlock. That
// is cheaper than std::mutex, most of all in wasm, where pthread_mutex_lock
// and _unlock are calls into musl that check the mutex type first (measured
// in Node on Emscripten 3.1.6: one thread locking and unlocking around a
// 24-byte store, about 43 M/s with std::mutex, 65-70 M/s with an atomic
// flag). When it is contended (the JS thread taking every stripe for a
// moment, more threads than stripes) a waiter spins for a few microseconds
// and then sleeps on a condition variable, so producers that outnumber the
// cores do not burn the time the holder needs.
//
// A bounded queue's single stripe is contended by design (producers wait
// for room in it), so there StripeLock is a plain std::mutex (UseMutex): in
// npm test's retry storms (8 producers calling NonBlocking into a full
// queue of 1 or 16) the atomic flag's spinning cost more than it saved.
//
// State: 0 free, 1 locked, 2 locked and a waiter may sleep (unlock then
// wakes one). This is the classic three-state mutex, with a condition
// variable where a futex would be: a waiter sets 2 and sleeps while holding
// the sleep mutex, and unlock takes that mutex before notifying, so a
// wake-up cannot fall between a waiter's check and its sleep.
//
// The sleep mutex and condition variable (88 bytes natively) live in their
// own allocation: the lock itself is 16 bytes, so a stripe (this lock, its
// ring's header and its counter) fits in one cache line. A producer's call
// and the JS thread's taking of the ring then move one line between the
// cores instead of three (bench/NOTES.md).
#ifndef ANYTHREAD_STRIPE_LOCK_HPP_
#define ANYTHREAD_STRIPE_LOCK_HPP_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "anythread/config.hpp"

#if defined(__EMSCRIPTEN__)
#include <emscripten/threading.h>
// The wasm glue (wasm/src/anythread_glue.js): 1 where the main thread may
// block (Node), 0 where it may not (a browser's).
extern "C" int anythread_main_thread_may_block(void);
#endif

namespace anythread {

class StripeLock {
 public:
  // Allocates the slow path's sleep state (built without exceptions: out of
  // memory aborts, as any allocation does when a queue is created).
  StripeLock() : sleep_(new Sleep) {}
  StripeLock(const StripeLock&) = delete;
  StripeLock& operator=(const StripeLock&) = delete;

  // Before the lock is shared: be a plain std::mutex from now on.
  void UseMutex() { mutex_only_ = true; }

  ANYTHREAD_ALWAYS_INLINE void lock() {
    if (mutex_only_) {
      sleep_->mutex.lock();
      return;
    }
    uint32_t expected = 0;
    if (state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      return;
    }
    LockSlow();
  }

  bool try_lock() {
    if (mutex_only_) return sleep_->mutex.try_lock();
    uint32_t expected = 0;
    return state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  ANYTHREAD_ALWAYS_INLINE void unlock() {
    if (mutex_only_) {
      sleep_->mutex.unlock();
      return;
    }
    if (state_.exchange(0, std::memory_order_release) == 2) {
      std::lock_guard<std::mutex> guard(sleep_->mutex);
      sleep_->wake.notify_one();
    }
  }

 private:
  void LockSlow() {
    // The holder usually lets go within a few dozen instructions, but a
    // producer in a tight loop takes its lock again at once: the lock is
    // free only for moments, and the JS thread's LockAll() may need many
    // looks to catch one. Sleeping instead costs far more than the wait: a
    // futex wait and wake-up, then a wake syscall in the holder's unlock.
    // Natively, with one producer flooding a function, a spin of 128 plain
    // loads gave up often enough that the drain's fixed cost per wake-up
    // (about 3 us taking and releasing the locks) rose to 10-20 us, and
    // calls/s halved; up to kSpins pauses (about 5 us on our VMs) before
    // sleeping doubled throughput, per item and batched (bench/NOTES.md).
    for (int i = 0; i < kSpins; ++i) {
      if (state_.load(std::memory_order_relaxed) == 0 && try_lock()) return;
      Relax();
    }
#if defined(__EMSCRIPTEN__)
    if (!MainThreadMaySleep()) {
      // A browser's main thread cannot sleep. Emscripten 3.1.6 turns its
      // waits into a busy loop that runs the queued proxied calls, and a
      // condition variable's wait there first warns "Blocking on the main
      // thread is very dangerous" (or aborts the page, in a module built
      // with -sALLOW_BLOCKING_ON_MAIN_THREAD=0). So wait as that loop does,
      // without the condition variable: it is a producer's push we wait
      // for (tests/main-thread-wait.browser.test.ts). Never taken as 2, so
      // no unlock owes this thread a wake-up.
      for (;;) {
        emscripten_main_thread_process_queued_calls();
        for (int i = 0; i < kSpins; ++i) {
          if (state_.load(std::memory_order_relaxed) == 0 && try_lock()) return;
        }
      }
    }
#endif
    std::unique_lock<std::mutex> guard(sleep_->mutex);
    // Taking it as 2 (not 1) keeps the wake-up chain going for any other
    // sleeper: this thread's unlock will wake the next one.
    while (state_.exchange(2, std::memory_order_acquire) != 0) {
      sleep_->wake.wait(guard);
    }
  }

#if defined(__x86_64__) || defined(__i386__)
  static constexpr int kSpins = 256;
  static void Relax() { __builtin_ia32_pause(); }  // ~20 ns on our VMs.
#else
  // Plain loads: about 0.3 ns each in wasm here (Node 20), so this is
  // about 5 us too. It was 128 (40 ns): the JS thread's LockAll() and a
  // producer meeting it slept on the condition variable often, which in
  // wasm is a futex wait and a JS-side notify. In same-process A/B runs
  // of wasm in Node with 1 producer, 4,096 loads delivered 8-15% more
  // than 128, and 16,384 as much as 4,096 or more (bench/NOTES.md).
  static constexpr int kSpins = 16384;
  static void Relax() {}
#endif

#if defined(__EMSCRIPTEN__)
  static bool MainThreadMaySleep() {
    if (!emscripten_is_main_browser_thread()) return true;
    static const bool may_block = anythread_main_thread_may_block() != 0;
    return may_block;
  }
#endif

  struct Sleep {
    std::mutex mutex;  // UseMutex(): the lock itself.
    std::condition_variable wake;
  };

  std::atomic<uint32_t> state_{0};
  bool mutex_only_ = false;  // UseMutex(): sleep_->mutex is the lock.
  const std::unique_ptr<Sleep> sleep_;
};

}  // namespace anythread

#endif  // ANYTHREAD_STRIPE_LOCK_HPP_
