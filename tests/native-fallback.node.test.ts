// Natively, a run of values (numbers, strings, other one-value payloads) is
// delivered by a small JS loop, compiled once per environment and fed
// through a Float64Array. When either cannot be had (the helper fails to
// compile, no memory for the array), each run goes by direct calls
// instead, and those must stop as the loop does: at an abort from a
// callback (the last of a chunk included: the string loop makes and
// delivers up to 256 strings at a time), and once the drain's time budget
// is spent (the clock read at the calls' pace). They once did neither: an abort went on to
// the end of the run, and 200 callbacks of 1 ms each ran in one task.
// The module here is the reliability module built with the loop withheld
// (ANYTHREAD_TEST_NO_JS_LOOP, tests/reliability/module/CMakeLists.txt).
// Native only: wasm has no such fallback (its loops are glue functions).
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { type ReliabilityModule, settled } from './reliability/harness';

async function fallbackModule(): Promise<ReliabilityModule> {
  const { loadModule } = await import('../js/index.mjs');
  const dir = fileURLToPath(new URL('./reliability/dist/fallback', import.meta.url));
  const loaded = (await loadModule({ name: 'reliability', dir, order: ['native'] })) as {
    exports: ReliabilityModule;
    backend: string;
  };
  expect(loaded.backend).toBe('native');
  return loaded.exports;
}

type Payload = 'number' | 'string' | 'vector';
const PAYLOADS = [
  ['numbers', 'number'],
  ['strings', 'string'],
  ['vectors', 'vector'],
] as const;

/** i from call i's value (i, String(i) or [i]); NaN for anything else. */
function valueOf(v: unknown, payload: Payload) {
  if (payload === 'number') return typeof v === 'number' ? v : NaN;
  if (payload === 'string') return typeof v === 'string' && String(Number(v)) === v ? Number(v) : NaN;
  return Array.isArray(v) && v.length === 1 && typeof v[0] === 'number' ? v[0] : NaN;
}

describe('native, without the JS loop', () => {
  test.for(PAYLOADS)('%s: a run arrives whole and in order', async ([, payload]) => {
    const m = await fallbackModule();
    const count = 3_000;
    const values: number[] = [];
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const cb = (v: unknown) => {
      values.push(valueOf(v, payload));
      if (values.length === count) resolve();
    };
    expect(m.flood(cb, { count, converter: false, batched: false, payload })).toBe(count);
    await done;
    expect(values.every((v, i) => v === i)).toBe(true);
  });

  // At a call in the middle of a run, and at the first chunk's last call
  // (the first call is handed over alone, so the run's first chunk ends at
  // call 256).
  test.for(PAYLOADS)('%s: an abort from a callback stops the run at that call', async ([, payload]) => {
    const m = await fallbackModule();
    for (const abortAt of [1_234, 256]) {
      expect(await settled(m)).toBe(0);
      const count = 5_000;
      const values: number[] = [];
      const statuses: string[] = [];
      const cb = (v: unknown) => {
        values.push(valueOf(v, payload));
        if (values.length === abortAt + 1) statuses.push(m.floodAbort());
      };
      expect(m.flood(cb, { count, converter: false, batched: false, payload, keep: true })).toBe(count);
      expect(await settled(m)).toBe(0);  // Finalized: nothing more can come.
      expect(statuses).toEqual(['Ok']);
      expect(values.length).toBe(abortAt + 1);
      expect(values.every((v, i) => v === i)).toBe(true);
    }
  });

  test.for(PAYLOADS)('%s: slow callbacks yield after the time budget', async ([, payload]) => {
    const m = await fallbackModule();
    const count = 200;  // 1 ms each: 200 ms of callbacks in all.
    const values: number[] = [];
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const cb = (v: unknown) => {
      values.push(valueOf(v, payload));
      const until = performance.now() + 1;
      while (performance.now() < until) {
        // Spin: a slow callback.
      }
      if (values.length === count) resolve();
    };
    expect(m.flood(cb, { count, converter: false, batched: false, payload })).toBe(count);
    let atTimer = -1;
    setTimeout(() => (atTimer = values.length), 0);
    await done;
    // The clock read at the calls' pace: at most 9 in a drain (and a call
    // handed over alone), two drains before the timer (the first, and the
    // setImmediate it yields to). Read every 32 calls, it ran 64.
    expect(atTimer).toBeGreaterThanOrEqual(0);
    expect(atTimer).toBeLessThanOrEqual(20);
    expect(values.every((v, i) => v === i)).toBe(true);
  });
});
