// RingQueue<T>: a FIFO in growable circular buffers.
//
// Why not std::deque: a deque allocates and frees a block every few dozen
// items, so a steady stream of calls costs heap traffic on the producer path.
// A ring only allocates when it grows past its high-water mark; in steady
// state (and always for a bounded queue, which starts at its bound) push and
// pop never touch the heap. Not thread-safe: CallQueue guards it.
//
// Growth copies only while the ring is small. A ring grows by moving its
// items into storage twice or four times as large until it holds 4 MiB;
// past that, a full ring is not moved at all: it joins a chain of older
// segments and pushes go on into a new segment of the same size. Growth
// happens inside a producer's push, under its stripe's lock, and the JS
// thread's drain waits for that lock: moving a large backlog blocked the JS
// thread for the whole copy. Measured on our VMs with bench/ring_growth.cpp
// (16-byte items, each run a new process, so the new storage's pages fault
// in as the copy touches them), the longest push took 1.9-24 ms at four
// million queued calls and 7.4-131 ms at sixteen million; with segments,
// 0.8-4.4 ms at either: no push costs more than one new segment's first
// page fault (bench/NOTES.md). Segments emptied by pops are
// kept as spares, as a ring keeps its storage: the next segment a push
// needs, or a push_front, takes one, with no allocation.
//
// Growing can fail (out of memory, or a size that does not fit size_t:
// wasm32 has 2 GB). Then push_back returns false and the queue is unchanged:
// built without exceptions, operator new would return null, and writing
// through it corrupts memory silently (in wasm, low addresses hold the
// function table's data).
#ifndef ANYTHREAD_RING_QUEUE_HPP_
#define ANYTHREAD_RING_QUEUE_HPP_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <utility>

#include "anythread/config.hpp"
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace anythread {

template <typename T>
class RingQueue {
 public:
  // Capacity 0 allocates nothing (a ring to swap contents into: that
  // cannot fail for lack of memory); it grows on the first push_back.
  explicit RingQueue(size_t initial_capacity = 16) {
    if (initial_capacity > 0 && !Grow(initial_capacity)) Grow(1);
  }
  ~RingQueue() {
    clear();
    Free(slots_, capacity_);
    if (Chain* chain = this->chain()) {
      for (Segment* s = chain->spares; s != nullptr;) {
        Segment* next = s->next;
        Free(s->slots, s->capacity);
        delete s;
        s = next;
      }
      delete chain;
    }
  }
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;

  size_t size() const { return size_ + (queued_older() ? chain()->size : 0); }
  bool empty() const { return size() == 0; }
  // The capacity of the segment pushes go into.
  size_t capacity() const { return capacity_; }
  // How many older segments hold items (0 until a ring of 4 MiB fills).
  size_t older_segments() const {
    size_t n = 0;
    for (const Segment* s = queued_older() ? chain()->first : nullptr; s != nullptr; s = s->next) ++n;
    return n;
  }

  // Makes room for one more item, growing as push_back would; false when
  // it cannot grow (the ring unchanged). The push_back right after it then
  // cannot fail: a caller can know a push will succeed before making the
  // item (CallQueue::PushMany makes only the items it queues).
  [[nodiscard]] bool make_room() { return size_ < capacity_ || GrowForPush(); }

  // Returns false, leaving `value` with the caller, when the ring is full
  // and cannot grow.
  [[nodiscard]] bool push_back(T&& value) {
    if (size_ == capacity_ && !GrowForPush()) return false;
    new (&slots_[(head_ + size_) & (capacity_ - 1)]) T(std::move(value));
    ++size_;
    return true;
  }
  // O(1): exchanges contents and storage with `other`.
  void swap(RingQueue& other) noexcept {
    std::swap(slots_, other.slots_);
    std::swap(capacity_, other.capacity_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
    std::swap(chain_bits_, other.chain_bits_);
  }
  T& front() {
    assert(!empty());
    if (queued_older()) return ChainFront();
    return slots_[head_];
  }
  void pop_front() {
    assert(!empty());
    if (queued_older()) return ChainPopFront();
    slots_[head_].~T();
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  // Puts `value` ahead of every queued item. Only for items just taken from
  // this ring: each left a free slot behind, in a segment still queued or
  // now a spare (a ring never shrinks), so this never allocates.
  void push_front(T&& value) {
    Segment* s = queued_older() ? chain()->first : nullptr;
    if (s == nullptr && size_ < capacity_) {
      head_ = (head_ + capacity_ - 1) & (capacity_ - 1);
      new (&slots_[head_]) T(std::move(value));
      ++size_;
      return;
    }
    if (s == nullptr || s->size == s->capacity) {  // A spare goes first.
      Chain* chain = this->chain();
      assert(chain != nullptr && chain->spares != nullptr);
      Segment* spare = chain->spares;
      chain->spares = spare->next;
      spare->next = chain->first;
      chain->first = spare;
      if (chain->last == nullptr) chain->last = spare;
      chain_bits_ |= kQueuedOlder;
      s = spare;
    }
    s->head = (s->head + s->capacity - 1) & (s->capacity - 1);
    new (&s->slots[s->head]) T(std::move(value));
    ++s->size;
    ++chain()->size;
  }
  void clear() {
    while (!empty()) pop_front();
  }

 private:
  struct Segment;
  // front() and pop_front() when older segments hold items: theirs go first.
  ANYTHREAD_COLD T& ChainFront() {
    Segment* s = chain()->first;
    return s->slots[s->head];
  }
  ANYTHREAD_COLD void ChainPopFront() {
    Segment* s = chain()->first;
    s->slots[s->head].~T();
    s->head = (s->head + 1) & (s->capacity - 1);
    --s->size;
    --chain()->size;
    if (s->size == 0) Retire(s);
  }
  // The oldest segment, just emptied: a spare from now on.
  void Retire(Segment* s) {
    Chain* chain = this->chain();
    chain->first = s->next;
    if (chain->first == nullptr) {
      chain->last = nullptr;
      chain_bits_ &= ~kQueuedOlder;
    }
    s->head = 0;
    s->next = chain->spares;
    chain->spares = s;
  }

  // Every growth moves every item. Large rings grow 4x rather than 2x, which
  // moves a third as many items on the way to a given size: a queue that a
  // flood of calls grows to a million items spent about 7% of the wasm
  // benchmark's CPU time moving them at 2x. If 4x cannot be had, 2x. A ring
  // of kSegmentBytes or more is chained instead (see the top of this file).
  ANYTHREAD_COLD bool GrowForPush() {
    if (capacity_ == 0) return Grow(1);
    if (capacity_ * sizeof(T) >= kSegmentBytes) return ChainForPush();
    if (capacity_ >= kGrow4xFrom &&
        capacity_ <= std::numeric_limits<size_t>::max() / 4 &&
        Grow(capacity_ * 4)) {
      return true;
    }
    return capacity_ <= std::numeric_limits<size_t>::max() / 2 &&
           Grow(capacity_ * 2);
  }
  static constexpr size_t kSegmentBytes = size_t{4} << 20;

  // The full ring joins the chain, unmoved, as its newest segment; pushes
  // go on into a spare's storage, or new storage of the same capacity.
  bool ChainForPush() {
    Chain* chain = this->chain();
    if (chain == nullptr) {
      chain = new (std::nothrow) Chain;
      if (chain == nullptr) return false;
      chain_bits_ = reinterpret_cast<uintptr_t>(chain);
    }
    Segment* s = chain->spares;
    if (s != nullptr) {
      chain->spares = s->next;
    } else {
      s = new (std::nothrow) Segment;
      if (s == nullptr) return false;
      s->slots = Allocate(capacity_);
      if (s->slots == nullptr) {
        delete s;
        return false;
      }
      s->capacity = capacity_;
    }
    std::swap(s->slots, slots_);
    std::swap(s->capacity, capacity_);
    s->head = head_;
    s->size = size_;
    s->next = nullptr;
    head_ = 0;
    size_ = 0;
    if (chain->last != nullptr) {
      chain->last->next = s;
    } else {
      chain->first = s;
    }
    chain->last = s;
    chain->size += s->size;
    chain_bits_ |= kQueuedOlder;
    return true;
  }
  static constexpr size_t kGrow4xFrom = 4096;

  bool Grow(size_t wanted) {
    constexpr size_t kMaxCapacity =
        (std::numeric_limits<size_t>::max() / 2) / (sizeof(T) > 0 ? sizeof(T) : 1);
    if (wanted == 0 || wanted > kMaxCapacity) return false;
    size_t capacity = 1;
    while (capacity < wanted) capacity <<= 1;  // Power of two: masks wrap.
    T* slots = Allocate(capacity);
    if (slots == nullptr) return false;
    for (size_t i = 0; i < size_; ++i) {
      T& from = slots_[(head_ + i) & (capacity_ - 1)];
      new (&slots[i]) T(std::move(from));
      from.~T();
    }
    if (slots_) Free(slots_, capacity_);
    slots_ = slots;
    capacity_ = capacity;
    head_ = 0;
    return true;
  }

  // Storage. A large ring (4 MiB and up: a backlog of some 250,000 calls
  // natively) is asked to live on huge pages where Linux offers them on
  // request (transparent huge pages in "madvise" mode, the usual default):
  // it is on a 2 MiB boundary, marked with MADV_HUGEPAGE. Only a flood grows
  // a ring that large, and its pages are new: with 4 KiB pages each costs a
  // fault. On one of our VMs a fault cost 11-15 us, and a flood of 1,000,000
  // calls into a new function spent a third or more of its time in them;
  // with huge pages it faulted about a sixth as often and ran nearly twice
  // as fast (bench/NOTES.md). Elsewhere (wasm, other systems) nothing
  // changes.
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  static constexpr size_t kHugePage = size_t{2} << 20;
#else
  static constexpr size_t kHugePage = 0;
#endif
  static bool Huge(size_t capacity) {
    return kHugePage != 0 && capacity * sizeof(T) >= 2 * kHugePage;
  }
  static std::align_val_t Alignment(size_t capacity) {
    return std::align_val_t(Huge(capacity) ? kHugePage : alignof(T));
  }
  static T* Allocate(size_t capacity) {
    const size_t bytes = capacity * sizeof(T);
    T* slots = static_cast<T*>(
        ::operator new(bytes, Alignment(capacity), std::nothrow));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    // Advice only: where it is refused, the ring works on small pages.
    if (slots != nullptr && Huge(capacity)) {
      (void)madvise(slots, bytes & ~(kHugePage - 1), MADV_HUGEPAGE);
    }
#endif
    return slots;
  }
  static void Free(T* slots, size_t capacity) {
    if (slots) ::operator delete(slots, Alignment(capacity));
  }

  // A ring segment out of the way of pushes: queued (older than every item
  // in slots_) or a spare (empty).
  struct Segment {
    T* slots = nullptr;
    size_t capacity = 0;
    size_t head = 0;
    size_t size = 0;
    Segment* next = nullptr;
  };
  struct Chain {
    Segment* first = nullptr;  // The oldest items; every queued segment
    Segment* last = nullptr;   // holds at least one.
    size_t size = 0;           // Items in queued segments.
    Segment* spares = nullptr;
  };

  // The segment pushes go into: the newest items.
  T* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
  // The chain (only once a ring of kSegmentBytes has filled), its address
  // tagged with kQueuedOlder while older segments hold items: front() and
  // pop_front() test one word they have at hand.
  uintptr_t chain_bits_ = 0;
  static constexpr uintptr_t kQueuedOlder = 1;
  Chain* chain() const { return reinterpret_cast<Chain*>(chain_bits_ & ~kQueuedOlder); }
  bool queued_older() const { return (chain_bits_ & kQueuedOlder) != 0; }
};

}  // namespace anythread

#endif  // ANYTHREAD_RING_QUEUE_HPP_
