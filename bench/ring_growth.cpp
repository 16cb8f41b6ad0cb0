// The longest single push into one growing RingQueue (what a producer holds
// its stripe's lock for, and so what the JS thread's drain may wait), and
// the whole fill's time: `ring_growth N` pushes N 16-byte items, as a flood
// of N calls of an 8-byte payload queues natively (a 4-byte payload's call
// took 16 bytes too until 2026-11-27; now 8: PackedCallItem). Run it in a new process each time: its
// pages are new, as a flood's are. By hand, not part of `npm run bench`:
//   g++ -O2 -std=c++17 -Ishared/include bench/ring_growth.cpp -o /tmp/ring_growth
//   for n in 1000000 4000000 16000000; do /tmp/ring_growth $n; done
// Results and what they showed: bench/NOTES.md (segments past 4 MiB).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "anythread/ring_queue.hpp"

namespace {
struct Item {  // A native queue item for an 8-byte payload: 16 bytes.
  uint64_t tag, payload;
};
}  // namespace

int main(int argc, char** argv) {
  const size_t total = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  anythread::RingQueue<Item> q(0);
  double worst = 0, all = 0;
  size_t worst_at = 0, over_1ms = 0;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  for (size_t n = 0; n < total; ++n) {
    const auto t0 = Clock::now();
    if (!q.push_back(Item{n, n})) {
      std::fprintf(stderr, "push %zu refused: out of memory\n", n);
      return 1;
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (ms > worst) {
      worst = ms;
      worst_at = n;
    }
    if (ms > 1) ++over_1ms;
  }
  all = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::printf("%zu pushes: %.1f ms in all, the longest %.2f ms (push %zu), %zu over 1 ms\n",
              total, all, worst, worst_at, over_1ms);
  return 0;
}
