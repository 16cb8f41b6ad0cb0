// SmallBuffer: room for n values, inline for up to N of them and on the heap
// beyond. The backends' CallFunction puts a JS call's raw argument handles in
// one: the delivery path allocates nothing for the usual few arguments.
#ifndef ANYTHREAD_SMALL_BUFFER_HPP_
#define ANYTHREAD_SMALL_BUFFER_HPP_

#include <cstddef>
#include <vector>

namespace anythread {

template <typename T, size_t N>
class SmallBuffer {
 public:
  explicit SmallBuffer(size_t n) {
    if (n > N) {
      heap_.resize(n);
      data_ = heap_.data();
    }
  }
  SmallBuffer(const SmallBuffer&) = delete;
  SmallBuffer& operator=(const SmallBuffer&) = delete;

  T* data() { return data_; }

 private:
  T inline_[N];
  std::vector<T> heap_;
  T* data_ = inline_;
};

}  // namespace anythread

#endif  // ANYTHREAD_SMALL_BUFFER_HPP_
