// Reliability (issue #6, part 5): throwing callbacks under load. The
// callback throws on some calls and an 'uncaughtException' handler swallows
// them: every call is still delivered, in order per producer, each throw
// reaches the handler exactly once, and the function keeps draining (a second
// run afterwards completes). In a child process per backend: an uncaught
// exception belongs to the whole process. (Node only: a browser reports
// uncaught errors to the page, and the test runner fails on them.)
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { run } from './helpers/node';
import { soak, summarized } from './reliability/harness';

const producers = 8;
const callsEach = soak ? 1_000_000 : 50_000;
const throwEvery = 1000;

describe.each(backends)('%s', (backend) => {
  test(`${producers} x ${callsEach} calls, every ${throwEvery}th throws: all delivered, in order`, async ({
    task,
  }) =>
    summarized(task, `throwing callbacks ${backend}`, async (t) => {
      const r = await run(
        process.execPath,
        ['tests/fixtures/throwing-callbacks.mjs', String(producers), String(callsEach), String(throwEvery)],
        { env: { ANYTHREAD_BACKEND: backend }, timeoutMs: soak ? 3_600_000 : 120_000 },
      );
      expect(r.timedOut).toBe(false);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.backend).toBe(backend);
      const total = producers * callsEach;
      expect(out.first.stats).toMatchObject({ accepted: total, delivered: total, dropped: 0, finalized: 1 });
      expect(out.first.stats.destroyed).toBe(out.first.stats.constructed);
      expect(out.first.calls).toBe(total);
      expect(out.first.outOfOrder).toBe(0);
      expect(out.first.perProducer).toEqual(new Array(producers).fill(callsEach));
      expect(out.thrownCount).toBe(producers * Math.floor(callsEach / throwEvery));
      expect(out.thrownAsExpected).toBe(true);
      // Still draining afterwards.
      expect(out.second.calls).toBe(2000);
      expect(out.second.stats).toMatchObject({ accepted: 2000, delivered: 2000, dropped: 0 });
      t.add(out.first.stats);
      t.add(out.second.stats);
    }),
  soak ? 3_600_000 : 150_000);
});
