// ClockPacer: a loop under a time budget reads the clock after its first
// step, then at its steps' own pace. Fast steps read it once per kMaxPace;
// slow ones overrun the deadline by about a step.
#include "anythread/clock_pacer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace anythread {
namespace {

using Clock = ClockPacer::Clock;
using namespace std::chrono_literals;

// Runs steps (each `step()`) until the pacer says the deadline has passed
// or `limit` steps are done; returns {steps, clock reads}.
template <typename Step>
std::pair<size_t, size_t> RunSteps(ClockPacer& pacer, size_t limit, Step step) {
  size_t done = 0, reads = 0;
  while (done < limit) {
    step();
    ++done;
    if (pacer.Due(done)) {
      ++reads;
      if (pacer.Expired(done)) break;
    }
  }
  return {done, reads};
}

TEST(ClockPacer, FastStepsReadTheClockOncePerMaxPace) {
  const auto start = Clock::now();
  ClockPacer pacer(start, start + 1h);  // Never out of time here.
  volatile size_t sink = 0;
  const auto [done, reads] = RunSteps(pacer, 3200, [&] { sink = sink + 1; });
  EXPECT_EQ(done, 3200u);
  // After the first step, then every 32: 1, 33, 65, ..., 3169.
  EXPECT_EQ(reads, 3200u / ClockPacer::kMaxPace);
}

TEST(ClockPacer, SlowStepsStopAboutAStepPastTheDeadline) {
  const auto start = Clock::now();
  ClockPacer pacer(start, start + 8ms);
  const auto [done, reads] = RunSteps(pacer, 1000, [] { std::this_thread::sleep_for(1ms); });
  // Each step takes at least 1 ms: past 8 ms after at most 9 steps, and
  // the pacer reads often enough near the deadline to see it then (every
  // 32 steps, as the loops once read, would have made 32).
  EXPECT_LE(done, 9u);
  EXPECT_GE(reads, 2u);
  EXPECT_GT(pacer.now(), start + 8ms);
}

TEST(ClockPacer, StepsThatSlowDownAreSeenWithinKMaxPace) {
  const auto start = Clock::now();
  ClockPacer pacer(start, start + 20ms);
  size_t k = 0;
  volatile size_t sink = 0;
  // 100 fast steps, then 2 ms each: the pace set by the fast steps holds
  // for at most kMaxPace steps.
  const auto [done, reads] = RunSteps(pacer, 1000, [&] {
    if (++k > 100) std::this_thread::sleep_for(2ms);
    else sink = sink + 1;
  });
  EXPECT_LE(done, 100u + ClockPacer::kMaxPace + 10u);
  EXPECT_LT(done, 1000u);
  EXPECT_GE(reads, 4u);
}

TEST(ClockPacer, ADeadlinePassedAlreadyStopsAtTheFirstRead) {
  const auto start = Clock::now();
  ClockPacer pacer(start - 1s, start - 1ms);
  EXPECT_FALSE(pacer.Due(0));
  EXPECT_TRUE(pacer.Due(1));
  EXPECT_TRUE(pacer.OutOfTime(1));
}

}  // namespace
}  // namespace anythread
