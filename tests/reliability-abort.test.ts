// Reliability (issue #6, part 2): abort under load, and the last handle
// released instead. 200 trials each (soak: 10,000) of 8 producers calling
// (random queue size and mode) while the JS side aborts at a random point
// (at a random delivery, inside the conversion on the JS thread, or at once):
// no crash, no hang; accepted == delivered + dropped; every dropped payload's
// destructor ran exactly once (counted in C++); calls after the abort get
// Closing; blocked producers wake (else the trial would hang). Release
// trials: each producer stops at a random point and releases its handle; the
// last release closes the function, which still delivers everything queued.
// Half the trials' producers queue their calls in blocks (CallMany).
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { checkedRun, random, reliability, seed, soak, tally } from './reliability/harness';

const trials = soak ? 10_000 : 200;
const producers = 8;

function trialOptions(next: () => number) {
  const callsEach = Math.floor(next() * 1500);
  const maxQueueSize = [1, 16, 0][Math.floor(next() * 3)];
  const blocking = next() < 0.5;
  // Half the trials call CallMany() with blocks of 2 to 64 payloads.
  const block = next() < 0.5 ? 1 : 2 + Math.floor(next() * 63);
  return { producers, callsEach, maxQueueSize, blocking, block };
}

describe.each(backends)('%s', (backend) => {
  test(`${trials} trials: abort at a random point under load`, async ({ task }) => {
    const t = tally(`abort ${backend}`);
    const next = random(seed ^ 0xab047);
    try {
      const m = await reliability(backend);
      for (let i = 0; i < trials; i++) {
        const o = trialOptions(next);
        const abortAfter = Math.floor(next() * (producers * o.callsEach + 1));
        const stats = await t.trial(
          async () => {
            const { stats } = await checkedRun(m, { ...o, abortAfter });
            // Aborted exactly at that delivery: nothing after it delivered.
            expect(stats.delivered).toBe(abortAfter);
            // A producer seeing Closing tries at most 3 more times.
            expect(stats.refusedClosing).toBeLessThanOrEqual(4 * producers);
            if (abortAfter < producers * o.callsEach) {
              // Calls were left: they were dropped, or refused with Closing.
              expect(stats.refusedClosing + stats.dropped).toBeGreaterThan(0);
            }
            return stats;
          },
          () => `abort trial ${i} ${JSON.stringify({ ...o, abortAfter })}`,
        );
        t.add(stats);
      }
    } finally {
      t.report(task);
    }
  }, soak ? 3_600_000 : 600_000);

  test(`${trials} trials: the last handle released at a random point under load`, async ({ task }) => {
    const t = tally(`last release ${backend}`);
    const next = random(seed ^ 0x4e1ea5e);
    try {
      const m = await reliability(backend);
      for (let i = 0; i < trials; i++) {
        const o = trialOptions(next);
        const releaseSeed = Math.floor(next() * 2 ** 32);
        const stats = await t.trial(
          async () => {
            const { stats, seen } = await checkedRun(m, { ...o, releaseSeed });
            // Released, not aborted: whatever was accepted is delivered.
            expect(stats.dropped).toBe(0);
            expect(stats.refusedClosing).toBe(0);
            expect(seen.perProducer.reduce((a, b) => a + b, 0)).toBe(stats.accepted);
            return stats;
          },
          () => `release trial ${i} ${JSON.stringify({ ...o, releaseSeed })}`,
        );
        t.add(stats);
      }
    } finally {
      t.report(task);
    }
  }, soak ? 3_600_000 : 600_000);
});
