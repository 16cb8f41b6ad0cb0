// Randomized, seeded tests of CallQueue against a reference model.
//
// Single-threaded: 10,000 random sequences of operations (calls in both
// modes, blocks of calls (PushMany), handle copies and releases, abort,
// drain, teardown) made on the
// owner thread, where every status is determined, compared step by step
// with a simple model. Multi-threaded: random producers and an owner that
// drains and sometimes aborts (producers make single calls and blocks),
// checked for exactly-once delivery, FIFO per
// producer, accounting and a single finalization. A failure names its seed;
// ANYTHREAD_SEED=<n> replays just that seed, ANYTHREAD_SEQUENCES=<n> runs
// more (the soak mode).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "anythread/call_queue.hpp"

namespace anythread {
namespace {

struct CountingBell : Doorbell {
  int rings = 0;
  void Ring() override { ++rings; }
};

size_t EnvNumber(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

// Totals over a test's runs, for its summary line.
struct Tally {
  size_t trials = 0, calls = 0, delivered = 0, dropped = 0;
  void Add(size_t accepted, size_t d, size_t x) {
    ++trials;
    calls += accepted;
    delivered += d;
    dropped += x;
  }
};
Tally g_tally;

// One summary line per suite, like the vitest reliability suites: printed,
// and appended to ANYTHREAD_SUMMARY_FILE when set (scripts/test-cpp.sh shows
// it after ctest, which keeps passing tests' output to itself).
void ReportSummary(const char* suite) {
  char line[512];
  std::snprintf(line, sizeof line,
                "reliability [core%s] %s: trials %zu, calls %zu, delivered %zu, "
                "dropped %zu, failures %d\n",
                std::getenv("ANYTHREAD_VARIANT") ? (std::string(" ") + std::getenv("ANYTHREAD_VARIANT")).c_str() : "",
                suite, g_tally.trials, g_tally.calls, g_tally.delivered,
                g_tally.dropped, ::testing::Test::HasFailure() ? 1 : 0);
  std::fputs(line, stdout);
  if (const char* file = std::getenv("ANYTHREAD_SUMMARY_FILE")) {
    if (FILE* f = std::fopen(file, "a")) {
      std::fputs(line, f);
      std::fclose(f);
    }
  }
  g_tally = Tally{};
}

struct Model {
  size_t max = 0;
  std::deque<int> queue;
  QueueState state = QueueState::kOpen;
  size_t handles = 1;
  int finalized = 0;

  Status Push(int v, CallMode mode) {
    if (state != QueueState::kOpen) return Status::kClosing;
    if (max != 0 && queue.size() >= max) {
      return mode == CallMode::kNonBlocking ? Status::kQueueFull : Status::kWouldDeadlock;
    }
    queue.push_back(v);
    return Status::kOk;
  }
  // As many Push()es, stopping at the first refused.
  Status PushMany(int first, size_t n, CallMode mode, size_t* pushed) {
    *pushed = 0;
    if (state != QueueState::kOpen) return Status::kClosing;
    for (; *pushed < n; ++*pushed) {
      Status st = Push(first + static_cast<int>(*pushed), mode);
      if (st != Status::kOk) return st;
    }
    return Status::kOk;
  }
};

void RunSequence(uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay: ANYTHREAD_SEED=" +
               std::to_string(seed) + ")");
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  CountingBell bell;
  Model model;
  model.max = std::vector<size_t>{0, 1, 2, 5}[pick(4)];
  CallQueue<int> queue(model.max, &bell);
  std::vector<int> delivered;
  std::vector<int> expected_delivered;
  int finalized = 0;
  int next = 0;
  for (int step = 0; step < 40; ++step) {
    switch (pick(8)) {
      case 0:
      case 1: {  // A call, either mode.
        CallMode mode = pick(2) ? CallMode::kBlocking : CallMode::kNonBlocking;
        int v = next++;
        int item = v;
        ASSERT_EQ(queue.Push(item, mode), model.Push(v, mode)) << "step " << step;
        break;
      }
      case 7: {  // A block of 0 to 6 calls, either mode.
        CallMode mode = pick(2) ? CallMode::kBlocking : CallMode::kNonBlocking;
        const size_t n = static_cast<size_t>(pick(7));
        const int first = next;
        size_t pushed = 0, want_pushed = 0;
        size_t made = 0;
        Status st = queue.PushMany(
            n, [&](size_t i) { ++made; return first + static_cast<int>(i); }, mode, &pushed);
        ASSERT_EQ(st, model.PushMany(first, n, mode, &want_pushed)) << "step " << step;
        ASSERT_EQ(pushed, want_pushed) << "step " << step;
        ASSERT_EQ(made, pushed) << "step " << step;  // Nothing refused is made.
        next += static_cast<int>(pushed);
        break;
      }
      case 2: {  // A handle copy.
        Status want = model.state == QueueState::kOpen ? Status::kOk : Status::kClosing;
        ASSERT_EQ(queue.Acquire(), want);
        ++model.handles;
        break;
      }
      case 3: {  // A handle release.
        if (model.handles == 0) break;
        queue.Release();
        if (--model.handles == 0 && model.state == QueueState::kOpen) {
          model.state = QueueState::kClosing;
        }
        break;
      }
      case 4: {  // Abort (rarely).
        if (pick(4) != 0) break;
        Status want = (model.state == QueueState::kAborted ||
                       model.state == QueueState::kFinalized)
                          ? Status::kClosing
                          : Status::kOk;
        ASSERT_EQ(queue.Abort(), want);
        if (want == Status::kOk) model.state = QueueState::kAborted;
        break;
      }
      case 5: {  // A drain: up to kMaxDrainPerTick items, FIFO.
        const size_t before = delivered.size();
        const auto began = std::chrono::steady_clock::now();
        queue.Drain([&](int& v) { delivered.push_back(v); }, [&] { ++finalized; });
        const auto took = std::chrono::steady_clock::now() - began;
        if (model.state == QueueState::kAborted) {
          model.queue.clear();
          model.state = QueueState::kFinalized;
          ++model.finalized;
        } else if (model.state != QueueState::kFinalized) {
          // All of the queue (it is far below kMaxDrainPerTick), or fewer
          // only when the drain's time budget ran out: the thread stalled
          // for 8 ms (a sanitizer on a busy machine). The clock is read
          // after the first item, so at least one came.
          size_t got = delivered.size() - before;
          if (got < model.queue.size()) {
            ASSERT_GE(took, kMaxDrainTime) << "step " << step << ": a drain stopped early";
            ASSERT_GE(got, 1u) << "step " << step;
          }
          for (; got > 0 && !model.queue.empty(); --got) {
            expected_delivered.push_back(model.queue.front());
            model.queue.pop_front();
          }
          if (model.state == QueueState::kClosing && model.queue.empty()) {
            model.state = QueueState::kFinalized;
            ++model.finalized;
          }
        }
        break;
      }
      case 6: {  // Teardown (rarely).
        if (pick(8) != 0) break;
        bool ran = queue.EnvTeardown([&] { ++finalized; });
        ASSERT_EQ(ran, model.state != QueueState::kFinalized);
        if (ran) {
          model.queue.clear();
          model.state = QueueState::kFinalized;
          ++model.finalized;
        }
        break;
      }
    }
    ASSERT_EQ(queue.state(), model.state) << "step " << step;
    ASSERT_EQ(queue.size(), model.queue.size()) << "step " << step;
    ASSERT_EQ(delivered, expected_delivered) << "step " << step;
    ASSERT_EQ(finalized, model.finalized) << "step " << step;
    ASSERT_LE(finalized, 1);
    auto counts = queue.counts();
    ASSERT_EQ(counts.accepted, counts.delivered + counts.dropped + queue.size());
  }
  auto counts = queue.counts();
  g_tally.Add(counts.accepted, counts.delivered, counts.dropped);
}

TEST(RandomModel, SequencesMatchTheModel) {
  const size_t only = EnvNumber("ANYTHREAD_SEED", 0);
  const size_t n = only ? 1 : EnvNumber("ANYTHREAD_SEQUENCES", 10000);
  for (size_t i = 0; i < n && !::testing::Test::HasFatalFailure(); ++i) {
    RunSequence(only ? only : i + 1);
  }
  ReportSummary("random model, sequences");
}

// Producers with random modes and handle copies; the owner drains and, for
// some seeds, aborts at a random point. Invariants, not exact statuses.
void RunConcurrent(uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const size_t max = std::vector<size_t>{0, 1, 4, 64}[rng() % 4];
  const int producers = 2 + static_cast<int>(rng() % 3);
  const int each = 200 + static_cast<int>(rng() % 300);
  const bool abort = rng() % 2 == 0;
  const int abort_after = static_cast<int>(rng() % (producers * each));

  struct Bell : Doorbell {
    std::atomic<int> pending{0};
    void Ring() override { pending.fetch_add(1); }
  } bell;
  struct Item {
    int producer, seq;
  };
  CallQueue<Item> queue(max, &bell);
  for (int p = 1; p < producers; ++p) ASSERT_EQ(queue.Acquire(), Status::kOk);
  std::vector<std::atomic<int>> accepted(producers);
  std::atomic<int> bad_status{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p, seed_p = rng()] {
      std::mt19937_64 r(seed_p);
      bool closed = false;
      for (int s = 0; s < each; ++s) {
        Item item{p, s};
        CallMode mode = r() % 2 ? CallMode::kBlocking : CallMode::kNonBlocking;
        Status st;
        if (r() % 3 == 0) {  // A block of up to 8 calls, from s on.
          const int n = std::min(1 + static_cast<int>(r() % 8), each - s);
          int done = 0;
          for (;;) {
            size_t pushed = 0;
            const int first = s + done;
            st = queue.PushMany(
                static_cast<size_t>(n - done), [&](size_t i) { return Item{p, first + static_cast<int>(i)}; },
                mode, &pushed);
            done += static_cast<int>(pushed);
            if (closed && pushed > 0) ++bad_status;  // Ok after Closing: never.
            accepted[p] += static_cast<int>(pushed);
            if (st != Status::kQueueFull) break;
          }
          if (st == Status::kClosing) {
            closed = true;
          } else if (st != Status::kOk) {
            ++bad_status;
          }
          s += n - 1;  // The block's refused rest is skipped, as refused calls are.
          continue;
        }
        do {
          st = queue.Push(item, mode);
        } while (st == Status::kQueueFull);
        if (st == Status::kOk) {
          if (closed) ++bad_status;  // Ok after Closing: never.
          ++accepted[p];
        } else if (st == Status::kClosing) {
          closed = true;
        } else {
          ++bad_status;
        }
      }
      queue.Release();
    });
  }
  std::map<int, int> next_seq;
  int delivered = 0, finalized = 0, duplicates_or_gaps = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (finalized == 0 && std::chrono::steady_clock::now() < deadline) {
    if (bell.pending.load() == 0) {
      std::this_thread::yield();
      continue;
    }
    bell.pending.fetch_sub(1);
    queue.Drain(
        [&](Item& item) {
          // FIFO per producer: sequence numbers only grow (gaps are calls
          // refused with Closing; none can be skipped while open).
          if (item.seq < next_seq[item.producer]) ++duplicates_or_gaps;
          next_seq[item.producer] = item.seq + 1;
          if (++delivered == abort_after && abort) (void)queue.Abort();
        },
        [&] { ++finalized; });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(finalized, 1) << "lost wake-up or no finalization";
  ASSERT_EQ(bad_status.load(), 0);
  ASSERT_EQ(duplicates_or_gaps, 0);
  auto counts = queue.counts();
  size_t total_accepted = 0;
  for (auto& a : accepted) total_accepted += a.load();
  ASSERT_EQ(counts.accepted, total_accepted);
  ASSERT_EQ(counts.accepted, counts.delivered + counts.dropped);
  ASSERT_EQ(counts.delivered, static_cast<size_t>(delivered));
  if (!abort) {
    ASSERT_EQ(counts.dropped, 0u);
  }
  g_tally.Add(counts.accepted, counts.delivered, counts.dropped);
}

TEST(RandomModel, ConcurrentRunsKeepTheInvariants) {
  const size_t n = EnvNumber("ANYTHREAD_CONCURRENT_RUNS", 40);
  for (size_t i = 0; i < n && !::testing::Test::HasFatalFailure(); ++i) {
    RunConcurrent(1000 + i);
  }
  ReportSummary("random model, concurrent runs");
}

}  // namespace
}  // namespace anythread
