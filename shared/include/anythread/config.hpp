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
