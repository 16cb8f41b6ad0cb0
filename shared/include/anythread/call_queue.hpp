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
//   scheduled (`scheduled_`, swapped atomically, as producers on different
//   stripes may race for it), after checking, under its stripe's lock, that
//   the state is not finalized. A producer's Push() rings after letting go
//   of that lock: a JS thread woken at once must not find the lock still
//   held (it did in about 1 in 25 idle wake-ups in wasm, and then waited
//   ~40 us; bench/NOTES.md). It counts itself in `ringing_` before letting
//   go, and finalization waits for `ringing_` to reach 0 before calling
//   `finalize()` (which closes the doorbell): a drain cannot finalize while
//   a producer is between its unlock and its ring (that producer set
//   `scheduled_`, so no drain was running and none starts before its ring),
//   but EnvTeardown() can. The drain's own ring also comes after it lets
//   go, on the owner thread, where nothing can finalize in between. Every
//   other ring (Release, Abort) happens under the locks. So once
//   finalization is done, no producer can touch the doorbell again, and the
//   backend may close it.
// - The handoff: in an unbounded queue, the call that takes the ring (it
//   found no drain scheduled, so the queue was empty) does not go into its
//   stripe's ring but into a slot of its own, on the line the producer
//   writes anyway (scheduled_). A drain answering with Handoff::kAlone
//   delivers it at once, before taking any lock, then drains as usual:
//   calls other threads made meanwhile join that drain, but a call the
//   owner thread made in that callback ends it (it rings for the rest, so
//   JS's own call arrives on a later turn, as always). An idle stream's call thus
//   reaches JS past one cache line instead of the locks, the rings and the
//   batch (measured: the p50 of idle latency 3-4% lower natively and 2% in
//   wasm; bench/NOTES.md). With Handoff::kFirstInBatch (batched delivery)
//   it heads the batch instead. The slot is filled only holding scheduled_
//   and emptied only by a drain, which clears scheduled_ only at its end,
//   so no producer ever writes a full slot; a call in the slot is queued
//   for every purpose (size, abort, teardown, finalization), and is older
//   than every call its producer made after it, so it goes first. A bounded
//   queue does not use the slot (its bound counts the stripe's ring).
// - Drain() takes at most kMaxDrainPerTick items per wake-up and rings again
//   if more remain, so a flood of calls cannot starve the event loop. While
//   it delivers, `scheduled_` stays set, so producers do not ring; the drain
//   rings at its end, once it has let go of the locks, for anything queued
//   meanwhile (it took the ring under them). Only
//   that ring comes from the owner thread, where a backend can make it yield
//   to the event loop (a producer's ring would be run in the same turn).
// - The owner takes each stripe's whole queue at once by swapping it with its
//   private ring (`taken_`), an O(1) step under the lock, so producers almost
//   never wait for the consumer; it then delivers from `taken_` without the
//   lock. Items in `taken_` still count against max_queue_size
//   (`taken_count_`), and still come before anything queued later.
// - Producers do not share a lock. An unbounded queue has kStripes stripes,
//   each a lock (StripeLock) and a ring; a thread always pushes into the
//   same stripe (threads are numbered on their first call, round robin), so
//   calls from one thread stay in order, and calls from different threads
//   are not ordered with each other. A shared lock was the bottleneck: in
//   wasm, 2 to 4 threads taking one mutex in turn push 3 to 5 times fewer
//   calls than one thread alone (bench/NOTES.md). A bounded queue has one
//   stripe, so its bound and its blocked producers stay exact. Whatever the
//   producers read under their stripe's lock (state_, taken_count_) is
//   written with every stripe in use locked (LockAll); the owner takes each
//   stripe's ring as before, O(1), and merges the stripes into one batch,
//   round robin (the next batch starts after the last stripe served), so
//   no stripe waits behind another's backlog.
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
#include <cstdint>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "anythread/clock_pacer.hpp"
#include "anythread/ring_queue.hpp"
#include "anythread/status.hpp"
#include "anythread/stripe_lock.hpp"

namespace anythread {

enum class CallMode { kBlocking, kNonBlocking };

// How a backend wakes the owner thread. Ring() is called at most once per
// scheduled drain, never after finalize() began (see the essay above); it
// must not block and must not call back into the queue. The backend answers
// with exactly one later call of CallQueue::Drain() on the owner thread (or
// none, if the environment is torn down first).
class Doorbell {
 public:
  virtual ~Doorbell() = default;
  virtual void Ring() = 0;  // Any thread.
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

// How a drain delivers the call handed over in the slot (see the essay).
enum class Handoff { kFirstInBatch, kAlone };

// Stripes of an unbounded queue (see the essay above): more than the cores
// of the machines we measure, so the producers of one function rarely
// share a stripe. A power of two.
constexpr size_t kStripes = 8;
static_assert(kStripes <= 32 && (kStripes & (kStripes - 1)) == 0,
              "a power of two that fits the 32-bit mask of stripes in use");

namespace detail {
// This thread's number, given on its first call through any queue: threads
// take stripes round robin, so up to kStripes threads calling one function
// have a stripe each.
inline size_t ThreadStripeSeed() {
  static std::atomic<size_t> next{0};
  // Constant-initialized (0: not numbered yet), so reading it needs no
  // per-call guard check, as a dynamically initialized thread_local would.
  thread_local size_t seed = 0;
  if (seed == 0) seed = next.fetch_add(1, std::memory_order_relaxed) + 1;
  return seed - 1;
}
}  // namespace detail

// `Bell` is the doorbell's type: Doorbell, or a final class derived from
// it, whose Ring() a producer then calls directly (inlined on the idle
// call's path) rather than through the vtable.
template <typename Item, typename Bell = Doorbell>
class CallQueue {
  static_assert(std::is_base_of<Doorbell, Bell>::value, "a Doorbell");

 public:
  // Owner thread (the thread that will drain). `max_queue_size` 0 means
  // unbounded. `doorbell` must outlive every Ring() (see the essay above).
  CallQueue(size_t max_queue_size, Bell* doorbell = nullptr)
      : max_queue_size_(max_queue_size),
        stripe_count_(max_queue_size == 0 ? kStripes : 1),
        stripes_(new Stripe[stripe_count_]),
        owned_(new OwnedStripe[stripe_count_]),
        owner_(std::this_thread::get_id()),
        doorbell_(doorbell) {
    // A bounded queue's two rings (the producers' and the drain's, which
    // trade places at each drain) both start at its bound, up to 4096
    // items, so producers never grow them: no allocation on their path,
    // from the first call on. (The drain's once started at 64 items, and
    // the producers grew it after the first drains handed it to them.)
    // Larger bounds grow on first use, to the bound at most; an unbounded
    // queue's stripes grow on first use (most functions are called from
    // few threads), and a ring never shrinks.
    if (max_queue_size != 0) {
      stripes_[0].mutex.UseMutex();  // Contended by design (stripe_lock.hpp).
      const size_t start = max_queue_size <= 4096 ? max_queue_size : 64;
      RingQueue<Item> ring(start);
      stripes_[0].queue.swap(ring);
      RingQueue<Item> taken(start);
      owned_[0].taken.swap(taken);
    }
    runs_.reserve(stripe_count_);
  }

  // Owner thread, before the first Push() or handle copy: the doorbell often
  // needs the object owning this queue, so it can be attached after
  // construction. It must outlive every Ring().
  void SetDoorbell(Bell* doorbell) { doorbell_ = doorbell; }

  CallQueue(const CallQueue&) = delete;
  CallQueue& operator=(const CallQueue&) = delete;

  // Any thread. Queues `item` for the owner thread. Returns kOk; kQueueFull
  // when non-blocking and the queue is at capacity, or (either mode) when an
  // unbounded queue cannot grow, out of memory; kWouldDeadlock when
  // blocking on the owner thread and the queue is at capacity (the owner is
  // the thread that would make room); kClosing once released, aborted or
  // finalized; kInvalidArg for a `mode` that is not a CallMode. On any
  // status but kOk the item is left with the caller.
  [[nodiscard]] ANYTHREAD_ALWAYS_INLINE Status Push(Item& item, CallMode mode) {
    if (mode != CallMode::kBlocking && mode != CallMode::kNonBlocking) {
      return Status::kInvalidArg;
    }
    Stripe& stripe = MyStripe();
    std::unique_lock<StripeLock> lock(stripe.mutex);
    for (;;) {
      if (state_ != QueueState::kOpen) return Status::kClosing;
      // Bounded: one stripe, so its queue is the whole queue.
      if (max_queue_size_ == 0 ||
          stripe.queue.size() + taken_count_ < max_queue_size_) {
        break;
      }
      if (mode == CallMode::kNonBlocking) return Status::kQueueFull;
      if (OnOwnerThread()) return Status::kWouldDeadlock;
      ++blocked_producers_;
      room_.wait(lock);
      --blocked_producers_;
    }
    if (max_queue_size_ == 0) {
      // Unbounded: the call that finds the queue idle (no drain scheduled)
      // is handed over in the slot (see the essay above). Otherwise no ring
      // is ours to take: scheduled_ cannot clear while this stripe is held.
      if (TakeRingLocked()) {
        new (&handoff_) Item(std::move(item));
        handoff_full_.store(true, std::memory_order_release);
        ++stripe.accepted;
        // Before ringing (see the essay above); not lock.unlock(), whose
        // check for a lock not held keeps it out of line.
        lock.release()->unlock();
        RingTaken();
        return Status::kOk;
      }
      // One that cannot grow (out of memory) refuses the call as a full
      // one would: the caller may retry once JS has drained.
      if (!stripe.queue.push_back(std::move(item))) return Status::kQueueFull;
      ++stripe.accepted;
      // A call from JS in a callback waits for a later turn (see DrainBatch).
      if (OnOwnerThread()) owner_pushed_ = true;
      return Status::kOk;
    }
    if (!stripe.queue.push_back(std::move(item))) return Status::kQueueFull;
    ++stripe.accepted;
    if (!TakeRingLocked()) return Status::kOk;
    lock.unlock();  // Before ringing: see the essay above.
    RingTaken();
    return Status::kOk;
  }

  // Any thread. Queues make(0), make(1), ..., make(n - 1) in that order,
  // as n Push() calls from this thread would, but under one taking of its
  // stripe's lock and with at most one ring: for producers that make their
  // values in blocks. `make(i)` returns item i; it is called only for an
  // item that will be queued (a refused item is never made), holding the
  // stripe's lock. Sets *pushed to how many were queued: always a prefix.
  // Returns kOk when all n were; otherwise what Push() would have returned
  // for the first one refused: kQueueFull (non-blocking and full, or an
  // unbounded queue out of memory), kWouldDeadlock (blocking on the owner
  // thread, full), kClosing, kInvalidArg (a bad mode: nothing queued).
  // A blocking call on a bounded queue waits for room as often as it
  // needs, letting go of the lock meanwhile (so n may exceed the bound,
  // and other threads' calls may come between its items); before each
  // wait it rings for what it queued, so the drain that makes room is
  // on its way.
  template <typename Make>
  [[nodiscard]] Status PushMany(size_t n, Make&& make, CallMode mode,
                                size_t* pushed) {
    *pushed = 0;
    if (mode != CallMode::kBlocking && mode != CallMode::kNonBlocking) {
      return Status::kInvalidArg;
    }
    Stripe& stripe = MyStripe();
    std::unique_lock<StripeLock> lock(stripe.mutex);
    size_t done = 0;
    bool unrung = false;  // Queued items no ring of ours answers yet.
    Status status = Status::kOk;
    for (;;) {
      if (state_ != QueueState::kOpen) {
        status = Status::kClosing;
        break;
      }
      // How many fit: all, unbounded (memory permitting).
      size_t fit = n - done;
      if (max_queue_size_ != 0) {
        const size_t used = stripe.queue.size() + taken_count_;
        fit = std::min(fit, used < max_queue_size_ ? max_queue_size_ - used : 0);
      }
      size_t k = 0;
      for (; k < fit; ++k) {
        if (!stripe.queue.make_room()) break;
        const bool ok = stripe.queue.push_back(make(done + k));
        assert(ok);
        (void)ok;
      }
      done += k;
      stripe.accepted += k;
      unrung = unrung || k > 0;
      if (done == n) break;
      if (k < fit || mode == CallMode::kNonBlocking) {
        status = Status::kQueueFull;  // Out of memory, or full.
        break;
      }
      if (OnOwnerThread()) {
        status = Status::kWouldDeadlock;
        break;
      }
      // Full: ring for what this call queued (the drain that makes room),
      // then wait for room. A queue that is full without items of ours
      // has a drain scheduled already (whoever queued them rang).
      if (unrung) {
        unrung = false;
        if (TakeRingLocked()) {
          lock.unlock();  // Before ringing: see the essay above.
          RingTaken();
          lock.lock();
          continue;  // The state and the room may have changed meanwhile.
        }
      }
      ++blocked_producers_;
      room_.wait(lock);
      --blocked_producers_;
    }
    *pushed = done;
    if (!unrung) return status;
    // A call from JS in a callback waits for a later turn (see DrainBatch).
    if (max_queue_size_ == 0 && OnOwnerThread()) owner_pushed_ = true;
    if (TakeRingLocked()) {
      lock.unlock();  // Before ringing: see the essay above.
      RingTaken();
    }
    return status;
  }

  ~CallQueue() {
    if (handoff_full_.load(std::memory_order_acquire)) handoff_.~Item();
  }

  // Any thread. One more handle shares this queue. Returns kClosing (and
  // still counts the handle, so the matching Release stays balanced) when the
  // queue no longer accepts calls.
  Status Acquire() {
    handles_.fetch_add(1, std::memory_order_relaxed);
    Stripe& stripe = MyStripe();
    std::lock_guard<StripeLock> lock(stripe.mutex);
    return state_ == QueueState::kOpen ? Status::kOk : Status::kClosing;
  }

  // Any thread. One handle is gone. When it was the last one, the queue stops
  // accepting calls, delivers what it holds, and then finalizes.
  void Release() {
    const size_t before = handles_.fetch_sub(1, std::memory_order_acq_rel);
    assert(before > 0);
    if (before != 1) return;
    LockAll lock(*this);
    if (state_ != QueueState::kOpen) return;
    state_ = QueueState::kClosing;
    room_.notify_all();
    RingLocked();
  }

  // Any thread. Stops accepting calls, drops queued items (destroyed on the
  // owner thread), wakes blocked producers with kClosing. Returns kOk, or
  // kClosing when already aborted or finalized.
  Status Abort() {
    LockAll lock(*this);
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
          ClockPacer pacer(start, start + kMaxDrainTime);
          size_t i = 0;
          for (; i < n; ++i) {
            if (aborted_flag_.load(std::memory_order_relaxed)) break;
            if (i > 0 && pacer.OutOfTime(i)) break;
            deliver(items[i]);
          }
          return i;
        },
        std::forward<Finalize>(finalize), Handoff::kAlone);
  }

  // The same, handing the whole batch at once: `deliver(Item* items, size_t
  // n)` returns how many it delivered, in order (it stops early when
  // AbortRequested() turns true, or to yield). Items it did not deliver go
  // back to the front of their stripe, unless the queue was aborted (then
  // they are dropped).
  //
  // `handoff` says how a call handed over in the slot is delivered (see the
  // essay above): kAlone before any lock is taken (it arrives sooner, but
  // as a batch of its own), or kFirstInBatch (one batch per wake-up).
  template <typename DeliverBatch, typename Finalize>
  ANYTHREAD_ALWAYS_INLINE void DrainBatch(DeliverBatch&& deliver, Finalize&& finalize,
                  Handoff handoff = Handoff::kFirstInBatch) {
    assert(OnOwnerThread());
    if (draining_) {  // Re-entered (see the essay above): just note it.
      reentered_ = true;
      return;
    }
    draining_ = true;
    // The call handed over by the producer that rang, on its own before
    // any lock is taken: an idle stream's call reaches JS sooner.
    size_t handoff_delivered = 0;
    size_t handoff_dropped = 0;
    bool handoff_yielded = false;  // This drain delivers nothing more.
    if (ANYTHREAD_LIKELY(handoff == Handoff::kAlone &&
                         handoff_full_.load(std::memory_order_acquire))) {
      Item item = TakeHandoff();
      owner_pushed_ = false;
      if (aborted_flag_.load(std::memory_order_relaxed)) {
        handoff_dropped = 1;  // It dies here, on the owner thread.
      } else if (deliver(&item, size_t{1}) == 1) {
        handoff_delivered = 1;
        // A call JS made in that callback must not be delivered in this
        // turn of the event loop (README: a call made from the JS thread
        // arrives on a later turn), as it would be if this drain now took
        // the stripes: it rings for them instead, and the next drain,
        // a real yield, takes them all.
        handoff_yielded = owner_pushed_;
      } else if (aborted_flag_.load(std::memory_order_relaxed)) {
        handoff_dropped = 1;
      } else {
        // Yielded before it: back to the slot, which no producer fills
        // while scheduled_ is set (until this drain's end).
        new (&handoff_) Item(std::move(item));
        handoff_full_.store(true, std::memory_order_relaxed);
        handoff_yielded = true;
      }
    }
    bool finalize_now = false;
    bool handoff_in_batch = false;
    uint32_t in_use = 0;  // Stripes in use at the start (only ever grows).
    {
      // scheduled_ stays set while this drain delivers: producers do not
      // ring meanwhile; the check at the end (under the locks) rings for
      // whatever they queued. Their rings would reach the backend's queue
      // (Node's threadsafe function, Emscripten's proxied calls), which
      // runs them in the same turn of the event loop, so a steady stream
      // would never let timers run. The drain's own ring is the yielding one.
      LockAll lock(*this);
      if (state_ == QueueState::kFinalized) {  // Torn down in the handoff.
        delivered_ += handoff_delivered;
        dropped_ += handoff_dropped;
        draining_ = false;
        return;
      }
      if (state_ == QueueState::kAborted) {
        finalize_now = DropAllLocked();
      } else if (!handoff_yielded) {
        // The call in the slot heads the batch (its producer's later calls
        // are behind it in its stripe). Read without the locks below: no
        // producer writes a full slot.
        handoff_in_batch = handoff_full_.load(std::memory_order_relaxed);
        // Everything queued so far, in O(1) per stripe. While older items
        // remain in a stripe's taken ring, newer ones wait in its queue:
        // FIFO either way.
        // Only the stripes in use: the others are empty, and an idle
        // wake-up touches as little memory as it can (on these VMs each
        // cold cache line or page costs more than the code around it).
        size_t taken = 0;
        in_use = lock.mask();
        ForEachStripe(in_use, [&](size_t s) {
          if (owned_[s].taken.empty()) owned_[s].taken.swap(stripes_[s].queue);
          taken += owned_[s].taken.size();
        });
        taken_count_ = taken;
      }
    }
    DestroyDropped();  // Payloads dropped by abort die on the owner thread.
    // The batch is moved out of the taken rings before JS runs, so nothing
    // JS does meanwhile (an abort, a teardown) can destroy items being
    // delivered. Stripes take turns to go first (round robin). (Handing JS the ring's own
    // spans instead saved a third of the drain's instructions natively, but
    // measured 15-40% slower with batched delivery and 2 producers in wasm,
    // in same-process A/B runs.)
    runs_.clear();
    if (!finalize_now) {
      size_t budget = kMaxDrainPerTick - handoff_delivered - handoff_dropped;
      if (handoff_in_batch) {  // batch_[0], in no run (see below).
        batch_.push_back(TakeHandoff());
        --budget;
      }
      for (size_t k = 0; k < stripe_count_ && budget > 0; ++k) {
        const size_t s = (first_stripe_ + k) & (stripe_count_ - 1);
        if ((in_use & (1u << s)) == 0) continue;
        RingQueue<Item>& taken = owned_[s].taken;
        const size_t n = std::min(taken.size(), budget);
        for (size_t i = 0; i < n; ++i) {
          batch_.push_back(std::move(taken.front()));
          taken.pop_front();
        }
        if (n > 0) runs_.push_back(Run{s, n});
        budget -= n;
      }
      // Round robin: the next batch starts after the last stripe served, so
      // a stripe behind one with a long backlog goes first next time.
      if (!runs_.empty()) {
        first_stripe_ = (runs_.back().stripe + 1) & (stripe_count_ - 1);
      }
    }
    size_t delivered = 0;
    bool ring_again = false;
    if (!finalize_now && !batch_.empty()) {
      delivered = deliver(batch_.data(), batch_.size());
      assert(delivered <= batch_.size());
    }
    // Stopped early: to yield, the rest goes back to the front of its
    // stripe, ahead of newer items; when aborted or torn down meanwhile (the
    // flag is set under the locks with the state), the rest is dropped with
    // the batch below.
    const size_t rest = batch_.size() - delivered;
    const bool stopping = aborted_flag_.load(std::memory_order_relaxed);
    // A handed-over call not delivered goes back to the slot, which no
    // producer can fill meanwhile (scheduled_ stays set from its producer's
    // ring to this drain's end), so the next drain takes it first again.
    const bool handoff_back = handoff_in_batch && !stopping && delivered == 0;
    if (!stopping && rest > 0) {
      size_t end = batch_.size();
      for (size_t r = runs_.size(); r > 0; --r) {
        const Run& run = runs_[r - 1];
        const size_t begin = end - run.count;
        for (size_t i = end; i > std::max(begin, delivered); --i) {
          owned_[run.stripe].taken.push_front(std::move(batch_[i - 1]));
        }
        if (begin <= delivered) break;
        end = begin;
      }
    }
    {
      LockAll lock(*this);
      if (handoff_back) {
        new (&handoff_) Item(std::move(batch_[0]));
        handoff_full_.store(true, std::memory_order_relaxed);
      }
      delivered_ += delivered + handoff_delivered;
      dropped_ += handoff_dropped;
      scheduled_.store(false, std::memory_order_relaxed);  // Answered.
      size_t taken = 0;
      // A call handed over while this drain ran (one nobody rang for, so
      // scheduled_ was clear): its producer's ring may be the one this
      // drain answers, so ring again (an extra drain does no harm).
      bool queued = handoff_full_.load(std::memory_order_relaxed);
      ForEachStripe(lock.mask(), [&](size_t s) {
        taken += owned_[s].taken.size();
        queued = queued || !stripes_[s].queue.empty();
      });
      if (!finalize_now) {
        if (stopping) dropped_ += rest;
        if (state_ == QueueState::kFinalized) {
          // Torn down while `deliver` ran JS: EnvTeardown dropped the rest
          // of the queue and finalized.
        } else if (state_ == QueueState::kAborted) {
          finalize_now = DropAllLocked();
          taken = 0;
        } else if (state_ == QueueState::kClosing && !queued && taken == 0) {
          state_ = QueueState::kFinalized;
          finalize_now = true;
        } else if (queued || taken > 0 || reentered_) {
          // More to do (left over, queued meanwhile, or a re-entered drain
          // consumed a ring): yield to the event loop and come back. The
          // ring itself waits until the locks are let go (see below).
          ring_again = TakeRingLocked();
        }
      }
      if (max_queue_size_ != 0 && taken_count_ != taken) {
        room_.notify_all();  // Delivered items no longer count.
      }
      taken_count_ = taken;
      reentered_ = false;
      if (finalize_now) room_.notify_all();
    }
    // The drain's own ring, after letting go of the locks, as a producer's
    // (see the essay above): in wasm it is a JS call on the main thread
    // (anythread_schedule), and a producer that found its stripe held that
    // long slept on it, to be woken by a notify when we let go. No
    // finalization can come between (it happens only on this thread), and
    // draining_ is still set, so a re-entered drain is still only noted.
    if (ring_again) RingTaken();
    batch_.clear();  // Delivered (moved-from) items, and a dropped rest.
    DestroyDropped();
    draining_ = false;
    if (finalize_now) {
      WaitForRingers();
      finalize();
    }
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
    {
      LockAll lock(*this);
      if (state_ == QueueState::kFinalized) return false;
      // Owner thread: the taken rings are ours (never in use during a
      // delivery: the batch being delivered was moved out, and the drain
      // drops its rest).
      DropAllLocked();
      aborted_flag_ = true;
      room_.notify_all();
    }
    DestroyDropped();
    WaitForRingers();
    finalize();
    return true;
  }

  // Any thread. Snapshot accessors for tests and diagnostics.
  QueueState state() const {
    LockAll lock(*this);
    return state_;
  }
  size_t size() const {  // Queued and not yet delivered.
    LockAll lock(*this);
    size_t n = taken_count_ + (handoff_full_.load(std::memory_order_relaxed) ? 1 : 0);
    ForEachStripe(lock.mask(), [&](size_t s) { n += stripes_[s].queue.size(); });
    return n;
  }
  size_t handles() const { return handles_.load(std::memory_order_acquire); }
  size_t blocked_producers() const {
    LockAll lock(*this);
    return blocked_producers_;
  }
  struct Counts {
    size_t accepted, delivered, dropped;
  };
  Counts counts() const {
    LockAll lock(*this);
    size_t accepted = 0;
    ForEachStripe(lock.mask(), [&](size_t s) { accepted += stripes_[s].accepted; });
    return {accepted, delivered_, dropped_};
  }
  bool OnOwnerThread() const { return std::this_thread::get_id() == owner_; }
  std::thread::id owner() const { return owner_; }

 private:
  // What producers share: one per stripe, each in one cache line of its
  // own (a push writes the lock, the ring's header and the counter; the
  // drain takes the lock and the ring: one line moves between the cores).
  struct alignas(64) Stripe {
    StripeLock mutex;
    RingQueue<Item> queue{0};  // Grows on first use.
    size_t accepted = 0;
  };
  static_assert(sizeof(Stripe) == 64, "a stripe is one cache line");
  // The owner's side of a stripe.
  struct OwnedStripe {
    RingQueue<Item> taken{0};      // Taken from the queue, not delivered.
    RingQueue<Item> graveyard{0};  // Dropped by abort, destroyed unlocked.
  };
  struct Run {  // batch_[..] came from this stripe's taken ring.
    size_t stripe, count;
  };

  // The lock of every stripe in use, in order (a producer holds at most
  // one): stripe 0 always, then those marked in active_. A stripe not marked
  // has never been touched by a producer, and cannot be until this is
  // released (marking one takes stripe 0's lock), so reading
  // its empty ring under LockAll is safe. Most functions are called from a
  // thread or two: a drain then takes two locks, not kStripes.
  class LockAll {
   public:
    explicit LockAll(const CallQueue& q) : q_(q) {
      q_.stripes_[0].mutex.lock();
      // Stable while stripe 0 is held.
      mask_ = q_.active_.load(std::memory_order_relaxed) | 1u;
      for (size_t s = 1; s < q_.stripe_count_; ++s) {
        if (mask_ & (1u << s)) q_.stripes_[s].mutex.lock();
      }
    }
    // The stripes in use (bit s: stripe s): every stripe outside it is
    // empty, and stays so while the lock is held (a stripe is marked before
    // its first push, holding stripe 0's lock).
    uint32_t mask() const { return mask_; }
    ~LockAll() {
      for (size_t s = q_.stripe_count_; s > 0; --s) {
        if (mask_ & (1u << (s - 1))) q_.stripes_[s - 1].mutex.unlock();
      }
    }
    LockAll(const LockAll&) = delete;
    LockAll& operator=(const LockAll&) = delete;

   private:
    const CallQueue& q_;
    uint32_t mask_;
  };

  // Calls fn(s) for each stripe s in `mask`, in order.
  template <typename Fn>
  static void ForEachStripe(uint32_t mask, Fn&& fn) {
    for (; mask != 0; mask &= mask - 1) fn(static_cast<size_t>(__builtin_ctz(mask)));
  }

  // Any thread, holding no stripe lock: this thread's stripe, marked in use.
  Stripe& MyStripe() {
    if (stripe_count_ == 1) return stripes_[0];
    const size_t s = detail::ThreadStripeSeed() & (stripe_count_ - 1);
    if ((active_.load(std::memory_order_relaxed) & (1u << s)) == 0) {
      Activate(s);
    }
    return stripes_[s];
  }

  // A stripe's first use: marked holding stripe 0's lock, so a LockAll
  // (which reads the marks holding stripe 0) either sees it or holds off
  // the marking until it is done. Once per stripe for the queue's life.
  void Activate(size_t s) {
    std::lock_guard<StripeLock> lock(stripes_[0].mutex);
    active_.fetch_or(1u << s, std::memory_order_relaxed);
  }

  // Owner thread, every lock held: every queued or taken item is dropped
  // (destroyed later, outside the locks, by DestroyDropped); the queue
  // finalizes. Allocates nothing (the graveyards, empty until now, swap
  // rings), so an abort works when memory is short.
  bool DropAllLocked() {
    if (handoff_full_.load(std::memory_order_relaxed)) {
      ++dropped_;  // Destroyed by DestroyDropped: finalized, none follows.
      drop_handoff_ = true;
    }
    for (size_t s = 0; s < stripe_count_; ++s) {
      dropped_ += stripes_[s].queue.size() + owned_[s].taken.size();
      owned_[s].graveyard.swap(stripes_[s].queue);
    }
    drop_taken_ = true;
    taken_count_ = 0;
    state_ = QueueState::kFinalized;
    return true;
  }

  // Owner thread, without the locks: destroys what DropAllLocked dropped
  // (payload destructors may call back into this queue).
  void DestroyDropped() {
    if (!drop_taken_) return;
    drop_taken_ = false;
    if (drop_handoff_) {
      drop_handoff_ = false;
      handoff_.~Item();
      handoff_full_.store(false, std::memory_order_relaxed);
    }
    for (size_t s = 0; s < stripe_count_; ++s) {
      owned_[s].graveyard.clear();
      owned_[s].taken.clear();
    }
  }

  // Owner thread, draining, the slot full: empties it. No producer writes
  // the slot until it is empty and a drain has cleared scheduled_ (under
  // the locks), which this drain does only at its end.
  ANYTHREAD_ALWAYS_INLINE Item TakeHandoff() {
    Item item(std::move(handoff_));
    handoff_.~Item();
    handoff_full_.store(false, std::memory_order_relaxed);
    return item;
  }

  // All locks held (Release, Abort, Drain): rings if no drain is scheduled.
  void RingLocked() {
    if (TakeRingLocked()) RingTaken();
  }

  // Rings, after TakeRingLocked() said this caller is the one to.
  ANYTHREAD_ALWAYS_INLINE void RingTaken() {
    doorbell_->Ring();
    ringing_.fetch_sub(1, std::memory_order_release);
  }

  // A lock held. Whether this caller is the one to ring: no drain scheduled
  // and not finalized. It then counts in ringing_ until it has rung.
  ANYTHREAD_ALWAYS_INLINE bool TakeRingLocked() {
    if (scheduled_.load(std::memory_order_relaxed) ||
        state_ == QueueState::kFinalized) {
      return false;
    }
    // Producers on two stripes may both get here: one rings.
    if (scheduled_.exchange(true, std::memory_order_acq_rel)) return false;
    ringing_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // Owner thread, finalized (no ring can start): waits out a producer
  // between its unlock and the end of its Ring() (a few microseconds).
  void WaitForRingers() const {
    while (ringing_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  }

  // Immutable after construction; read without the locks.
  const size_t max_queue_size_;  // 0 means unbounded.
  const size_t stripe_count_;    // kStripes, or 1 when bounded.
  const std::unique_ptr<Stripe[]> stripes_;
  const std::unique_ptr<OwnedStripe[]> owned_;
  const std::thread::id owner_;
  Bell* doorbell_;  // Set once, before any producer can see the queue.

  // Read under any one stripe's lock, written under all of them (LockAll).
  QueueState state_ = QueueState::kOpen;
  size_t taken_count_ = 0;  // Taken and not delivered, as producers see it.
  size_t blocked_producers_ = 0;  // Bounded: one stripe, so its lock.
  size_t delivered_ = 0;
  size_t dropped_ = 0;
  std::condition_variable_any room_;  // Room in the queue, or no longer open.

  std::atomic<size_t> handles_{1};  // The creating handle.
  // Stripes in use (bit s: stripe s), set once each under stripe 0's lock
  // (Activate); read by producers without a lock, by LockAll under stripe 0.
  std::atomic<uint32_t> active_{0};
  // A drain is scheduled: do not ring again. Set by whoever rings (under
  // a lock), cleared by the drain under all locks.
  alignas(64) std::atomic<bool> scheduled_{false};
  // Rings under way: counted under a lock by whoever took the ring
  // (TakeRingLocked), uncounted once its Ring() returned.
  std::atomic<int> ringing_{0};

  // Set under the locks by Abort() and EnvTeardown(); read by the owner
  // thread between deliveries without the lock, so an abort from inside a
  // callback stops the batch at once. The state under the locks stays
  // authoritative.
  std::atomic<bool> aborted_flag_{false};

  // The handoff slot (unbounded queues): a call pushed while no drain was
  // scheduled. Filled by the producer that takes the ring (under its
  // stripe's lock, scheduled_ set), emptied by the owner thread. On the
  // producers' ring line: that producer writes scheduled_ anyway.
  std::atomic<bool> handoff_full_{false};
  union {
    Item handoff_;  // Alive while handoff_full_.
  };

  // Owner thread only, on lines of their own: a drain writes batch_'s end
  // for every item it takes, and on the line of scheduled_, which every
  // push reads, that made the line move between the cores once per item
  // (in wasm in Node, with 1 producer, the load after it took 37% of the
  // drain's samples; bench/NOTES.md).
  alignas(64) bool draining_ = false;
  bool reentered_ = false;
  size_t first_stripe_ = 0;  // Which stripe goes first in the next batch.
  std::vector<Item> batch_;  // Being delivered (see DrainBatch).
  std::vector<Run> runs_;    // Where batch_'s items came from.
  bool drop_taken_ = false;  // Dropped items await DestroyDropped.
  bool drop_handoff_ = false;  // ... and the slot's call among them.
  bool owner_pushed_ = false;  // The owner thread pushed (see DrainBatch).
};

}  // namespace anythread

#endif  // ANYTHREAD_CALL_QUEUE_HPP_
