// Feature flags computed in one place. The core never includes napi.h or
// emscripten.h; it only asks which toolchain compiles it.
#ifndef ANYTHREAD_CONFIG_HPP_
#define ANYTHREAD_CONFIG_HPP_

#include <cstddef>

#if defined(__EMSCRIPTEN__)
#define ANYTHREAD_WASM 1
#if !defined(__EMSCRIPTEN_PTHREADS__)
#error "anythread's wasm backend needs pthreads: compile and link with -pthread"
#endif
#else
#define ANYTHREAD_WASM 0
#endif

// A slow path kept out of line, so the fast path it branches from stays
// small enough to be inlined where it is hot.
#if defined(__GNUC__) || defined(__clang__)
#define ANYTHREAD_COLD __attribute__((noinline, cold))
#elif defined(_MSC_VER)
#define ANYTHREAD_COLD __declspec(noinline)
#else
#define ANYTHREAD_COLD
#endif

// A step on the path of an idle call (one that finds its queue empty: on
// the producer, the push and the ring; on the JS thread, the drain up to
// the callback), inlined into the function above it, so that the path is
// a few functions in a row rather than a chain of calls across the text.
// After an idle spell on our VMs each cold cache line and page of code it
// touches costs, and the path as a chain touched many (bench/NOTES.md).
#if defined(__GNUC__) || defined(__clang__)
#define ANYTHREAD_ALWAYS_INLINE __attribute__((always_inline))
#else  // (MSVC's __forceinline has no place on a lambda.)
#define ANYTHREAD_ALWAYS_INLINE
#endif

// A branch an idle call takes: its path laid out first, falling through.
#if defined(__GNUC__) || defined(__clang__)
#define ANYTHREAD_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define ANYTHREAD_LIKELY(x) (x)
#endif

namespace anythread {

// How many threads RunOnThreads keeps alive at once. Each Emscripten pthread
// is a Web Worker (a whole JS engine instance, ~10 MB, created on demand), so
// the wasm build reuses a few; native threads are cheap, so all start at once.
#if ANYTHREAD_WASM
constexpr size_t kMaxLiveThreads = 8;
#else
constexpr size_t kMaxLiveThreads = 1024;
#endif

}  // namespace anythread

#endif  // ANYTHREAD_CONFIG_HPP_
