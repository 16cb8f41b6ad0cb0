// Scenario: a worker_threads Worker loads anythread, starts producers, and is
// terminated mid-flight (or exits by itself with calls still queued). The
// main process must neither crash nor hang, and keeps working afterwards.
// Producer threads outliving their environment get Closing and must not
// touch freed memory (the core's state outlives the environment).
// Issue #6, part 3: 100 trials of each (soak: 2,000), on both backends.
import { describe, expect, test } from 'vitest';
import { Worker } from 'node:worker_threads';
import { backends, api, recorder } from './helpers/backends';
import { soak, tally } from './reliability/harness';

const TRIALS = soak ? 2_000 : 100;
const fixture = new URL('./fixtures/teardown-worker.mjs', import.meta.url);

function startWorker(backend: string, exitSoon: boolean) {
  const worker = new Worker(fixture, { workerData: { backend, exitSoon } });
  const started = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  return { worker, started, exited };
}

describe.each(backends)('%s', (backend) => {
  test(`${TRIALS} Workers terminated mid-flight: no crash, no hang`, async ({ task }) => {
    const tl = tally(`teardown ${backend}, terminated mid-flight`);
    tl.summary.calls = null;  // Made inside the Workers, which die with their counts.
    try {
      for (let t = 0; t < TRIALS; t++) {
        await tl.trial(async () => {
          const w = startWorker(backend, false);
          await w.started;
          await new Promise((r) => setTimeout(r, (t * 7) % 20));  // Vary the moment.
          await w.worker.terminate();
          await w.exited;
        }, () => `trial ${t}`);
        tl.summary.trials++;
      }
    } finally {
      tl.report(task);
    }
    // Still working in this process.
    const { callThreadsafeFunction } = await api(backend);
    const rec = recorder(100);
    callThreadsafeFunction(rec.callback);
    expect(await rec.done).toHaveLength(100);
  }, soak ? 3_600_000 : 300_000);

  test(`${TRIALS} Workers exiting by themselves with calls queued`, async ({ task }) => {
    const tl = tally(`teardown ${backend}, exiting with calls queued`);
    tl.summary.calls = null;
    try {
      for (let t = 0; t < TRIALS; t++) {
        await tl.trial(async () => {
          const w = startWorker(backend, true);
          await w.started;
          // A message posted right before process.exit() may be lost: the
          // count is best effort, the exit is what is tested.
          const report = new Promise<{ seen: number } | null>((r) => {
            w.worker.once('message', r);
            w.worker.once('exit', () => r(null));
          });
          expect(await w.exited).toBe(0);
          tl.summary.delivered += (await report)?.seen ?? 0;
        }, () => `trial ${t}`);
        tl.summary.trials++;
      }
    } finally {
      tl.report(task);
    }
  }, soak ? 3_600_000 : 300_000);
});
