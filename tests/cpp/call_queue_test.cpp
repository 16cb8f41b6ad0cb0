// The threadsafe-function state machine (CallQueue) without any JS engine:
// the test's main thread plays the JS (owner) thread, a fake doorbell records
// rings, and producers are std::threads. Runs normally and under TSan.
#include "anythread/call_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <sstream>
#include <limits>
#include <map>
#include <string>
#include <mutex>
#include <future>
#include <thread>
#include <vector>

#include "allocation_hooks.hpp"

namespace anythread {
namespace {

using namespace std::chrono_literals;

// Counts live instances, so a test can prove every payload was destroyed
// exactly once, whether delivered or dropped.
struct Tracked {
  static std::atomic<int> live;
  int producer = 0;
  int seq = 0;
  bool moved_from = false;
  Tracked(int p, int s) : producer(p), seq(s) { ++live; }
  Tracked(Tracked&& o) noexcept : producer(o.producer), seq(o.seq) {
    ++live;
  }
  Tracked& operator=(Tracked&& o) noexcept {
    producer = o.producer;
    seq = o.seq;
    return *this;
  }
  Tracked(const Tracked&) = delete;
  ~Tracked() { --live; }
};
std::atomic<int> Tracked::live{0};

// A doorbell the owner thread can wait on.
class FakeDoorbell : public Doorbell {
 public:
  void Ring() override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++rings_;
    ++pending_;
    cv_.notify_all();
  }
  // Owner thread: waits for a ring; false on timeout.
  bool WaitRing(std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return pending_ > 0; })) {
      return false;
    }
    --pending_;
    return true;
  }
  int rings() {
    std::lock_guard<std::mutex> lock(mutex_);
    return rings_;
  }
  int pending() {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int rings_ = 0;
  int pending_ = 0;
};

struct Fixture {
  FakeDoorbell bell;
  CallQueue<int> queue;
  std::vector<int> delivered;
  int finalized = 0;
  explicit Fixture(size_t max) : queue(max, &bell) {}
  void Drain() {
    queue.Drain([&](int& v) { delivered.push_back(v); },
                [&] { ++finalized; });
  }
  Status Push(int v, CallMode mode = CallMode::kNonBlocking) {
    return queue.Push(v, mode);
  }
};

TEST(CallQueue, UnboundedDeliversEverythingInOrder) {
  Fixture f(0);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
  ASSERT_TRUE(f.bell.WaitRing());
  f.Drain();
  std::vector<int> expected;
  for (int i = 0; i < 50; ++i) expected.push_back(i);
  EXPECT_EQ(f.delivered, expected);
  EXPECT_EQ(f.finalized, 0);
}

TEST(CallQueue, RingsOncePerScheduledDrain) {
  Fixture f(0);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
  EXPECT_EQ(f.bell.rings(), 1);  // Coalesced: one wake-up for ten calls.
  ASSERT_TRUE(f.bell.WaitRing());
  f.Drain();
  ASSERT_EQ(f.Push(10), Status::kOk);  // After a drain, the next push rings.
  EXPECT_EQ(f.bell.rings(), 2);
}

TEST(CallQueue, NonBlockingReturnsQueueFullAtCapacity) {
  Fixture f(3);
  EXPECT_EQ(f.Push(1), Status::kOk);
  EXPECT_EQ(f.Push(2), Status::kOk);
  EXPECT_EQ(f.Push(3), Status::kOk);
  EXPECT_EQ(f.Push(4), Status::kQueueFull);
  EXPECT_EQ(f.queue.size(), 3u);
  f.Drain();
  EXPECT_EQ(f.delivered, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(f.Push(4), Status::kOk);
}

TEST(CallQueue, BlockingOnOwnerThreadWouldDeadlockWhenFull) {
  Fixture f(1);
  EXPECT_EQ(f.Push(1, CallMode::kBlocking), Status::kOk);  // Room: fine.
  EXPECT_EQ(f.Push(2, CallMode::kBlocking), Status::kWouldDeadlock);
  EXPECT_EQ(f.queue.counts().accepted, 1u);
}

TEST(CallQueue, InvalidModeIsInvalidArgAndQueuesNothing) {
  Fixture f(0);
  EXPECT_EQ(f.Push(1, static_cast<CallMode>(7)), Status::kInvalidArg);
  EXPECT_EQ(f.queue.size(), 0u);
  EXPECT_EQ(f.bell.rings(), 0);
}

TEST(CallQueue, StatusNamesAreTheJsCodes) {
  EXPECT_STREQ(StatusName(Status::kOk), "Ok");
  EXPECT_STREQ(StatusName(Status::kQueueFull), "QueueFull");
  EXPECT_STREQ(StatusName(Status::kClosing), "Closing");
  EXPECT_STREQ(StatusName(Status::kInvalidArg), "InvalidArg");
  EXPECT_STREQ(StatusName(Status::kWouldDeadlock), "WouldDeadlock");
  EXPECT_STREQ(StatusName(Status::kGenericFailure), "GenericFailure");
}

TEST(CallQueue, LeavesRefusedItemWithCaller) {
  FakeDoorbell bell;
  CallQueue<Tracked> queue(1, &bell);
  Tracked a(0, 1), b(0, 2);
  ASSERT_EQ(queue.Push(a, CallMode::kNonBlocking), Status::kOk);
  ASSERT_EQ(queue.Push(b, CallMode::kNonBlocking), Status::kQueueFull);
  EXPECT_EQ(b.seq, 2);  // Not moved from: the caller still owns it.
}

TEST(CallQueue, BlockedProducerWakesOnRoom) {
  Fixture f(1);
  ASSERT_EQ(f.Push(1), Status::kOk);
  std::atomic<int> status{-1};
  std::thread producer([&] {
    int v = 2;
    status = static_cast<int>(f.queue.Push(v, CallMode::kBlocking));
  });
  while (f.queue.blocked_producers() == 0) std::this_thread::yield();
  EXPECT_EQ(status.load(), -1);  // Still waiting for room.
  f.Drain();                      // Makes room.
  producer.join();
  EXPECT_EQ(static_cast<Status>(status.load()), Status::kOk);
  f.Drain();
  EXPECT_EQ(f.delivered, (std::vector<int>{1, 2}));
}

TEST(CallQueue, BlockedProducerWakesOnAbortWithClosing) {
  Fixture f(1);
  ASSERT_EQ(f.Push(1), Status::kOk);
  std::atomic<int> status{-1};
  std::thread producer([&] {
    int v = 2;
    status = static_cast<int>(f.queue.Push(v, CallMode::kBlocking));
  });
  while (f.queue.blocked_producers() == 0) std::this_thread::yield();
  EXPECT_EQ(f.queue.Abort(), Status::kOk);
  producer.join();
  EXPECT_EQ(static_cast<Status>(status.load()), Status::kClosing);
}

// PushMany's make(i), counting the items it made.
struct Maker {
  int base = 0;
  std::vector<size_t> made;
  auto operator()() {
    return [this](size_t i) {
      made.push_back(i);
      return base + static_cast<int>(i);
    };
  }
};

// PushMany(n, ..., kBlocking) on a producer thread of its own; Join()
// returns its status, then `pushed` and `make.made` say what it queued.
struct BlockingPushMany {
  Maker make{0, {}};
  size_t pushed = 0;
  std::atomic<int> status{-1};
  std::thread producer;  // Last: it starts once the fields above exist.
  BlockingPushMany(CallQueue<int>& queue, size_t n)
      : producer([this, &queue, n] {
          status = static_cast<int>(queue.PushMany(n, make(), CallMode::kBlocking, &pushed));
        }) {}
  Status Join() {
    producer.join();
    return static_cast<Status>(status.load());
  }
};

TEST(CallQueue, PushManyQueuesABlockInOrderWithOneRing) {
  Fixture f(0);
  ASSERT_EQ(f.Push(-1), Status::kOk);  // The handed-over call goes first.
  Maker make{0, {}};
  size_t pushed = 99;
  ASSERT_EQ(f.queue.PushMany(100, make(), CallMode::kNonBlocking, &pushed), Status::kOk);
  EXPECT_EQ(pushed, 100u);
  EXPECT_EQ(make.made.size(), 100u);
  EXPECT_EQ(f.bell.rings(), 1);  // The drain the first call rang for takes them too.
  EXPECT_EQ(f.queue.counts().accepted, 101u);
  ASSERT_TRUE(f.bell.WaitRing());
  f.Drain();
  std::vector<int> expected{-1};
  for (int i = 0; i < 100; ++i) expected.push_back(i);
  EXPECT_EQ(f.delivered, expected);
  // An idle queue: the block rings once, and arrives whole.
  f.delivered.clear();
  Maker more{1000, {}};
  ASSERT_EQ(f.queue.PushMany(3, more(), CallMode::kBlocking, &pushed), Status::kOk);
  EXPECT_EQ(f.bell.rings(), 2);
  ASSERT_TRUE(f.bell.WaitRing());
  f.Drain();
  EXPECT_EQ(f.delivered, (std::vector<int>{1000, 1001, 1002}));
  EXPECT_EQ(f.bell.pending(), 0);
}

TEST(CallQueue, PushManyNonBlockingQueuesWhatFitsAndMakesNothingElse) {
  Fixture f(5);
  ASSERT_EQ(f.Push(-1), Status::kOk);
  Maker make{10, {}};
  size_t pushed = 0;
  EXPECT_EQ(f.queue.PushMany(10, make(), CallMode::kNonBlocking, &pushed),
            Status::kQueueFull);
  EXPECT_EQ(pushed, 4u);
  EXPECT_EQ(make.made, (std::vector<size_t>{0, 1, 2, 3}));  // Only what was queued.
  EXPECT_EQ(f.queue.size(), 5u);
  // Full: nothing fits, nothing is made.
  Maker none{0, {}};
  EXPECT_EQ(f.queue.PushMany(2, none(), CallMode::kNonBlocking, &pushed), Status::kQueueFull);
  EXPECT_EQ(pushed, 0u);
  EXPECT_TRUE(none.made.empty());
  ASSERT_TRUE(f.bell.WaitRing());
  f.Drain();
  EXPECT_EQ(f.delivered, (std::vector<int>{-1, 10, 11, 12, 13}));
}

TEST(CallQueue, PushManyBlockingWaitsForRoomAsOftenAsItNeeds) {
  Fixture f(3);
  BlockingPushMany p(f.queue, 20);
  // The producer rings before each wait for room: every drain it needs is
  // rung for (a lost wake-up fails WaitRing).
  while (f.delivered.size() < 20) {
    ASSERT_TRUE(f.bell.WaitRing()) << "lost wake-up after " << f.delivered.size();
    f.Drain();
    EXPECT_LE(f.delivered.size(), 20u);
  }
  EXPECT_EQ(p.Join(), Status::kOk);
  EXPECT_EQ(p.pushed, 20u);
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(i);
  EXPECT_EQ(f.delivered, expected);
  EXPECT_EQ(p.make.made.size(), 20u);
}

TEST(CallQueue, PushManyBlockingOnTheOwnerThreadQueuesWhatFitsThenWouldDeadlock) {
  Fixture f(3);
  Maker make{0, {}};
  size_t pushed = 0;
  EXPECT_EQ(f.queue.PushMany(5, make(), CallMode::kBlocking, &pushed), Status::kWouldDeadlock);
  EXPECT_EQ(pushed, 3u);
  EXPECT_EQ(make.made.size(), 3u);
  ASSERT_TRUE(f.bell.WaitRing());  // What it queued was rung for.
  f.Drain();
  EXPECT_EQ(f.delivered, (std::vector<int>{0, 1, 2}));
}

TEST(CallQueue, PushManyRefusesBadModesAndClosedQueuesWithoutMakingAnything) {
  Fixture f(0);
  Maker make{0, {}};
  size_t pushed = 7;
  EXPECT_EQ(f.queue.PushMany(3, make(), static_cast<CallMode>(7), &pushed), Status::kInvalidArg);
  EXPECT_EQ(pushed, 0u);
  // An empty block on an open queue: nothing to do, no ring.
  EXPECT_EQ(f.queue.PushMany(0, make(), CallMode::kNonBlocking, &pushed), Status::kOk);
  EXPECT_EQ(f.bell.rings(), 0);
  ASSERT_EQ(f.queue.Abort(), Status::kOk);
  EXPECT_EQ(f.queue.PushMany(3, make(), CallMode::kBlocking, &pushed), Status::kClosing);
  EXPECT_EQ(f.queue.PushMany(0, make(), CallMode::kBlocking, &pushed), Status::kClosing);
  EXPECT_EQ(pushed, 0u);
  EXPECT_TRUE(make.made.empty());
  EXPECT_EQ(f.queue.counts().accepted, 0u);
}

TEST(CallQueue, PushManyBlockedWakesOnAbortWithClosingAndWhatItQueuedIsDropped) {
  Fixture f(2);
  BlockingPushMany p(f.queue, 5);
  while (f.queue.blocked_producers() == 0) std::this_thread::yield();
  EXPECT_EQ(f.queue.Abort(), Status::kOk);
  EXPECT_EQ(p.Join(), Status::kClosing);
  EXPECT_EQ(p.pushed, 2u);
  EXPECT_EQ(p.make.made.size(), 2u);
  f.Drain();
  EXPECT_TRUE(f.delivered.empty());
  EXPECT_EQ(f.queue.counts().dropped, 2u);
  EXPECT_EQ(f.finalized, 1);
}

TEST(CallQueue, PushManyStopsWhereAnUnboundedQueueCannotGrow) {
  Fixture f(0);
  Maker make{0, {}};
  make.made.reserve(10000);  // Its own record must not need memory then.
  size_t pushed = 0;
  Status status;
  std::thread([&] {  // Only this thread's allocations fail.
    fail_allocations_above = 1024;  // A ring of 256 ints, no more.
    status = f.queue.PushMany(10000, make(), CallMode::kNonBlocking, &pushed);
    fail_allocations_above = static_cast<size_t>(-1);
  }).join();
  EXPECT_EQ(status, Status::kQueueFull);
  EXPECT_GT(pushed, 0u);
  EXPECT_LT(pushed, 10000u);
  EXPECT_EQ(make.made.size(), pushed);  // The refused one was never made.
  ASSERT_TRUE(f.bell.WaitRing());
  f.Drain();
  ASSERT_EQ(f.delivered.size(), pushed);
  for (size_t i = 0; i < pushed; ++i) EXPECT_EQ(f.delivered[i], static_cast<int>(i));
}

TEST(CallQueue, AbortDropsQueuedPayloadsAndFinalizesOnce) {
  Tracked::live = 0;
  {
    FakeDoorbell bell;
    CallQueue<Tracked> queue(0, &bell);
    int delivered = 0, finalized = 0;
    for (int i = 0; i < 5; ++i) {
      Tracked t(0, i);
      ASSERT_EQ(queue.Push(t, CallMode::kNonBlocking), Status::kOk);
    }
    EXPECT_EQ(Tracked::live.load(), 5);
    EXPECT_EQ(queue.Abort(), Status::kOk);
    EXPECT_EQ(queue.Abort(), Status::kClosing);  // Second abort: no effect.
    Tracked late(0, 99);
    EXPECT_EQ(queue.Push(late, CallMode::kNonBlocking), Status::kClosing);
    queue.Drain([&](Tracked&) { ++delivered; }, [&] { ++finalized; });
    EXPECT_EQ(delivered, 0);
    EXPECT_EQ(finalized, 1);
    EXPECT_EQ(Tracked::live.load(), 1);  // Only `late`, still the caller's.
    auto counts = queue.counts();
    EXPECT_EQ(counts.accepted, 5u);
    EXPECT_EQ(counts.dropped, 5u);
    queue.Drain([&](Tracked&) { ++delivered; }, [&] { ++finalized; });
    EXPECT_EQ(finalized, 1);  // Never twice.
    EXPECT_EQ(queue.state(), QueueState::kFinalized);
  }
  EXPECT_EQ(Tracked::live.load(), 0);
}

TEST(CallQueue, LastReleaseDeliversQueuedThenFinalizes) {
  Fixture f(0);
  ASSERT_EQ(f.queue.Acquire(), Status::kOk);  // Two handles.
  ASSERT_EQ(f.Push(1), Status::kOk);
  ASSERT_EQ(f.Push(2), Status::kOk);
  f.queue.Release();  // One left: still open.
  EXPECT_EQ(f.queue.state(), QueueState::kOpen);
  EXPECT_EQ(f.Push(3), Status::kOk);
  f.queue.Release();  // Last one: closing.
  EXPECT_EQ(f.queue.state(), QueueState::kClosing);
  EXPECT_EQ(f.Push(4), Status::kClosing);
  f.Drain();
  EXPECT_EQ(f.delivered, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(f.finalized, 1);
  EXPECT_EQ(f.queue.state(), QueueState::kFinalized);
  EXPECT_EQ(f.queue.Acquire(), Status::kClosing);
}

TEST(CallQueue, ReleaseOfLastHandleWithEmptyQueueRingsToFinalize) {
  Fixture f(0);
  f.queue.Release();
  ASSERT_TRUE(f.bell.WaitRing());
  f.Drain();
  EXPECT_EQ(f.finalized, 1);
}

TEST(CallQueue, DrainIsBoundedAndReschedules) {
  Fixture f(0);
  const int total = static_cast<int>(kMaxDrainPerTick) * 2 + 5;
  for (int i = 0; i < total; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
  ASSERT_TRUE(f.bell.WaitRing());
  // Each wake-up delivers at most kMaxDrainPerTick (fewer if kMaxDrainTime
  // runs out first, as under a sanitizer), then rings again for the rest.
  int wakeups = 0;
  size_t before = 0;
  for (;;) {
    f.Drain();
    ++wakeups;
    EXPECT_GT(f.delivered.size(), before);
    EXPECT_LE(f.delivered.size() - before, kMaxDrainPerTick);
    before = f.delivered.size();
    if (before == static_cast<size_t>(total)) break;
    ASSERT_TRUE(f.bell.WaitRing(0ms));  // Rang again for the rest.
  }
  EXPECT_GE(wakeups, 3);
  for (int i = 0; i < total; ++i) ASSERT_EQ(f.delivered[i], i);
  EXPECT_FALSE(f.bell.WaitRing(0ms));  // Nothing left: no ring.
}

// Slow deliveries end a wake-up at kMaxDrainTime, the clock read at their
// pace (ClockPacer): with 1 ms each, at most 9 after the handed-over call
// (read every 64, as until 2026-11-28, 64 ran), then it rings for the rest.
TEST(CallQueue, SlowDeliveriesEndADrainAtTheTimeBudget) {
  Fixture f(0);
  const int total = 40;
  std::thread([&] {
    for (int i = 0; i < total; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
  }).join();
  ASSERT_TRUE(f.bell.WaitRing());
  size_t before = 0;
  int wakeups = 0;
  for (;;) {
    f.queue.Drain(
        [&](int& v) {
          f.delivered.push_back(v);
          std::this_thread::sleep_for(1ms);
        },
        [] {});
    ++wakeups;
    EXPECT_GT(f.delivered.size(), before);
    EXPECT_LE(f.delivered.size() - before, 10u);
    before = f.delivered.size();
    if (before == static_cast<size_t>(total)) break;
    ASSERT_TRUE(f.bell.WaitRing(0ms));  // Rang again for the rest.
  }
  EXPECT_GE(wakeups, 4);
  for (int i = 0; i < total; ++i) ASSERT_EQ(f.delivered[i], i);
}

TEST(CallQueue, ABatchStoppedEarlyPutsTheRestBackAheadOfNewItems) {
  Fixture f(0);
  for (int i = 0; i < 6; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
  std::vector<int> seen;
  f.queue.DrainBatch(
      [&](int* items, size_t) {
        seen.push_back(items[0]);
        seen.push_back(items[1]);
        EXPECT_EQ(f.Push(100), Status::kOk);  // Arrives during the batch.
        return size_t{2};                      // Yield after two.
      },
      [] {});
  EXPECT_EQ(seen, (std::vector<int>{0, 1}));
  f.Drain();  // The older items first, on their own...
  EXPECT_EQ(f.delivered, (std::vector<int>{2, 3, 4, 5}));
  f.Drain();  // ...then what was queued meanwhile.
  EXPECT_EQ(f.delivered, (std::vector<int>{2, 3, 4, 5, 100}));
  auto counts = f.queue.counts();
  EXPECT_EQ(counts.delivered, 7u);
  EXPECT_EQ(counts.dropped, 0u);
}

// Growth that cannot be allocated, or whose size does not fit size_t, is
// refused: push_back returns false and leaves the ring as it was (built
// without exceptions, operator new would return null and the ring would
// write through it). Elements this large cannot exist, so the value handed
// to push_back is never read: it is refused before that.
template <typename Big>
void ExpectGrowthRefused() {
  RingQueue<Big> q(16);
  EXPECT_EQ(q.capacity(), 0u);
  alignas(Big) static unsigned char never_read[16];
  EXPECT_FALSE(q.push_back(std::move(*reinterpret_cast<Big*>(never_read))));
  EXPECT_EQ(q.size(), 0u);
  EXPECT_TRUE(q.empty());
}

TEST(RingQueue, RefusesGrowthItCannotAllocate) {
  struct Tebibyte {
    char bytes[size_t{1} << 40];  // No machine here has 1 TiB to give.
  };
  ExpectGrowthRefused<Tebibyte>();
}

TEST(RingQueue, RefusesGrowthWhoseSizeOverflows) {
  struct Eighth {
    char bytes[std::numeric_limits<size_t>::max() / 8];
  };
  ExpectGrowthRefused<Eighth>();
}

TEST(RingQueue, GrowsAcrossTheWrapAndKeepsOrder) {
  RingQueue<std::string> q(2);
  std::deque<std::string> model;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round % 7 + 1; ++i) {
      std::string v = std::to_string(round * 10 + i) + std::string(20, 'x');
      model.push_back(v);
      ASSERT_TRUE(q.push_back(std::move(v)));
    }
    for (int i = 0; i < round % 5 && !model.empty(); ++i) {
      ASSERT_EQ(q.front(), model.front());
      q.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(q.size(), model.size());
  }
  while (!model.empty()) {
    ASSERT_EQ(q.front(), model.front());
    q.pop_front();
    model.pop_front();
  }
  EXPECT_TRUE(q.empty());
}

// A large ring grows 4x (each growth moves every item: fewer growths move
// fewer), keeping its order across the wrap; when 4x cannot be allocated it
// still grows 2x; when neither can, the push is refused and nothing is lost.
TEST(RingQueue, LargeRingsGrowFourfoldThenTwofoldWhenMemoryIsShort) {
  RingQueue<int> q(4096);
  ASSERT_EQ(q.capacity(), 4096u);
  int next_in = 0, next_out = 0;
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.push_back(int{next_in++}));
  for (int i = 0; i < 1000; ++i) {  // The head moves: the next growth wraps.
    ASSERT_EQ(q.front(), next_out++);
    q.pop_front();
  }
  while (q.size() < q.capacity()) ASSERT_TRUE(q.push_back(int{next_in++}));
  ASSERT_TRUE(q.push_back(int{next_in++}));
  EXPECT_EQ(q.capacity(), 4u * 4096);
  while (q.size() < q.capacity()) ASSERT_TRUE(q.push_back(int{next_in++}));
  // 4x of 16384 ints is 256 KiB; 2x is 128 KiB: let only the latter succeed.
  fail_allocations_above = 200 * 1024;
  EXPECT_TRUE(q.push_back(int{next_in++}));
  EXPECT_EQ(q.capacity(), 2u * 4 * 4096);
  while (q.size() < q.capacity()) ASSERT_TRUE(q.push_back(int{next_in++}));
  fail_allocations_above = 64 * 1024;  // Now neither.
  int refused = -1;
  EXPECT_FALSE(q.push_back(std::move(refused)));
  fail_allocations_above = static_cast<size_t>(-1);
  EXPECT_EQ(q.size(), q.capacity());
  while (!q.empty()) {
    ASSERT_EQ(q.front(), next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

#if defined(__linux__) && defined(MADV_HUGEPAGE)
// The VmFlags of the mapping holding `address`, from /proc/self/smaps.
std::string VmFlagsOf(const void* address) {
  const auto at = reinterpret_cast<uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= at && at < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

// A ring of 4 MiB or more (only a flood grows one) asks for huge pages: on
// a 2 MiB boundary, marked MADV_HUGEPAGE ("hg" in its mapping's VmFlags),
// so its new pages cost a fault per 2 MiB where the system grants them,
// not one per 4 KiB. A smaller ring is left as it was. Order is kept
// across the growth into huge storage.
TEST(RingQueue, LargeRingsAskForHugePages) {
  if (!std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled")) {
    GTEST_SKIP() << "this kernel has no transparent huge pages: the advice is refused";
  }
  RingQueue<uint64_t> q(1024);
  uint64_t next_in = 0, next_out = 0;
  ASSERT_TRUE(q.push_back(uint64_t{next_in++}));
  EXPECT_EQ(VmFlagsOf(&q.front()).find(" hg"), std::string::npos)
      << VmFlagsOf(&q.front());
  // Half of it taken, so its first growth moves a wrapped ring; the last
  // takes it to 8 MiB.
  while (q.size() < q.capacity()) ASSERT_TRUE(q.push_back(uint64_t{next_in++}));
  for (int i = 0; i < 512; ++i) {
    ASSERT_EQ(q.front(), next_out++);
    q.pop_front();
  }
  while (q.capacity() * sizeof(uint64_t) < (size_t{4} << 20)) {
    ASSERT_TRUE(q.push_back(uint64_t{next_in++}));
  }
  const uint64_t* storage = &q.front();  // The head moved to slot 0.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(storage) % (size_t{2} << 20), 0u);
  EXPECT_NE(VmFlagsOf(storage).find(" hg"), std::string::npos) << VmFlagsOf(storage);
  while (!q.empty()) {
    ASSERT_EQ(q.front(), next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}
#endif

// Past 4 MiB a full ring is not moved: it joins a chain of older segments
// and pushes go on into a new segment, so no push copies the backlog (one
// did, under the stripe's lock that the JS thread's drain waits for: 44 ms
// at a million queued calls and 676 ms at sixteen million on our VMs).
// Order holds across the segments, and queued items stay where they were
// written.
struct Wide {  // 64 bytes: a 4 MiB segment holds 65,536.
  uint64_t v = 0;
  char pad[56] = {};
  Wide() = default;
  explicit Wide(uint64_t x) : v(x) {}
};
constexpr size_t kWidePerSegment = (size_t{4} << 20) / sizeof(Wide);

TEST(RingQueue, PastFourMebibytesSegmentsAreChainedNotMoved) {
  RingQueue<Wide> q(16);
  uint64_t next_in = 0, next_out = 0;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(q.push_back(Wide(next_in++)));
  for (int i = 0; i < 50; ++i) {  // The head moves: the ring wraps.
    ASSERT_EQ(q.front().v, next_out++);
    q.pop_front();
  }
  while (q.capacity() < kWidePerSegment || q.size() < q.capacity()) {
    ASSERT_TRUE(q.push_back(Wide(next_in++)));
  }
  ASSERT_EQ(q.capacity(), kWidePerSegment);  // Reached by moving items.
  ASSERT_EQ(q.older_segments(), 0u);
  const Wide* oldest = &q.front();
  // The ring is full: the next push chains it, and so on per segment.
  for (size_t i = 0; i < 2 * kWidePerSegment + 10; ++i) {
    ASSERT_TRUE(q.push_back(Wide(next_in++)));
  }
  EXPECT_EQ(q.older_segments(), 3u);
  EXPECT_EQ(q.capacity(), kWidePerSegment);
  EXPECT_EQ(q.size(), next_in - next_out);
  EXPECT_EQ(&q.front(), oldest);  // Never moved.
  while (!q.empty()) {
    ASSERT_EQ(q.front().v, next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_EQ(q.older_segments(), 0u);
}

// A drain takes a batch off the front, which may empty the oldest segment,
// and puts back what it did not deliver (push_front). The emptied segment
// is kept as a spare, so the put-back, and later pushes up to the size the
// queue had, allocate nothing: they succeed here with every allocation
// failing.
TEST(RingQueue, SegmentsEmptiedByPopsServePutBacksAndLaterPushes) {
  RingQueue<Wide> q(16);
  uint64_t next_in = 0, next_out = 0;
  const size_t total = 2 * kWidePerSegment + 100;
  for (size_t i = 0; i < total; ++i) ASSERT_TRUE(q.push_back(Wide(next_in++)));
  ASSERT_EQ(q.older_segments(), 2u);
  std::vector<Wide> batch;
  batch.reserve(kWidePerSegment + 50);
  fail_allocations_above = 0;
  // Across the first segment's end: it empties and becomes a spare.
  for (size_t i = 0; i < kWidePerSegment + 50; ++i) {
    batch.push_back(q.front());
    q.pop_front();
  }
  const size_t older_after_take = q.older_segments();
  // Put back in reverse (as CallQueue does), all but the first item.
  for (size_t i = batch.size(); i > 1; --i) q.push_front(std::move(batch[i - 1]));
  const size_t older_after_put_back = q.older_segments();
  fail_allocations_above = static_cast<size_t>(-1);
  EXPECT_EQ(older_after_take, 1u);
  EXPECT_EQ(older_after_put_back, 2u);
  ASSERT_EQ(q.size(), total - 1);
  EXPECT_EQ(batch[0].v, next_out++);
  while (!q.empty()) {
    ASSERT_EQ(q.front().v, next_out++);
    q.pop_front();
  }
  ASSERT_EQ(next_out, next_in);
  // Every segment is a spare now: a backlog as large again allocates nothing.
  fail_allocations_above = 0;
  bool all_pushed = true;
  for (size_t i = 0; i < total && all_pushed; ++i) all_pushed = q.push_back(Wide(next_in++));
  fail_allocations_above = static_cast<size_t>(-1);
  EXPECT_TRUE(all_pushed);
  while (!q.empty()) {
    ASSERT_EQ(q.front().v, next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

// A segment (or the chain's own record) that cannot be allocated refuses
// the push, and nothing queued is lost.
TEST(RingQueue, ASegmentItCannotAllocateRefusesThePush) {
  RingQueue<Wide> q(16);
  uint64_t next_in = 0, next_out = 0;
  while (q.capacity() < kWidePerSegment || q.size() < q.capacity()) {
    ASSERT_TRUE(q.push_back(Wide(next_in++)));
  }
  fail_allocations_above = 0;  // Not even the chain's record.
  Wide refused(12345);
  EXPECT_FALSE(q.push_back(std::move(refused)));
  fail_allocations_above = 1 << 20;  // The record, but no 4 MiB segment.
  EXPECT_FALSE(q.push_back(std::move(refused)));
  fail_allocations_above = static_cast<size_t>(-1);
  EXPECT_EQ(q.size(), kWidePerSegment);
  EXPECT_EQ(q.older_segments(), 0u);
  ASSERT_TRUE(q.push_back(Wide(next_in++)));
  EXPECT_EQ(q.older_segments(), 1u);
  while (!q.empty()) {
    ASSERT_EQ(q.front().v, next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

// Payloads in segments, queued or put back, are destroyed exactly once, by
// pops, clear(), a swap's new owner or the destructor.
TEST(RingQueue, ChainedPayloadsAreDestroyedOnce) {
  const int before = Tracked::live.load();
  {
    RingQueue<Tracked> a(16), b(0);
    // Fill the first segment (a ring of 4 MiB or more), then two more.
    int pushed = 0;
    while (a.older_segments() == 0) ASSERT_TRUE(a.push_back(Tracked(0, pushed++)));
    const int per_segment = static_cast<int>(a.capacity());
    ASSERT_EQ(pushed, per_segment + 1);
    while (pushed < 2 * per_segment + 7) ASSERT_TRUE(a.push_back(Tracked(0, pushed++)));
    ASSERT_EQ(a.older_segments(), 2u);
    a.swap(b);  // b owns the chain now.
    EXPECT_TRUE(a.empty());
    for (int i = 0; i < per_segment + 3; ++i) b.pop_front();
    EXPECT_EQ(b.front().seq, per_segment + 3);
    EXPECT_EQ(Tracked::live.load() - before, per_segment + 4);
    b.clear();
    EXPECT_EQ(Tracked::live.load(), before);
    for (int i = 0; i < per_segment + 1; ++i) ASSERT_TRUE(b.push_back(Tracked(1, i)));
  }  // b's destructor: the rest.
  EXPECT_EQ(Tracked::live.load(), before);
}

// A backlog past one segment (4 MiB of items: a million ints) drained in
// batches that each stop early: batches cross the segments' boundaries and
// put their rest back across them, and every call still arrives once, in
// order.
TEST(CallQueue, ABacklogAcrossSegmentsDrainsInOrderThroughEarlyStops) {
  Fixture f(0);
  const int total = (4 << 20) / static_cast<int>(sizeof(int)) * 3 / 2 + 100;
  for (int i = 0; i < total; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
  ASSERT_TRUE(f.bell.WaitRing());
  std::vector<int> got;
  got.reserve(total);
  for (;;) {
    f.queue.DrainBatch(
        [&](int* items, size_t n) {
          const size_t k = n / 3 + 1;  // Two thirds go back.
          got.insert(got.end(), items, items + k);
          return k;
        },
        [] {});
    if (got.size() == static_cast<size_t>(total)) break;
    ASSERT_TRUE(f.bell.WaitRing(0ms));  // Rang again for the rest.
  }
  bool in_order = true;
  for (int i = 0; i < total; ++i) in_order = in_order && got[i] == i;
  EXPECT_TRUE(in_order);
  EXPECT_EQ(f.queue.size(), 0u);
  EXPECT_FALSE(f.bell.WaitRing(0ms));
}

TEST(CallQueue, AbortFromInsideDeliveryDropsTheRestOfTheBatch) {
  Fixture f(0);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
  int finalized = 0;
  std::vector<int> seen;
  f.queue.Drain(
      [&](int& v) {
        seen.push_back(v);
        if (v == 3) {
          EXPECT_EQ(f.queue.Abort(), Status::kOk);
        }
      },
      [&] { ++finalized; });
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(finalized, 1);
  auto counts = f.queue.counts();
  EXPECT_EQ(counts.accepted, 10u);
  EXPECT_EQ(counts.delivered, 4u);
  EXPECT_EQ(counts.dropped, 6u);
}

TEST(CallQueue, ReentrantDrainIsDeferredNotLost) {
  Fixture f(0);
  ASSERT_EQ(f.Push(0), Status::kOk);  // Handed over (delivered on its own).
  ASSERT_EQ(f.Push(1), Status::kOk);  // Queued: delivered in the batch.
  ASSERT_TRUE(f.bell.WaitRing());
  std::vector<int> seen;
  auto deliver = [&](int& v) {
    seen.push_back(v);
    if (v == 1) {
      // A producer pushes while we deliver: no ring yet (the drain is still
      // the answer to the last one) ...
      ASSERT_EQ(f.Push(2), Status::kOk);
      ASSERT_FALSE(f.bell.WaitRing(0ms));
      // ... and a drain run re-entrantly, as Emscripten 3.1.6 can do inside
      // a lock, does nothing.
      f.queue.Drain([&](int& w) { seen.push_back(100 + w); }, [] {});
    }
  };
  f.queue.Drain(deliver, [] {});
  EXPECT_EQ(seen, (std::vector<int>{0, 1}));  // Neither 2 nor the re-entered drain.
  ASSERT_TRUE(f.bell.WaitRing(0ms));          // The outer drain rang for 2.
  f.queue.Drain(deliver, [] {});
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
  EXPECT_FALSE(f.bell.WaitRing(0ms));  // Nothing left: no ring.
}

// Producers never ring while a drain delivers; the drain rings once at its
// end for what they queued (its ring is the one a backend can make yield).
TEST(CallQueue, ProducersDoNotRingWhileADrainDelivers) {
  Fixture f(0);
  ASSERT_EQ(f.Push(-1), Status::kOk);  // Handed over, delivered first.
  ASSERT_EQ(f.Push(0), Status::kOk);
  ASSERT_TRUE(f.bell.WaitRing());
  std::vector<int> seen;
  f.queue.Drain(
      [&](int& v) {
        seen.push_back(v);
        if (v == 0) {
          std::thread([&] {
            for (int i = 1; i <= 100; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
          }).join();
          EXPECT_FALSE(f.bell.WaitRing(0ms));
        }
      },
      [] {});
  ASSERT_TRUE(f.bell.WaitRing(0ms));
  EXPECT_FALSE(f.bell.WaitRing(0ms));  // Exactly one.
  f.queue.Drain([&](int& v) { seen.push_back(v); }, [] {});
  ASSERT_EQ(seen.size(), 102u);
  for (int i = -1; i <= 100; ++i) EXPECT_EQ(seen[i + 1], i);
}

// The call that finds an unbounded queue idle (no drain scheduled) is
// handed over in a slot of its own. Handoff::kAlone delivers it before
// the drain takes any lock, as a batch of its own; kFirstInBatch puts it
// at the head of the one batch. Either way it counts as queued until then,
// and only the call that rings is handed over.
TEST(CallQueue, TheCallThatWakesAnIdleQueueIsHandedOverFirst) {
  for (Handoff mode : {Handoff::kAlone, Handoff::kFirstInBatch}) {
    SCOPED_TRACE(mode == Handoff::kAlone ? "alone" : "first in batch");
    Fixture f(0);
    std::vector<std::vector<int>> batches;
    auto drain = [&] {
      f.queue.DrainBatch(
          [&](int* items, size_t n) {
            batches.emplace_back(items, items + n);
            return n;
          },
          [] {}, mode);
    };
    for (int round = 0; round < 2; ++round) {  // Idle again after a drain.
      for (int i = 0; i < 5; ++i) ASSERT_EQ(f.Push(round * 10 + i), Status::kOk);
      EXPECT_EQ(f.bell.rings(), round + 1);
      EXPECT_EQ(f.queue.size(), 5u);
      ASSERT_TRUE(f.bell.WaitRing(0ms));
      drain();
      EXPECT_EQ(f.queue.size(), 0u);
      EXPECT_FALSE(f.bell.WaitRing(0ms));  // All delivered: no ring.
    }
    using Batches = std::vector<std::vector<int>>;
    if (mode == Handoff::kAlone) {
      EXPECT_EQ(batches, (Batches{{0}, {1, 2, 3, 4}, {10}, {11, 12, 13, 14}}));
    } else {
      EXPECT_EQ(batches, (Batches{{0, 1, 2, 3, 4}, {10, 11, 12, 13, 14}}));
    }
    auto counts = f.queue.counts();
    EXPECT_EQ(counts.accepted, 10u);
    EXPECT_EQ(counts.delivered, 10u);
  }
}

// Calls another thread makes while the handed-over call is delivered on
// its own join the drain that follows it (which has not taken anything
// yet), and the wake-up stays bounded by kMaxDrainPerTick, the handed-over
// call included. A call the owner thread (JS) makes in that callback ends
// the drain instead: it rings, and the rest arrives on the next wake-up
// (README: a call made from the JS thread arrives on a later turn).
// Pushes -1 into an idle queue (handed over), then drains once, running
// `during` inside -1's callback; returns what that drain delivered.
template <typename During>
std::vector<int> DrainTheHandedOverCall(Fixture& f, During&& during) {
  std::vector<int> seen;
  EXPECT_EQ(f.Push(-1), Status::kOk);
  EXPECT_TRUE(f.bell.WaitRing());
  f.queue.Drain(
      [&](int& v) {
        seen.push_back(v);
        if (v == -1) during();
      },
      [] {});
  return seen;
}

TEST(CallQueue, CallsMadeDuringTheHandedOverCallJoinTheDrainUnlessFromTheOwner) {
  {
    Fixture f(0);
    const int backlog = static_cast<int>(kMaxDrainPerTick) + 10;
    std::vector<int> seen = DrainTheHandedOverCall(f, [&] {
      std::thread([&] {
        for (int i = 0; i < backlog; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
      }).join();
      EXPECT_FALSE(f.bell.WaitRing(0ms));  // This drain is the answer.
    });
    // -1 and the first 16,383: at most kMaxDrainPerTick, the handed-over
    // call included, and fewer only if kMaxDrainTime ran out first (as
    // under a sanitizer on a busy machine; the clock is read only after a
    // call, so at least one joined this drain either way).
    EXPECT_GT(seen.size(), 1u);
    EXPECT_LE(seen.size(), kMaxDrainPerTick);
    while (seen.size() < static_cast<size_t>(backlog) + 1) {
      const size_t before = seen.size();
      ASSERT_TRUE(f.bell.WaitRing(0ms));  // Rang for the rest.
      f.queue.Drain([&](int& v) { seen.push_back(v); }, [] {});
      ASSERT_GT(seen.size(), before);
    }
    ASSERT_EQ(seen.size(), static_cast<size_t>(backlog) + 1);
    for (int i = -1; i < backlog; ++i) ASSERT_EQ(seen[i + 1], i);
  }
  {
    Fixture f(0);
    std::vector<int> seen = DrainTheHandedOverCall(f, [&] {
      std::thread([&] { ASSERT_EQ(f.Push(0), Status::kOk); }).join();
      ASSERT_EQ(f.Push(1), Status::kOk);  // From the owner (JS) thread.
    });
    EXPECT_EQ(seen, std::vector<int>{-1});  // The drain stopped after it...
    ASSERT_TRUE(f.bell.WaitRing(0ms));      // ...and rang for the rest.
    EXPECT_EQ(f.queue.size(), 2u);
    f.queue.Drain([&](int& v) { seen.push_back(v); }, [] {});
    ASSERT_EQ(seen.size(), 3u);  // Two threads' calls: in either order.
    std::sort(seen.begin() + 1, seen.end());
    EXPECT_EQ(seen, (std::vector<int>{-1, 0, 1}));
    EXPECT_FALSE(f.bell.WaitRing(0ms));
  }
}

// A drain that yields before the handed-over call (at the head of its
// batch, or offered alone) puts it back in the slot, ahead of its thread's
// later calls; the drain rings again, and the call is delivered once.
TEST(CallQueue, AHandedOverCallPutBackStaysFirst) {
  for (Handoff mode : {Handoff::kAlone, Handoff::kFirstInBatch}) {
    SCOPED_TRACE(mode == Handoff::kAlone ? "alone" : "first in batch");
    Fixture f(0);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
    ASSERT_TRUE(f.bell.WaitRing(0ms));
    std::vector<size_t> offered;
    f.queue.DrainBatch(
        [&](int*, size_t n) {
          offered.push_back(n);
          EXPECT_EQ(f.Push(3), Status::kOk);  // A later call meanwhile.
          return size_t{0};                   // Yield before the first.
        },
        [] {}, mode);
    // Alone, it was offered on its own, and nothing else after it.
    EXPECT_EQ(offered, std::vector<size_t>{mode == Handoff::kAlone ? 1u : 3u});
    EXPECT_EQ(f.queue.size(), 4u);
    ASSERT_TRUE(f.bell.WaitRing(0ms));  // Rang for what is left.
    while (f.delivered.size() < 4) {
      const size_t before = f.delivered.size();
      f.Drain();
      ASSERT_GT(f.delivered.size(), before);
    }
    EXPECT_EQ(f.delivered, (std::vector<int>{0, 1, 2, 3}));
    auto counts = f.queue.counts();
    EXPECT_EQ(counts.delivered, 4u);
    EXPECT_EQ(counts.dropped, 0u);
  }
}

// A handed-over call is dropped like any other: by an abort (on the owner
// thread, in the drain), by a teardown, and when the queue is destroyed
// with it still in the slot. None leaks (ASan), each is counted once.
TEST(CallQueue, AHandedOverCallIsDroppedByAbortTeardownAndDestruction) {
  Tracked::live = 0;
  for (Handoff mode : {Handoff::kAlone, Handoff::kFirstInBatch}) {
    FakeDoorbell bell;
    CallQueue<Tracked> queue(0, &bell);
    Tracked t(0, 0);
    ASSERT_EQ(queue.Push(t, CallMode::kNonBlocking), Status::kOk);
    EXPECT_EQ(Tracked::live.load(), 2);  // t (moved from) and the slot's.
    EXPECT_EQ(queue.Abort(), Status::kOk);  // From this thread, not draining.
    EXPECT_EQ(Tracked::live.load(), 2);     // Still in the slot.
    int finalized = 0;
    size_t delivered = 0;
    queue.DrainBatch([&](Tracked*, size_t n) { delivered += n; return n; },
                     [&] { ++finalized; }, mode);
    EXPECT_EQ(delivered, 0u);
    EXPECT_EQ(finalized, 1);
    EXPECT_EQ(Tracked::live.load(), 1);
    auto counts = queue.counts();
    EXPECT_EQ(counts.accepted, 1u);
    EXPECT_EQ(counts.dropped, 1u);
  }
  EXPECT_EQ(Tracked::live.load(), 0);
  {
    FakeDoorbell bell;
    CallQueue<Tracked> queue(0, &bell);
    Tracked t(0, 0);
    ASSERT_EQ(queue.Push(t, CallMode::kNonBlocking), Status::kOk);
    int finalized = 0;
    EXPECT_TRUE(queue.EnvTeardown([&] { ++finalized; }));
    EXPECT_EQ(finalized, 1);
    EXPECT_EQ(Tracked::live.load(), 1);
    EXPECT_EQ(queue.counts().dropped, 1u);
  }
  EXPECT_EQ(Tracked::live.load(), 0);
  {
    FakeDoorbell bell;
    CallQueue<Tracked> queue(0, &bell);
    Tracked t(0, 0);
    ASSERT_EQ(queue.Push(t, CallMode::kNonBlocking), Status::kOk);
  }  // Never drained.
  EXPECT_EQ(Tracked::live.load(), 0);
}

// Drains nobody rang for (as a backend may run one late, or a test
// anytime), of both kinds and some stopped early, race producers whose
// calls are handed over while they run: every call arrives exactly once,
// in order per producer, and no wake-up is lost.
TEST(CallQueue, UnrungDrainsRaceHandedOverCalls) {
  for (int trial = 0; trial < 50; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    FakeDoorbell bell;
    CallQueue<int> queue(0, &bell);
    constexpr int kProducers = 3;
    constexpr int kEach = 300;
    std::vector<std::thread> threads;
    for (int p = 0; p < kProducers; ++p) {
      threads.emplace_back([&, p] {
        for (int i = 0; i < kEach; ++i) {
          int v = p * 10000 + i;
          ASSERT_EQ(queue.Push(v, CallMode::kNonBlocking), Status::kOk);
          if (i % 7 == 0) std::this_thread::yield();  // Let it go idle.
        }
      });
    }
    std::map<int, int> next;
    int seen = 0, bad = 0;
    auto check = [&](int v) {
      if (v % 10000 != next[v / 10000]) ++bad;
      next[v / 10000] = v % 10000 + 1;
      ++seen;
    };
    for (int d = 0; seen < kProducers * kEach; ++d) {
      if (d % 3 != 0 && !bell.WaitRing(5000ms)) {
        ADD_FAILURE() << "lost wake-up at " << seen;
        break;
      }
      const Handoff mode = d % 2 ? Handoff::kAlone : Handoff::kFirstInBatch;
      queue.DrainBatch(
          [&](int* items, size_t n) {
            const size_t take = d % 5 == 0 ? (n + 1) / 2 : n;  // Some stop early.
            for (size_t i = 0; i < take; ++i) check(items[i]);
            return take;
          },
          [] {}, mode);
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(seen, kProducers * kEach);
    EXPECT_EQ(queue.size(), 0u);
    auto counts = queue.counts();
    EXPECT_EQ(counts.delivered, static_cast<size_t>(kProducers * kEach));
  }
}

TEST(CallQueue, EnvTeardownDropsItemsWakesProducersAndFinalizesOnce) {
  Fixture f(1);
  ASSERT_EQ(f.Push(1), Status::kOk);
  std::atomic<int> status{-1};
  std::thread producer([&] {
    int v = 2;
    status = static_cast<int>(f.queue.Push(v, CallMode::kBlocking));
  });
  while (f.queue.blocked_producers() == 0) std::this_thread::yield();
  int finalized = 0;
  EXPECT_TRUE(f.queue.EnvTeardown([&] { ++finalized; }));
  producer.join();
  EXPECT_EQ(static_cast<Status>(status.load()), Status::kClosing);
  EXPECT_FALSE(f.queue.EnvTeardown([&] { ++finalized; }));
  EXPECT_EQ(finalized, 1);
  EXPECT_EQ(f.Push(3), Status::kClosing);
  f.Drain();  // A late wake-up after teardown does nothing.
  EXPECT_TRUE(f.delivered.empty());
  EXPECT_EQ(f.finalized, 0);
}

// A producer rings after letting go of its stripe lock (a JS thread woken
// at once must not wait for it), and finalization waits for a ring under
// way before the doorbell may close.
TEST(CallQueue, ARingRunsUnlockedAndTeardownWaitsForIt) {
  struct SlowBell : Doorbell {
    std::atomic<bool> in_ring{false}, release{false};
    void Ring() override {
      in_ring = true;
      while (!release) std::this_thread::yield();
      in_ring = false;
    }
  } bell;
  CallQueue<int> queue(0, &bell);
  std::thread producer([&] {
    int v = 1;
    EXPECT_EQ(queue.Push(v, CallMode::kNonBlocking), Status::kOk);
  });
  while (!bell.in_ring) std::this_thread::yield();
  // Every lock can be taken while the producer rings (size() takes them
  // all; were the stripe lock still held, it would wait for the release).
  auto size = std::async(std::launch::async, [&] { return queue.size(); });
  if (size.wait_for(5s) != std::future_status::ready) {
    bell.release = true;  // Lets the producer (and then size()) finish.
    producer.join();
    FAIL() << "Ring() ran with the stripe lock held";
  }
  EXPECT_EQ(size.get(), 1u);
  std::atomic<int> finalized{0};
  std::atomic<bool> ring_done_at_finalize{false};
  std::thread owner([&] {
    // Stands in for the owner thread (the test thread must stay free to
    // let the ring end).
    EXPECT_TRUE(queue.EnvTeardown([&] {
      ring_done_at_finalize = !bell.in_ring;
      ++finalized;
    }));
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(finalized.load(), 0);  // Still waiting for the ring to end.
  bell.release = true;
  owner.join();
  producer.join();
  EXPECT_EQ(finalized.load(), 1);
  EXPECT_TRUE(ring_done_at_finalize.load());
}

// Abort and teardown drop what is queued (in the shared queue and in the
// owner's taken batch) without allocating: they are what runs when memory
// is short, and built without exceptions a failed allocation aborts.
TEST(CallQueue, AbortAndTeardownDropWithoutAllocating) {
  Tracked::live = 0;
  for (bool teardown : {false, true}) {
    FakeDoorbell bell;
    CallQueue<Tracked> queue(0, &bell);
    for (int i = 0; i < 300; ++i) {
      Tracked t(0, i);
      ASSERT_EQ(queue.Push(t, CallMode::kNonBlocking), Status::kOk);
    }
    // Deliver 10, stop: 290 stay in the owner's taken batch...
    queue.DrainBatch([](Tracked*, size_t) { return size_t{10}; }, [] {});
    // ...and 200 more wait in the shared queue.
    for (int i = 0; i < 200; ++i) {
      Tracked t(1, i);
      ASSERT_EQ(queue.Push(t, CallMode::kNonBlocking), Status::kOk);
    }
    ASSERT_EQ(Tracked::live.load(), 490);
    int finalized = 0;
    size_t allocations = 0;
    {
      AllocationCounter counter;
      if (teardown) {
        EXPECT_TRUE(queue.EnvTeardown([&] { ++finalized; }));
      } else {
        EXPECT_EQ(queue.Abort(), Status::kOk);
        queue.Drain([](Tracked&) { ADD_FAILURE() << "delivered after abort"; },
                    [&] { ++finalized; });
      }
      allocations = counter.count();
    }
    EXPECT_EQ(allocations, 0u) << (teardown ? "teardown" : "abort");
    EXPECT_EQ(finalized, 1);
    EXPECT_EQ(Tracked::live.load(), 0);  // Every dropped payload destroyed.
    auto counts = queue.counts();
    EXPECT_EQ(counts.accepted, 500u);
    EXPECT_EQ(counts.delivered, 10u);
    EXPECT_EQ(counts.dropped, 490u);
  }
}

// Each drain hands JS its batch in one piece, even when the ring it was
// queued in wraps (the queue's two rings alternate, so a batch usually
// starts mid-ring): a batch split in two costs two JS calls, which was
// measurably slower when batches were handed over straight from the ring.
TEST(CallQueue, BatchesArriveWholeAfterTheRingsAlternate) {
  Fixture f(0);
  std::vector<size_t> spans;
  std::vector<int> seen;
  auto drain = [&] {
    f.queue.DrainBatch(
        [&](int* items, size_t n) {
          spans.push_back(n);
          seen.insert(seen.end(), items, items + n);
          return n;
        },
        [] {});
  };
  int next = 0;
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < 50; ++i) ASSERT_EQ(f.Push(next++), Status::kOk);
    drain();
  }
  EXPECT_EQ(spans, std::vector<size_t>(8, 50));
  std::vector<int> expected(400);
  for (int i = 0; i < 400; ++i) expected[i] = i;
  EXPECT_EQ(seen, expected);
}

// A teardown from inside a delivery (JS ran the environment's cleanup)
// must not destroy the batch being delivered: the drain drops the rest
// after `deliver` returns, and finalization still happens exactly once.
TEST(CallQueue, TeardownDuringADeliveryLeavesTheBatchToTheDrain) {
  Tracked::live = 0;
  {
    FakeDoorbell bell;
    CallQueue<Tracked> queue(0, &bell);
    for (int i = 0; i < 20; ++i) {
      Tracked t(0, i);
      ASSERT_EQ(queue.Push(t, CallMode::kNonBlocking), Status::kOk);
    }
    int finalized = 0;
    std::vector<int> seen;
    queue.DrainBatch(
        [&](Tracked* items, size_t n) {
          EXPECT_TRUE(queue.EnvTeardown([&] { ++finalized; }));
          EXPECT_EQ(Tracked::live.load(), 20);  // Still ours to read.
          size_t i = 0;
          for (; i < n && i < 5; ++i) seen.push_back(items[i].seq);
          return i;  // Five delivered, then it notices the teardown.
        },
        [&] { ++finalized; });
    EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(finalized, 1);
    EXPECT_EQ(Tracked::live.load(), 0);
    auto counts = queue.counts();
    EXPECT_EQ(counts.delivered, 5u);
    EXPECT_EQ(counts.dropped, 15u);
  }
  EXPECT_EQ(Tracked::live.load(), 0);
}

// Threads push into stripes of their own (more threads than stripes here, so
// some share one). Everything arrives once, in order per thread; the queue
// rang once for all of it; a batch stopped early puts each stripe's rest
// back ahead of that stripe's newer calls.
TEST(CallQueue, StripedProducersStayInOrderPerThreadAcrossAnEarlyStop) {
  Fixture f(0);
  constexpr int kThreads = static_cast<int>(kStripes) + 3;
  constexpr int kEach = 40;
  // The same threads push twice: once before a batch stops early, once after.
  std::atomic<int> pushed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 2; ++round) {
        if (round == 1) {
          while (!go.load()) std::this_thread::yield();
        }
        for (int i = 0; i < kEach; ++i) {
          ASSERT_EQ(f.Push(t * 100000 + round * 1000 + i), Status::kOk);
        }
        ++pushed;
      }
    });
  }
  while (pushed.load() < kThreads) std::this_thread::yield();
  EXPECT_EQ(f.bell.rings(), 1);  // One wake-up for every thread's calls.
  EXPECT_EQ(f.queue.size(), static_cast<size_t>(kThreads * kEach));
  std::vector<int> seen;
  f.queue.DrainBatch(
      [&](int* items, size_t n) {
        EXPECT_EQ(n, static_cast<size_t>(kThreads * kEach));  // All of them.
        seen.insert(seen.end(), items, items + 123);
        return size_t{123};  // Stop in the middle of some stripe's run.
      },
      [] {});
  go = true;  // Newer calls, behind each stripe's rest.
  for (auto& t : threads) t.join();
  while (seen.size() < static_cast<size_t>(2 * kThreads * kEach)) {
    const size_t before = seen.size();
    f.queue.Drain([&](int& v) { seen.push_back(v); }, [] {});
    ASSERT_GT(seen.size(), before);
  }
  std::map<int, std::vector<int>> per_thread;
  for (int v : seen) per_thread[v / 100000].push_back(v % 100000);
  ASSERT_EQ(per_thread.size(), static_cast<size_t>(kThreads));
  for (auto& [thread, values] : per_thread) {
    std::vector<int> expected;
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < kEach; ++i) expected.push_back(round * 1000 + i);
    }
    EXPECT_EQ(values, expected) << "thread " << thread;
  }
  auto counts = f.queue.counts();
  EXPECT_EQ(counts.accepted, static_cast<size_t>(2 * kThreads * kEach));
  EXPECT_EQ(counts.delivered, counts.accepted);
}

// A stripe with a long backlog does not hold back another stripe's call:
// stripes take turns to go first, so it arrives within two wake-ups.
TEST(CallQueue, ABackloggedStripeDoesNotStarveAnother) {
  Fixture f(0);
  const int backlog = static_cast<int>(kMaxDrainPerTick) * 4;
  std::thread([&] {
    for (int i = 0; i < backlog; ++i) ASSERT_EQ(f.Push(i), Status::kOk);
  }).join();
  std::thread([&] { ASSERT_EQ(f.Push(-1), Status::kOk); }).join();
  int wakeups = 0;
  while (std::find(f.delivered.begin(), f.delivered.end(), -1) ==
         f.delivered.end()) {
    ASSERT_TRUE(f.bell.WaitRing(0ms));
    f.Drain();
    ASSERT_LE(++wakeups, 2);
  }
  while (f.delivered.size() < static_cast<size_t>(backlog) + 1) {
    ASSERT_TRUE(f.bell.WaitRing(0ms));
    f.Drain();
  }
  std::vector<int> backlog_seen;
  for (int v : f.delivered) {
    if (v >= 0) backlog_seen.push_back(v);
  }
  for (int i = 0; i < backlog; ++i) ASSERT_EQ(backlog_seen[i], i);
}

// Abort, a last release and a teardown each see every stripe: calls queued
// from several threads are all dropped (or all delivered, on release), and
// the function finalizes once.
TEST(CallQueue, AbortReleaseAndTeardownCoverEveryStripe) {
  for (int how = 0; how < 3; ++how) {
    Tracked::live = 0;
    {
      FakeDoorbell bell;
      CallQueue<Tracked> queue(0, &bell);
      std::vector<std::thread> threads;
      for (int t = 0; t < static_cast<int>(kStripes); ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < 25; ++i) {
            Tracked item(t, i);
            ASSERT_EQ(queue.Push(item, CallMode::kNonBlocking), Status::kOk);
          }
        });
      }
      for (auto& t : threads) t.join();
      int finalized = 0;
      size_t delivered = 0;
      if (how == 0) {
        EXPECT_EQ(queue.Abort(), Status::kOk);
      } else if (how == 1) {
        queue.Release();
      } else {
        EXPECT_TRUE(queue.EnvTeardown([&] { ++finalized; }));
      }
      Tracked late(99, 0);
      EXPECT_EQ(queue.Push(late, CallMode::kNonBlocking), Status::kClosing);
      while (finalized == 0) {
        queue.Drain([&](Tracked&) { ++delivered; }, [&] { ++finalized; });
      }
      EXPECT_EQ(finalized, 1);
      auto counts = queue.counts();
      EXPECT_EQ(counts.accepted, kStripes * 25);
      EXPECT_EQ(delivered, how == 1 ? kStripes * 25 : 0u);
      EXPECT_EQ(counts.delivered, delivered);
      EXPECT_EQ(counts.dropped, kStripes * 25 - delivered);
      EXPECT_EQ(Tracked::live.load(), 1);  // Only `late`, still ours.
    }
    EXPECT_EQ(Tracked::live.load(), 0);
  }
}

// The stripe lock excludes: threads that outnumber the cores, some holding
// it long enough that the others go to sleep, never overlap, and no
// increment of an unguarded counter is lost (TSan also sees the accesses).
// Both kinds: the atomic flag, and the plain mutex of a bounded queue.
class StripeLockKinds : public ::testing::TestWithParam<bool> {};

TEST_P(StripeLockKinds, ExcludesAndWakesSleepers) {
  StripeLock lock;
  if (GetParam()) lock.UseMutex();
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  long counter = 0;
  constexpr int kThreads = 6;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::lock_guard<StripeLock> guard(lock);
        if (inside.fetch_add(1) != 0) overlapped = true;
        ++counter;
        // Now and then hold it for a while: the waiters stop spinning and
        // sleep, and unlock must wake them.
        if (i % 5000 == t) std::this_thread::sleep_for(2ms);
        inside.fetch_sub(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(overlapped.load());
  EXPECT_EQ(counter, long{kThreads} * kEach);
}

// A waiter that went to sleep behind a long hold is woken by the unlock.
TEST_P(StripeLockKinds, ASleepingWaiterIsWokenByUnlock) {
  StripeLock lock;
  if (GetParam()) lock.UseMutex();
  lock.lock();
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    lock.lock();  // Spins, then sleeps: the hold below is long.
    acquired = true;
    lock.unlock();
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(acquired.load());
  EXPECT_FALSE(lock.try_lock());
  lock.unlock();
  waiter.join();  // Hangs (the test times out) if the wake-up were lost.
  EXPECT_TRUE(acquired.load());
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

INSTANTIATE_TEST_SUITE_P(Kinds, StripeLockKinds, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "Mutex" : "Flag";
                         });

// Threads making their first call (marking their stripe in use) race the
// owner draining and aborting: every accepted call is delivered or dropped
// exactly once, and nothing is accepted after the abort. (Under TSan this
// also checks that marking a stripe and taking the locks of the stripes in
// use exclude each other.)
TEST(CallQueue, FirstCallsRaceDrainsAndAbort) {
  for (int trial = 0; trial < 200; ++trial) {
    FakeDoorbell bell;
    CallQueue<int> queue(0, &bell);
    std::atomic<int> accepted{0};
    std::atomic<bool> aborted{false};
    std::atomic<int> accepted_after_abort{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 20; ++i) {
          const bool was_aborted = aborted.load();
          int v = t * 100 + i;
          if (queue.Push(v, CallMode::kNonBlocking) == Status::kOk) {
            ++accepted;
            if (was_aborted) ++accepted_after_abort;
          }
        }
      });
    }
    size_t delivered = 0;
    int finalized = 0;
    for (int d = 0; d < trial % 5; ++d) {
      queue.Drain([&](int&) { ++delivered; }, [&] { ++finalized; });
    }
    EXPECT_EQ(queue.Abort(), Status::kOk);
    aborted = true;
    for (auto& t : threads) t.join();
    queue.Drain([&](int&) { ++delivered; }, [&] { ++finalized; });
    EXPECT_EQ(finalized, 1);
    EXPECT_EQ(accepted_after_abort.load(), 0);
    auto counts = queue.counts();
    EXPECT_EQ(counts.accepted, static_cast<size_t>(accepted.load()));
    EXPECT_EQ(counts.delivered, delivered);
    EXPECT_EQ(counts.accepted, counts.delivered + counts.dropped);
  }
}

// Several producers, a small queue, blocking and non-blocking-with-retry:
// every accepted item arrives exactly once and in order per producer.
// Queue sizes x modes x how producers call: one Push() per call, or
// blocks of 1 to 40 calls (PushMany) between single calls, where a blocked
// or refused block goes on from where it stopped. Every call arrives once,
// in order per producer, whichever way it was queued.
class CallQueueLoad
    : public ::testing::TestWithParam<std::tuple<size_t, CallMode, bool>> {};

// A producer's calls [0, each), single ones retried on QueueFull.
void PushEach(CallQueue<Tracked>& queue, int p, int each, CallMode mode) {
  for (int s = 0; s < each; ++s) {
    Tracked t(p, s);
    Status st;
    while ((st = queue.Push(t, mode)) == Status::kQueueFull) {
      std::this_thread::yield();
    }
    ASSERT_EQ(st, Status::kOk);
  }
}

// The same calls, mostly in blocks of pseudo-random sizes.
void PushInBlocks(CallQueue<Tracked>& queue, int p, int each, CallMode mode) {
  uint32_t rng = 12345u + static_cast<uint32_t>(p);
  int s = 0;
  while (s < each) {
    rng = rng * 1664525u + 1013904223u;
    const int block = std::min<int>(1 + static_cast<int>((rng >> 16) % 40), each - s);
    if (block == 1) {
      Tracked t(p, s);
      Status st;
      while ((st = queue.Push(t, mode)) == Status::kQueueFull) std::this_thread::yield();
      ASSERT_EQ(st, Status::kOk);
      ++s;
      continue;
    }
    int left = block;
    while (left > 0) {
      size_t pushed = 0;
      const int first = s;
      Status st = queue.PushMany(
          static_cast<size_t>(left), [&](size_t i) { return Tracked(p, first + static_cast<int>(i)); },
          mode, &pushed);
      s += static_cast<int>(pushed);
      left -= static_cast<int>(pushed);
      if (st == Status::kQueueFull) {
        std::this_thread::yield();
        continue;
      }
      ASSERT_EQ(st, Status::kOk);
      ASSERT_EQ(left, 0);
    }
  }
}

TEST_P(CallQueueLoad, ExactlyOnceFifoPerProducer) {
  const size_t max = std::get<0>(GetParam());
  const CallMode mode = std::get<1>(GetParam());
  const bool in_blocks = std::get<2>(GetParam());
  constexpr int kProducers = 4;
  constexpr int kEach = 5000;
  Tracked::live = 0;
  FakeDoorbell bell;
  CallQueue<Tracked> queue(max, &bell);
  for (int i = 1; i < kProducers; ++i) ASSERT_EQ(queue.Acquire(), Status::kOk);
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      if (in_blocks) {
        PushInBlocks(queue, p, kEach, mode);
      } else {
        PushEach(queue, p, kEach, mode);
      }
      queue.Release();
    });
  }
  std::map<int, int> next;
  int finalized = 0, delivered = 0;
  while (finalized == 0) {
    ASSERT_TRUE(bell.WaitRing()) << "lost wake-up";
    queue.Drain(
        [&](Tracked& t) {
          EXPECT_EQ(t.seq, next[t.producer]) << "producer " << t.producer;
          ++next[t.producer];
          ++delivered;
        },
        [&] { ++finalized; });
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(delivered, kProducers * kEach);
  EXPECT_EQ(finalized, 1);
  EXPECT_EQ(queue.counts().dropped, 0u);
  EXPECT_EQ(Tracked::live.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, CallQueueLoad,
    ::testing::Combine(::testing::Values(size_t{1}, size_t{16}, size_t{0}),
                       ::testing::Values(CallMode::kBlocking,
                                         CallMode::kNonBlocking),
                       ::testing::Bool()),
    [](const auto& info) {
      const size_t max = std::get<0>(info.param);
      return std::string(max == 0 ? "Unbounded" : "Max" + std::to_string(max)) +
             (std::get<1>(info.param) == CallMode::kBlocking ? "Blocking"
                                                              : "NonBlocking") +
             (std::get<2>(info.param) ? "InBlocks" : "");
    });

TEST(CallQueue, AbortUnderLoadAccountsForEveryAcceptedCall) {
  Tracked::live = 0;
  {
    constexpr int kProducers = 4;
    FakeDoorbell bell;
    CallQueue<Tracked> queue(8, &bell);
    std::atomic<int> accepted{0}, closing{0};
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        for (int s = 0; s < 2000; ++s) {
          Tracked t(p, s);
          Status st = queue.Push(t, CallMode::kBlocking);
          if (st == Status::kOk) ++accepted;
          if (st == Status::kClosing) ++closing;
        }
      });
    }
    int delivered = 0, finalized = 0;
    while (finalized == 0) {
      ASSERT_TRUE(bell.WaitRing()) << "lost wake-up";
      queue.Drain(
          [&](Tracked&) {
            if (++delivered == 100) {
              EXPECT_EQ(queue.Abort(), Status::kOk);
            }
          },
          [&] { ++finalized; });
    }
    for (auto& t : producers) t.join();
    auto counts = queue.counts();
    EXPECT_EQ(counts.accepted, static_cast<size_t>(accepted.load()));
    EXPECT_EQ(counts.accepted, counts.delivered + counts.dropped);
    EXPECT_EQ(counts.delivered, static_cast<size_t>(delivered));
    EXPECT_EQ(accepted + closing, kProducers * 2000);
    EXPECT_GT(closing.load(), 0);
  }
  EXPECT_EQ(Tracked::live.load(), 0);
}

}  // namespace
}  // namespace anythread
