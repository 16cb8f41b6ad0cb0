// Heap allocations made on a thread while it counts (AllocationCounter), so
// a test can show a path allocates nothing; and allocations that fail on
// purpose above a size (fail_allocations_above), to test what a ring does
// when it cannot grow as it would like. allocation_hooks.cpp replaces every
// form of operator new for the whole test binary.
#ifndef ANYTHREAD_TESTS_ALLOCATION_HOOKS_HPP_
#define ANYTHREAD_TESTS_ALLOCATION_HOOKS_HPP_

#include <cstddef>

extern thread_local bool counting_allocations;
extern thread_local size_t allocations_counted;
// Allocations above this size fail on this thread (nullptr from the nothrow
// forms; the throwing forms abort, as the build has no exceptions).
extern thread_local size_t fail_allocations_above;

// Counts the heap allocations this thread makes while it lives.
class AllocationCounter {
 public:
  AllocationCounter() {
    allocations_counted = 0;
    counting_allocations = true;
  }
  ~AllocationCounter() { counting_allocations = false; }
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;
  size_t count() const { return allocations_counted; }
};

#endif  // ANYTHREAD_TESTS_ALLOCATION_HOOKS_HPP_
