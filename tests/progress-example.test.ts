// Scenario: examples/progress, a user's own module built with
// anythread_add_module() outside our sources: a buffer checksummed in chunks
// on several threads, progress reported through a bounded threadsafe
// function, the result through a promise. Node: both backends (loadModule);
// Chromium: its web build.
import { describe, expect, test } from 'vitest';
import { backends, isBrowser } from './helpers/backends';
import { expectedChecksum } from '../examples/progress/checksum.mjs';
import type { BackendName } from '../js/types';

type Progress = {
  processBuffer(
    size: number,
    options: { chunkSize: number; threads: number },
    onProgress: (err: Error | null, done: number, total: number) => void,
  ): Promise<number>;
};

async function loadProgress(backend: BackendName): Promise<Progress> {
  if (isBrowser) {
    const { loadProgress: load } = await import('../examples/progress/web.mjs');
    return (await load()) as Progress;
  }
  const { loadModule } = await import('../js/index.mjs');
  const dir = decodeURIComponent(new URL('../examples/progress/dist', import.meta.url).pathname);
  const loaded = await (loadModule as (o: object) => Promise<{ exports: Progress; backend: string }>)({
    name: 'progress',
    dir,
    order: [backend],
  });
  expect(loaded.backend).toBe(backend);
  return loaded.exports;
}

describe.each(backends)('%s', (backend) => {
  test.each([
    { size: 1 << 20, chunkSize: 16 << 10, threads: 4 },
    { size: 100_003, chunkSize: 1000, threads: 3 },
    { size: 10, chunkSize: 64, threads: 8 },
  ])('checksums $size bytes in chunks of $chunkSize on $threads threads, reporting each chunk', async (c) => {
    const progress = await loadProgress(backend);
    const total = Math.ceil(c.size / c.chunkSize);
    const seen: number[] = [];
    const checksum = await progress.processBuffer(c.size, c, (err, done, t) => {
      expect(err).toBeNull();
      expect(t).toBe(total);
      seen.push(done);
    });
    // The promise settles after the last progress call has run, not before.
    expect(checksum).toBe(expectedChecksum(c.size));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  // The race the CI once hit in the browser demo (1023 of 1024 reported when
  // the promise settled): the thread finishing the last chunk resolved while
  // another thread's last progress call was not yet delivered.
  test('every run: all progress calls have run when the promise settles (200 runs, 8 threads)', async () => {
    const progress = await loadProgress(backend);
    const short: string[] = [];
    for (let run = 0; run < 200; run++) {
      let seen = 0;
      const checksum = await progress.processBuffer(64 << 10, { chunkSize: 1024, threads: 8 }, () => seen++);
      expect(checksum).toBe(expectedChecksum(64 << 10));
      if (seen !== 64) short.push(`run ${run}: ${seen}/64`);
    }
    expect(short).toEqual([]);
  });

  test('an empty buffer resolves with 0 and reports nothing', async () => {
    const progress = await loadProgress(backend);
    let calls = 0;
    await expect(progress.processBuffer(0, { chunkSize: 8, threads: 2 }, () => calls++)).resolves.toBe(0);
    expect(calls).toBe(0);
  });

  test.each([
    ['a negative size', [-1, { chunkSize: 8, threads: 1 }, () => {}], RangeError],
    ['a fractional chunk size', [10, { chunkSize: 1.5, threads: 1 }, () => {}], RangeError],
    ['zero threads', [10, { chunkSize: 8, threads: 0 }, () => {}], RangeError],
    ['no options', [10, undefined, () => {}], TypeError],
    ['a string size', ['10', { chunkSize: 8, threads: 1 }, () => {}], TypeError],
    ['no callback', [10, { chunkSize: 8, threads: 1 }], TypeError],
  ])('%s throws %O with code InvalidArg', async (_l, args, kind) => {
    const progress = await loadProgress(backend);
    let thrown: any;
    try {
      (progress.processBuffer as (...a: unknown[]) => unknown)(...(args as unknown[]));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(kind);
    expect(thrown.code).toBe('InvalidArg');
  });
});
