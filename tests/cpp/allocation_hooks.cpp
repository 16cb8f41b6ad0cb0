// The test binary's operator new and delete (see allocation_hooks.hpp).
// Every form of operator new is replaced (the ring uses the aligned nothrow
// one); sanitizers still see the malloc / aligned_alloc / free underneath.
#include "allocation_hooks.hpp"

#include <cstdlib>
#include <new>

thread_local bool counting_allocations = false;
thread_local size_t allocations_counted = 0;
thread_local size_t fail_allocations_above = static_cast<size_t>(-1);

namespace {
void* Allocate(size_t n, size_t align) {
  if (counting_allocations) ++allocations_counted;
  if (n > fail_allocations_above) return nullptr;
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(n);
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}
void* AllocateOrDie(size_t n, size_t align) {
  void* p = Allocate(n, align);
  if (p == nullptr) std::abort();  // Built without exceptions: no bad_alloc.
  return p;
}
}  // namespace
void* operator new(size_t n) { return AllocateOrDie(n, 0); }
void* operator new[](size_t n) { return AllocateOrDie(n, 0); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return Allocate(n, 0); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return Allocate(n, 0); }
void* operator new(size_t n, std::align_val_t a) { return AllocateOrDie(n, static_cast<size_t>(a)); }
void* operator new[](size_t n, std::align_val_t a) { return AllocateOrDie(n, static_cast<size_t>(a)); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return Allocate(n, static_cast<size_t>(a));
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return Allocate(n, static_cast<size_t>(a));
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
