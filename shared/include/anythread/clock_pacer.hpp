// ClockPacer: when a loop under a time budget reads the clock.
//
// A drain stops once its callbacks (and the making of their values) have
// taken kMaxDrainTime, so that timers and rendering get their turn. Reading
// the clock after every step would cost fast loops much: on the numeric
// fast path a callback takes about as long as a clock read, and in wasm a
// read is a call into JS. Reading it every 32 steps, as the loops did until
// 2026-11-28, let slow steps run far past the budget: 32 callbacks of 1 ms
// each made a task of 32 ms, and a run of fewer than 32 had no read at all
// (tests/drain-yield.test.ts saw timers wait 64 ms).
//
// So the reads are paced by the steps' own speed: the first after the first
// step, each next one after half as many steps as the time left would hold
// at the pace seen since the last read, at least 1 and at most kMaxPace.
// Steps of a steady pace then overrun the deadline by about one step, and
// fast ones read the clock once per kMaxPace steps, as before. (A loop whose
// steps turn slow all at once can still overrun by up to kMaxPace of them:
// nothing tells it without a read.)
//
// The JS loops of both backends pace their reads the same way
// (kForEachSource natively, $anythreadPace in wasm/src/anythread_glue.js),
// as does the fake backend of the core tests.
#ifndef ANYTHREAD_CLOCK_PACER_HPP_
#define ANYTHREAD_CLOCK_PACER_HPP_

#include <chrono>
#include <cstddef>

namespace anythread {

class ClockPacer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxPace = 32;

  // A loop begun at `start` that must stop once `deadline` has passed.
  ClockPacer(Clock::time_point start, Clock::time_point deadline)
      : deadline_(deadline), last_(start), now_(start) {}

  // Whether to read the clock after `done` steps (the first read comes
  // after the first step).
  bool Due(size_t done) const { return done >= next_; }

  // Reads the clock after `done` steps: true once past the deadline,
  // otherwise false, having set when the next read comes.
  bool Expired(size_t done) {
    now_ = Clock::now();
    if (now_ > deadline_) return true;
    size_t k = kMaxPace;
    const Clock::duration took = now_ - last_;
    if (took.count() > 0 && done > last_done_) {
      // Half of what is left, at the pace since the last read.
      const double steps = static_cast<double>((deadline_ - now_).count()) /
                           static_cast<double>(took.count()) *
                           static_cast<double>(done - last_done_) / 2;
      k = steps < 1 ? 1 : steps >= kMaxPace ? kMaxPace : static_cast<size_t>(steps);
    }
    next_ = done + k;
    last_ = now_;
    last_done_ = done;
    return false;
  }

  // Due(done) && Expired(done): the check after a step.
  bool OutOfTime(size_t done) { return Due(done) && Expired(done); }

  // The time the last read gave (the start before any).
  Clock::time_point now() const { return now_; }

 private:
  Clock::time_point deadline_;
  Clock::time_point last_;  // The last read (the start before any).
  Clock::time_point now_;
  size_t last_done_ = 0;
  size_t next_ = 1;
};

}  // namespace anythread

#endif  // ANYTHREAD_CLOCK_PACER_HPP_
