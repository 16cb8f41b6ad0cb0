// The core tests' allocation hooks (see allocation_hooks.hpp), on the test
// binary's replaced operator new (replaced_operator_new.hpp).
#include "allocation_hooks.hpp"

#include "replaced_operator_new.hpp"

thread_local bool counting_allocations = false;
thread_local size_t allocations_counted = 0;
thread_local size_t fail_allocations_above = static_cast<size_t>(-1);

void* ReplacedAllocate(size_t size, size_t align) noexcept {
  if (counting_allocations) ++allocations_counted;
  if (size > fail_allocations_above) return nullptr;
  return AllocateAligned(size, align);
}
