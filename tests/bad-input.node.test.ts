// Reliability (issue #6, part 6): bad input. tests/fixtures/bad-input-sweep.mjs
// calls every export (and the class, and the loader) with wrong arguments in
// a child process per backend: each call must give a TypeError or RangeError
// with a code, or a rejected promise; the process must exit 0 (no crash, no
// hang, no native assertion) and work normally afterwards.
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { run } from './helpers/node';
import { summarized } from './reliability/harness';

describe.each(backends)('%s', (backend) => {
  test('every export refuses wrong arguments cleanly, in a child process that exits 0', async ({ task }) =>
    summarized(task, `bad input ${backend}`, async (t) => {
      const r = await run(process.execPath, ['tests/fixtures/bad-input-sweep.mjs'], {
        env: { ANYTHREAD_BACKEND: backend },
        timeoutMs: 120_000,
      });
      expect(r.timedOut).toBe(false);
      expect(r.signal).toBeNull();
      const report = JSON.parse(r.stdout);
      t.summary.trials = report.calls;
      t.summary.failures = report.violations.length;
      expect(report.backend).toBe(backend);
      expect(report.violations).toEqual([]);
      expect(report.calls).toBeGreaterThan(1000);
      expect(report.afterwards).toBe(100);
      expect(r.code).toBe(0);
    }),
  150_000);
});
