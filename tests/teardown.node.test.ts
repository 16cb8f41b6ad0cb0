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

// A trial stage that takes this long is a hang: fail it, saying which stage.
const STAGE_LIMIT_MS = 30_000;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`hang: ${what} took over ${STAGE_LIMIT_MS} ms`)),
      STAGE_LIMIT_MS,
    );
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// Every listener is attached here, when the Worker is made: a Worker that
// exits before this thread handled its messages has them delivered, its
// listeners removed and 'exit' emitted all in one macrotask (Node's
// kOnExit), so a listener attached after `await started` would never fire.
function startWorker(backend: string, exitSoon: boolean) {
  const worker = new Worker(fixture, { workerData: { backend, exitSoon } });
  const messages: unknown[] = [];
  let onFirst: (() => void) | undefined;
  worker.on('message', (m) => {
    messages.push(m);
    onFirst?.();
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const started = new Promise<void>((resolve, reject) => {
    onFirst = resolve;
    worker.once('error', reject);
    void exited.then((code) => {
      if (messages.length === 0) {
        reject(new Error(`the Worker exited (code ${code}) before it started`));
      }
    });
  });
  return {
    worker,
    messages,
    started: within(started, 'the Worker starting'),
    exited: () => within(exited, 'the Worker exiting'),
  };
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
          await within(w.worker.terminate(), 'terminate()');
          await w.exited();
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
          expect(await w.exited()).toBe(0);
          // The count the Worker posts right before process.exit() is best
          // effort (a Worker may stop before posting it): the exit is what
          // is tested.
          const report = w.messages.find((m): m is { seen: number } =>
            typeof m === 'object' && m !== null && 'seen' in m);
          tl.summary.delivered += report?.seen ?? 0;
        }, () => `trial ${t}`);
        tl.summary.trials++;
      }
    } finally {
      tl.report(task);
    }
  }, soak ? 3_600_000 : 300_000);
});
