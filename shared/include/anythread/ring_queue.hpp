// RingQueue<T>: a FIFO in one growable circular buffer.
//
// Why not std::deque: a deque allocates and frees a block every few dozen
// items, so a steady stream of calls costs heap traffic on the producer path.
// A ring only allocates when it grows past its high-water mark; in steady
// state (and always for a bounded queue, which starts at its bound) push and
// pop never touch the heap. Not thread-safe: CallQueue guards it.
#ifndef ANYTHREAD_RING_QUEUE_HPP_
#define ANYTHREAD_RING_QUEUE_HPP_

#include <cassert>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace anythread {

template <typename T>
class RingQueue {
 public:
  explicit RingQueue(size_t initial_capacity = 16) { Grow(initial_capacity); }
  ~RingQueue() {
    clear();
    ::operator delete(slots_, std::align_val_t(alignof(T)));
  }
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }

  void push_back(T&& value) {
    if (size_ == capacity_) Grow(capacity_ * 2);
    new (&slots_[(head_ + size_) & (capacity_ - 1)]) T(std::move(value));
    ++size_;
  }
  // Puts `value` ahead of every queued item.
  void push_front(T&& value) {
    if (size_ == capacity_) Grow(capacity_ * 2);
    head_ = (head_ + capacity_ - 1) & (capacity_ - 1);
    new (&slots_[head_]) T(std::move(value));
    ++size_;
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
  void clear() {
    while (size_ > 0) pop_front();
  }
  // Moves every item, in order, to `out` (which must have push_back).
  template <typename Container>
  void MoveAllTo(Container* out) {
    while (size_ > 0) {
      out->push_back(std::move(front()));
      pop_front();
    }
  }

 private:
  void Grow(size_t wanted) {
    size_t capacity = 1;
    while (capacity < wanted) capacity <<= 1;  // Power of two: masks wrap.
    T* slots = static_cast<T*>(
        ::operator new(capacity * sizeof(T), std::align_val_t(alignof(T))));
    for (size_t i = 0; i < size_; ++i) {
      T& from = slots_[(head_ + i) & (capacity_ - 1)];
      new (&slots[i]) T(std::move(from));
      from.~T();
    }
    if (slots_) ::operator delete(slots_, std::align_val_t(alignof(T)));
    slots_ = slots;
    capacity_ = capacity;
    head_ = 0;
  }

  T* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace anythread

#endif  // ANYTHREAD_RING_QUEUE_HPP_
