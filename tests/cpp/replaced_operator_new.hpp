// Every form of operator new and delete, replaced for the program (or
// module) that includes this, in exactly one of its files: the core tests'
// allocation hooks (allocation_hooks.cpp) and the benchmark's producer
// counter (bench/bench_module.cpp). Each allocation goes through
// `ReplacedAllocate(size, align)`, which the includer defines (to count
// allocations, or refuse some) and which returns null on failure; the
// nothrow forms return that null, the others abort (no exceptions here).
// Every form is needed: the queue's rings grow through the aligned nothrow
// one, and a native module's forms left out stay the C++ library's own.
// Memory comes from malloc or aligned_alloc (see AllocateAligned), so
// free() releases it and sanitizers still see it.
#ifndef ANYTHREAD_TESTS_REPLACED_OPERATOR_NEW_HPP_
#define ANYTHREAD_TESTS_REPLACED_OPERATOR_NEW_HPP_

#include <cstddef>
#include <cstdlib>
#include <new>

void* ReplacedAllocate(size_t size, size_t align) noexcept;  // The includer's.

// For ReplacedAllocate: `size` bytes (at least 1) aligned to `align` (0:
// the default alignment), or null.
inline void* AllocateAligned(size_t size, size_t align) noexcept {
  if (size == 0) size = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(size);
  return std::aligned_alloc(align, (size + align - 1) / align * align);
}

namespace replaced_new_detail {
inline void* AllocateOrDie(size_t size, size_t align) {
  void* p = ReplacedAllocate(size, align);
  if (p == nullptr) std::abort();  // Built without exceptions: no bad_alloc.
  return p;
}
}  // namespace replaced_new_detail

void* operator new(size_t n) { return replaced_new_detail::AllocateOrDie(n, 0); }
void* operator new[](size_t n) { return replaced_new_detail::AllocateOrDie(n, 0); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return ReplacedAllocate(n, 0); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return ReplacedAllocate(n, 0); }
void* operator new(size_t n, std::align_val_t a) {
  return replaced_new_detail::AllocateOrDie(n, static_cast<size_t>(a));
}
void* operator new[](size_t n, std::align_val_t a) {
  return replaced_new_detail::AllocateOrDie(n, static_cast<size_t>(a));
}
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return ReplacedAllocate(n, static_cast<size_t>(a));
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return ReplacedAllocate(n, static_cast<size_t>(a));
}
// GCC, inlining these into the standard library's allocators, pairs the
// free() with a non-replaced operator new and warns (-Wmismatched-new-delete).
// Every operator new above allocates with malloc or aligned_alloc, so free()
// is the match; the warning is silenced for these definitions only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif  // ANYTHREAD_TESTS_REPLACED_OPERATOR_NEW_HPP_
