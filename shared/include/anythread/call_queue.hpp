// CallQueue: the threadsafe-function state machine, without any JS.
//
// One CallQueue is shared by every handle to one threadsafe function. Producers
// on any thread Push() items; the owner (JS) thread drains them when the
// doorbell rings. Nothing here knows about Node-API or Emscripten: a backend
// supplies the Doorbell (how to get the owner thread to call Drain()) and the
// delivery function (how an item becomes a JS call).
//
// Lifetime and ordering, the subtle parts:
// - State moves open -> closing (last handle released: deliver what is queued,
//   then finalize) or open/closing -> aborted (drop what is queued, then
//   finalize) -> finalized. Finalization happens on the owner thread, inside
//   Drain() or EnvTeardown(), exactly once.
// - Items dropped by abort are destroyed on the owner thread, in Drain(), so a
//   payload may hold things only the JS thread may release. Items left when the
//   environment is torn down are destroyed in EnvTeardown() (owner thread).
// - The doorbell is coalesced: a producer rings only when no drain is
//   scheduled (`scheduled_`), and it rings while holding mutex_, after checking
//   the state is not finalized. So once Finalize has run under the lock, no
//   producer can touch the doorbell again, and the backend may close it.
// - Drain() takes at most kMaxDrainPerTick items per wake-up and rings again
//   if more remain, so a flood of calls cannot starve the event loop. While
//   it delivers, `scheduled_` stays set, so producers do not ring; the drain
//   rings at its end, under the lock, for anything queued meanwhile. Only
//   that ring comes from the owner thread, where a backend can make it yield
//   to the event loop (a producer's ring would be run in the same turn).
// - The owner takes the whole shared queue at once by swapping it with its
//   private ring (`taken_`), an O(1) step under the lock, so producers almost
//   never wait for the consumer; it then delivers from `taken_` without the
//   lock. Items in `taken_` still count against max_queue_size
//   (`taken_count_`), and still come before anything queued later.
// - Emscripten 3.1.6 runs queued main-thread calls while the main thread spins
//   on a contended mutex, so Drain() can be re-entered from inside itself. A
//   re-entered Drain() does nothing but note that a ring was consumed; the
//   outer Drain() rings again before it returns (TOOLCHAIN.md, quirk 8).
#ifndef ANYTHREAD_CALL_QUEUE_HPP_
#define ANYTHREAD_CALL_QUEUE_HPP_

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <cstddef>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "anythread/ring_queue.hpp"
#include "anythread/status.hpp"

namespace anythread {

enum class CallMode { kBlocking, kNonBlocking };

// How a backend wakes the owner thread. Ring() is called with the queue's
// mutex held, at most once per scheduled drain; it must not block and must
// not call back into the queue. The backend answers with exactly one later
// call of CallQueue::Drain() on the owner thread (or none, if the environment
// is torn down first).
class Doorbell {
 public:
  virtual ~Doorbell() = default;
  virtual void Ring() = 0;  // Any thread, queue mutex held.
};

// Drain at most this many items per wake-up so a busy producer cannot starve
// the event loop; the next wake-up picks up the rest. Large, because each
// wake-up costs a round trip through the event loop (in wasm, a message):
// measured with 4 producers in wasm, 1,000 per wake-up delivered ~13 M
// calls/s and 16,384 ~25 M/s. kMaxDrainTime still bounds a batch of slow
// callbacks; fast ones take well under a millisecond for a full batch.
constexpr size_t kMaxDrainPerTick = 16384;
// ... and stop a batch early once it has taken this long (slow callbacks):
// timers and rendering get a turn at least this often.
constexpr std::chrono::milliseconds kMaxDrainTime{8};

enum class QueueState { kOpen, kClosing, kAborted, kFinalized };

template <typename Item>
class CallQueue {
 public:
  // Owner thread (the thread that will drain). `max_queue_size` 0 means
  // unbounded. `doorbell` must outlive every Ring() (see the essay above).
  CallQueue(size_t max_queue_size, Doorbell* doorbell = nullptr)
      : queue_(max_queue_size != 0 && max_queue_size <= 4096 ? max_queue_size
                                                              : 64),
        max_queue_size_(max_queue_size),
        owner_(std::this_thread::get_id()),
        doorbell_(doorbell) {}

  // Owner thread, before the first Push() or handle copy: the doorbell often
  // needs the object owning this queue, so it can be attached after
  // construction. It must outlive every Ring().
  void SetDoorbell(Doorbell* doorbell) { doorbell_ = doorbell; }

  CallQueue(const CallQueue&) = delete;
  CallQueue& operator=(const CallQueue&) = delete;

  // Any thread. Queues `item` for the owner thread. Returns kOk; kQueueFull
  // when non-blocking and the queue is at capacity, or (either mode) when an
  // unbounded queue cannot grow, out of memory; kWouldDeadlock when
  // blocking on the owner thread and the queue is at capacity (the owner is
  // the thread that would make room); kClosing once released, aborted or
  // finalized; kInvalidArg for a `mode` that is not a CallMode. On any
  // status but kOk the item is left with the caller.
  [[nodiscard]] Status Push(Item& item, CallMode mode) {
    if (mode != CallMode::kBlocking && mode != CallMode::kNonBlocking) {
      return Status::kInvalidArg;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (state_ != QueueState::kOpen) return Status::kClosing;
      if (max_queue_size_ == 0 ||
          queue_.size() + taken_count_ < max_queue_size_) {
        break;
      }
      if (mode == CallMode::kNonBlocking) return Status::kQueueFull;
      if (OnOwnerThread()) return Status::kWouldDeadlock;
      ++blocked_producers_;
      room_.wait(lock);
      --blocked_producers_;
    }
    // An unbounded queue that cannot grow (out of memory) refuses the call
    // as a full one would: the caller may retry once JS has drained.
    if (!queue_.push_back(std::move(item))) return Status::kQueueFull;
    ++accepted_;
    RingLocked();
    return Status::kOk;
  }

  // Any thread. One more handle shares this queue. Returns kClosing (and
  // still counts the handle, so the matching Release stays balanced) when the
  // queue no longer accepts calls.
  Status Acquire() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++handles_;
    return state_ == QueueState::kOpen ? Status::kOk : Status::kClosing;
  }

  // Any thread. One handle is gone. When it was the last one, the queue stops
  // accepting calls, delivers what it holds, and then finalizes.
  void Release() {
    std::lock_guard<std::mutex> lock(mutex_);
    assert(handles_ > 0);
    if (--handles_ > 0 || state_ != QueueState::kOpen) return;
    state_ = QueueState::kClosing;
    room_.notify_all();
    RingLocked();
  }

  // Any thread. Stops accepting calls, drops queued items (destroyed on the
  // owner thread), wakes blocked producers with kClosing. Returns kOk, or
  // kClosing when already aborted or finalized.
  Status Abort() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == QueueState::kAborted || state_ == QueueState::kFinalized) {
      return Status::kClosing;
    }
    state_ = QueueState::kAborted;
    aborted_flag_ = true;
    room_.notify_all();
    RingLocked();
    return Status::kOk;
  }

  // Owner thread, when the doorbell rings. Hands each of up to
  // kMaxDrainPerTick items to `deliver(Item&)` in FIFO order, stopping early
  // if aborted meanwhile or after kMaxDrainTime; calls `finalize()` exactly
  // once when the queue is done (released and empty, or aborted). `deliver`
  // and `finalize` run without the lock held, so they may call back into
  // this queue.
  template <typename Deliver, typename Finalize>
  void Drain(Deliver&& deliver, Finalize&& finalize) {
    DrainBatch(
        [&](Item* items, size_t n) {
          const auto start = std::chrono::steady_clock::now();
          size_t i = 0;
          for (; i < n; ++i) {
            if (aborted_flag_.load(std::memory_order_relaxed)) break;
            if (i % 64 == 63 &&
                std::chrono::steady_clock::now() - start > kMaxDrainTime) {
              break;
            }
            deliver(items[i]);
          }
          return i;
        },
        std::forward<Finalize>(finalize));
  }

  // The same, handing the whole batch at once: `deliver(Item* items, size_t
  // n)` returns how many it delivered, in order (it stops early when
  // AbortRequested() turns true, or to yield). Items it did not deliver go
  // back to the front of the queue, unless the queue was aborted (then they
  // are dropped).
  template <typename DeliverBatch, typename Finalize>
  void DrainBatch(DeliverBatch&& deliver, Finalize&& finalize) {
    assert(OnOwnerThread());
    if (draining_) {  // Re-entered (see the essay above): just note it.
      reentered_ = true;
      return;
    }
    draining_ = true;
    bool finalize_now = false;
    {
      // scheduled_ stays set while this drain delivers: producers do not
      // ring meanwhile; the check at the end (under the lock) rings for
      // whatever they queued. Their rings would reach the backend's queue
      // (Node's threadsafe function, Emscripten's proxied calls), which
      // runs them in the same turn of the event loop, so a steady stream
      // would never let timers run. The drain's own ring is the yielding one.
      std::lock_guard<std::mutex> lock(mutex_);
      if (state_ == QueueState::kFinalized) {
        draining_ = false;
        return;
      }
      if (state_ == QueueState::kAborted) {
        finalize_now = DropAllLocked();
      } else {
        // Everything queued so far, in O(1). While older items remain in
        // taken_, newer ones wait in queue_: FIFO either way.
        if (taken_.empty()) taken_.swap(queue_);
        taken_count_ = taken_.size();
      }
    }
    DestroyDropped();  // Payloads dropped by abort die on the owner thread.
    // The batch is moved out of taken_ before JS runs, so nothing JS does
    // meanwhile (an abort, a teardown) can destroy items being delivered.
    // (Handing JS the ring's own spans instead saved a third of the drain's
    // instructions natively, but measured 15-40% slower with batched
    // delivery and 2 producers in wasm, in same-process A/B runs.)
    const size_t n = std::min(taken_.size(), kMaxDrainPerTick);
    for (size_t i = 0; i < n; ++i) {
      batch_.push_back(std::move(taken_.front()));
      taken_.pop_front();
    }
    size_t delivered = 0;
    if (!finalize_now && !batch_.empty()) {
      delivered = deliver(batch_.data(), batch_.size());
      assert(delivered <= batch_.size());
    }
    // Stopped early: to yield, the rest goes back ahead of newer items; when
    // aborted or torn down meanwhile (the flag is set under the lock with
    // the state), the rest is dropped with the batch below.
    const size_t rest = batch_.size() - delivered;
    const bool stopping = aborted_flag_.load(std::memory_order_relaxed);
    if (!stopping) {
      for (size_t i = batch_.size(); i > delivered; --i) {
        taken_.push_front(std::move(batch_[i - 1]));
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      delivered_ += delivered;
      scheduled_ = false;  // This drain answered the ring.
      if (!finalize_now) {
        if (stopping) dropped_ += rest;
        if (state_ == QueueState::kFinalized) {
          // Torn down while `deliver` ran JS: EnvTeardown dropped the rest
          // of the queue and finalized.
        } else if (state_ == QueueState::kAborted) {
          finalize_now = DropAllLocked();
        } else if (state_ == QueueState::kClosing && queue_.empty() &&
                   taken_.empty()) {
          state_ = QueueState::kFinalized;
          finalize_now = true;
        } else if (!queue_.empty() || !taken_.empty() || reentered_) {
          // More to do (left over, queued meanwhile, or a re-entered drain
          // consumed a ring): yield to the event loop and come back.
          RingLocked();
        }
      }
      if (max_queue_size_ != 0 && taken_count_ != taken_.size()) {
        room_.notify_all();  // Delivered items no longer count.
      }
      taken_count_ = taken_.size();
      reentered_ = false;
      if (finalize_now) room_.notify_all();
    }
    batch_.clear();  // Delivered (moved-from) items, and a dropped rest.
    DestroyDropped();
    draining_ = false;
    if (finalize_now) finalize();
  }

  // Owner thread, inside a batch delivery: whether Abort() (or teardown)
  // happened meanwhile, so the rest of the batch must not be delivered.
  bool AbortRequested() const {
    return aborted_flag_.load(std::memory_order_relaxed);
  }

  // Owner thread. The environment is going away: no more JS. Drops queued
  // items, wakes producers (they get kClosing from now on) and calls
  // `finalize()` if it had not run yet. Returns whether it ran it.
  template <typename Finalize>
  bool EnvTeardown(Finalize&& finalize) {
    RingQueue<Item> doomed(0);  // Allocates nothing: cannot fail.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (state_ == QueueState::kFinalized) return false;
      state_ = QueueState::kFinalized;
      aborted_flag_ = true;
      doomed.swap(queue_);
      // Owner thread: taken_ is ours (never in use during a delivery: the
      // batch being delivered was moved out, and the drain drops its rest).
      dropped_ += doomed.size() + taken_.size();
      drop_taken_ = true;
      taken_count_ = 0;
      room_.notify_all();
    }
    doomed.clear();
    DestroyDropped();
    finalize();
    return true;
  }

  // Any thread. Snapshot accessors for tests and diagnostics.
  QueueState state() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_;
  }
  size_t size() const {  // Queued and not yet delivered.
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size() + taken_count_;
  }
  size_t handles() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return handles_;
  }
  size_t blocked_producers() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return blocked_producers_;
  }
  struct Counts {
    size_t accepted, delivered, dropped;
  };
  Counts counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {accepted_, delivered_, dropped_};
  }
  bool OnOwnerThread() const { return std::this_thread::get_id() == owner_; }
  std::thread::id owner() const { return owner_; }

 private:
  // Owner thread, mutex_ held, aborted: every queued or taken item is
  // dropped (destroyed later, outside the lock, by DestroyDropped); the queue
  // finalizes. Allocates nothing, so an abort works when memory is short.
  bool DropAllLocked() {
    dropped_ += queue_.size() + taken_.size();
    graveyard_.swap(queue_);  // graveyard_ is empty here; queue_ gets none.
    drop_taken_ = true;
    taken_count_ = 0;
    state_ = QueueState::kFinalized;
    return true;
  }

  // Owner thread, without the lock: destroys what DropAllLocked or a
  // teardown dropped (payload destructors may call back into this queue).
  void DestroyDropped() {
    graveyard_.clear();
    if (drop_taken_) {
      drop_taken_ = false;
      taken_.clear();
    }
  }

  void RingLocked() {
    if (scheduled_ || state_ == QueueState::kFinalized) return;
    scheduled_ = true;
    doorbell_->Ring();
  }

  // Guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable room_;  // Room in the queue, or no longer open.
  RingQueue<Item> queue_;
  size_t taken_count_ = 0;  // taken_.size(), as producers may see it.
  QueueState state_ = QueueState::kOpen;
  size_t handles_ = 1;  // The creating handle.
  size_t blocked_producers_ = 0;
  bool scheduled_ = false;  // A drain is scheduled: do not ring again.
  size_t accepted_ = 0;
  size_t delivered_ = 0;
  size_t dropped_ = 0;

  // Immutable after construction; read without the lock.
  const size_t max_queue_size_;  // 0 means unbounded.
  const std::thread::id owner_;
  Doorbell* doorbell_;  // Set once, before any producer can see the queue.

  // Set under mutex_ by Abort() and EnvTeardown(); read by the owner thread
  // between deliveries without the lock, so an abort from inside a callback
  // stops the batch at once. The state under the lock stays authoritative.
  std::atomic<bool> aborted_flag_{false};

  // Owner thread only.
  bool draining_ = false;
  bool reentered_ = false;
  RingQueue<Item> taken_{64};  // Taken from queue_, not yet delivered.
  std::vector<Item> batch_;       // Being delivered (see DrainBatch).
  RingQueue<Item> graveyard_{0};  // Dropped by abort, destroyed unlocked.
  bool drop_taken_ = false;       // taken_'s items were dropped too.
};

}  // namespace anythread

#endif  // ANYTHREAD_CALL_QUEUE_HPP_
