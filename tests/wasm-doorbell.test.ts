// The wasm backend's doorbell, both ways (wasm/include/anythread/
// backend_impl.hpp): where the engine has Atomics.waitAsync, a pthread wakes
// the main thread through a wait armed on a word of the doorbell; where it
// has not, through one message per ring. Node 20 and Chromium both have it,
// so every other suite runs the first way; here a doorbell created while
// Atomics.waitAsync is hidden runs the second. Each way: checked runs (every
// call delivered exactly once, in order per producer, every payload
// destroyed once, the function finalized), unbounded and bounded with
// blocked producers (many wake-ups), an abort and a last release racing the
// producers, and a flood of wake-ups that still lets timers run. Then, for
// the wait, a re-arm that finds its word already set (a ring between a
// drain's end and the re-arm). In Node and in Chromium (wasm only: the
// native backend has no such choice).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkedRun, reliability } from './reliability/harness';

type WaitAsync = typeof Atomics.waitAsync;
const realWaitAsync: WaitAsync = Atomics.waitAsync;
// The words the doorbells' waits are armed on (one arm per doorbell at its
// creation and after each of its wake-ups), in order. A doorbell that waits
// keeps the function it found at its creation, so the ones made while
// Atomics.waitAsync was this wrapper keep arming through it.
const armedWords: number[] = [];
// Runs just before each of those arms, when a test sets it.
let beforeArm: ((view: Int32Array, index: number) => void) | null = null;
const recordingWaitAsync = function (this: unknown, ...args: Parameters<WaitAsync>) {
  armedWords.push(args[1]);
  // Emscripten arms on its Int32Array views only (never a BigInt64Array).
  beforeArm?.(args[0] as unknown as Int32Array, args[1]);
  return realWaitAsync.apply(Atomics, args);
} as WaitAsync;

const WAYS = [
  ['a wait armed with Atomics.waitAsync', true],
  ['a message per ring (no Atomics.waitAsync)', false],
] as const;

describe.each(WAYS)('wasm doorbell: %s', (_, waits) => {
  beforeAll(() => {
    (Atomics as { waitAsync?: WaitAsync }).waitAsync = waits ? recordingWaitAsync : undefined;
  });
  afterAll(() => {
    Atomics.waitAsync = realWaitAsync;
  });

  test('the engine has Atomics.waitAsync (else this suite would test one way twice)', () => {
    expect(typeof realWaitAsync).toBe('function');
  });

  test('4 producers, unbounded: exactly once, in order, finalized; the doorbell way is the one chosen', async () => {
    const m = await reliability('wasm');
    const before = new Set(armedWords);
    const from = armedWords.length;
    const { stats } = await checkedRun(m, {
      producers: 4,
      callsEach: 5_000,
      maxQueueSize: 0,
      blocking: false,
    });
    expect(stats.delivered).toBe(20_000);
    // Waits armed meanwhile on words no doorbell had armed before: the
    // run's own function's (only doorbells that wait arm anything; the
    // module's earlier doorbells, if any, arm on their own words).
    const fresh = armedWords.slice(from).filter((w) => !before.has(w));
    if (waits) {
      expect(fresh.length).toBeGreaterThan(0);
    } else {
      expect(fresh).toEqual([]);
    }
  });

  test('4 producers blocked on a queue of 16: every wake-up arrives (no stall)', async () => {
    const m = await reliability('wasm');
    const { stats } = await checkedRun(m, {
      producers: 4,
      callsEach: 2_000,
      maxQueueSize: 16,
      blocking: true,
    });
    expect(stats.delivered).toBe(8_000);
    expect(stats.dropped).toBe(0);
  });

  test('an abort mid-run stops delivery at that call and drops the rest once', async () => {
    const m = await reliability('wasm');
    const { stats } = await checkedRun(m, {
      producers: 3,
      callsEach: 3_000,
      maxQueueSize: 0,
      blocking: false,
      abortAfter: 4_321,
    });
    expect(stats.delivered).toBe(4_321);
  });

  test('a last release racing the producers delivers everything accepted', async () => {
    const m = await reliability('wasm');
    const { stats, seen } = await checkedRun(m, {
      producers: 3,
      callsEach: 3_000,
      maxQueueSize: 0,
      blocking: false,
      releaseSeed: 12_345,
    });
    expect(stats.dropped).toBe(0);
    expect(seen.perProducer.reduce((a, b) => a + b, 0)).toBe(stats.accepted);
  });

  test('a stream of wake-ups lets timers run between its drains', async () => {
    const m = await reliability('wasm');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let ticksAtCalls = 0;
    try {
      // Slow callbacks (0.2 ms each) keep the drains busy while 2 producers
      // keep ringing: timers must still get their turns meanwhile.
      await checkedRun(m, { producers: 2, callsEach: 1_000, maxQueueSize: 0, blocking: false }, () => {
        const until = performance.now() + 0.2;
        while (performance.now() < until) {
          // A slow callback.
        }
      });
      ticksAtCalls = ticks;
    } finally {
      clearInterval(timer);
    }
    // 2,000 calls of 0.2 ms: 400 ms of callbacks; a 1 ms interval that only
    // ran after them would show at most a tick or two.
    expect(ticksAtCalls).toBeGreaterThan(10);
  });
});

// A ring that lands after a drain has let the ring go but before its wait is
// armed again leaves the word set: Atomics.waitAsync then answers
// 'not-equal' at once, with no wait. The doorbell must then drain in a
// macrotask of its own (anythread_arm), never a microtask: producers that
// keep ringing in that window would otherwise chain drains in one microtask
// checkpoint and starve timers. The window is a microsecond wide, so a test
// cannot aim a producer at it; here every arm finds its word already set,
// as such a ring leaves it, while producers run and a timer waits its turn.
describe('wasm doorbell: a wait armed on a word already set', () => {
  beforeAll(() => {
    Atomics.waitAsync = recordingWaitAsync;
  });
  afterAll(() => {
    beforeArm = null;
    Atomics.waitAsync = realWaitAsync;
  });

  test('drains in a macrotask: timers run between such wake-ups, and every call arrives once, in order', async () => {
    const m = await reliability('wasm');
    // Forcing stops at the timer, or at this many arms (where a drain in a
    // microtask would get to, since the timer could never run before).
    const limit = 20_000;
    let forced = 0;
    let forcedAtTimer = -1;
    beforeArm = (view, index) => {
      if (forcedAtTimer >= 0 || forced >= limit) return;
      // What a producer's ring leaves behind (BackendDoorbell::Ring).
      Atomics.store(view, index, 1);
      if (forced++ === 0) setTimeout(() => (forcedAtTimer = forced), 1);
    };
    let stats;
    try {
      // Callbacks of a few microseconds each keep the run going for well
      // over the timer's 1 ms.
      ({ stats } = await checkedRun(m, { producers: 2, callsEach: 20_000, maxQueueSize: 0, blocking: false }, () => {
        const until = performance.now() + 0.004;
        while (performance.now() < until) {
          // A callback that takes a few microseconds.
        }
      }));
    } finally {
      beforeArm = null;
    }
    expect(stats.delivered).toBe(40_000);
    // The path was taken again and again (each forced arm leads to another
    // wake-up and arm) ...
    expect(forced).toBeGreaterThan(1);
    // ... and a 1 ms timer got its turn long before the limit: in a
    // microtask, the arms would have run on to the limit first.
    expect(forcedAtTimer).toBeGreaterThan(0);
    expect(forcedAtTimer).toBeLessThan(limit);
  });
});
