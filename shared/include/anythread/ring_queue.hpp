// RingQueue<T>: a FIFO in one growable circular buffer.
//
// Why not std::deque: a deque allocates and frees a block every few dozen
// items, so a steady stream of calls costs heap traffic on the producer path.
// A ring only allocates when it grows past its high-water mark; in steady
// state (and always for a bounded queue, which starts at its bound) push and
// pop never touch the heap. Not thread-safe: CallQueue guards it.
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
#include <limits>
#include <memory>
#include <new>
#include <utility>
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
  }
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }

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
  }
  T& front() {
    assert(size_ > 0);
    return slots_[head_];
  }
  void pop_front() {
    assert(size_ > 0);
    slots_[head_].~T();
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  // Puts `value` ahead of every queued item. Only for items just taken from
  // this ring (so there is room): a ring never shrinks.
  void push_front(T&& value) {
    assert(size_ < capacity_);
    head_ = (head_ + capacity_ - 1) & (capacity_ - 1);
    new (&slots_[head_]) T(std::move(value));
    ++size_;
  }
  void clear() {
    while (size_ > 0) pop_front();
  }
 private:
  // Every growth moves every item. Large rings grow 4x rather than 2x, which
  // moves a third as many items on the way to a given size: a queue that a
  // flood of calls grows to a million items spent about 7% of the wasm
  // benchmark's CPU time moving them at 2x. If 4x cannot be had, 2x.
  bool GrowForPush() {
    if (capacity_ == 0) return Grow(1);
    if (capacity_ >= kGrow4xFrom &&
        capacity_ <= std::numeric_limits<size_t>::max() / 4 &&
        Grow(capacity_ * 4)) {
      return true;
    }
    return capacity_ <= std::numeric_limits<size_t>::max() / 2 &&
           Grow(capacity_ * 2);
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

  T* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace anythread

#endif  // ANYTHREAD_RING_QUEUE_HPP_
