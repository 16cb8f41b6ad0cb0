// The numeric fast path (plain numbers, no converter, one call per item)
// hands a run of values to a loop in JS that calls the callback for each.
// Those values travel in one Float64Array per environment (natively) or per
// module instance (wasm), reused from batch to batch and grown when a longer
// run comes (a fresh array per batch cost an allocation per batch, on new
// pages). Reuse must not show: every value arrives, in order, whatever the
// lengths of the runs before it; and no callback can reach the array
// (natively the loop is strict code, so a sloppy callback's `caller` is
// null; in wasm the array is no argument of the loop). Other one-value
// payloads take the same loop over an Array of their values, with a stop
// slot of its own: std::strings the string loop (in wasm the loop makes
// the strings from their bytes), others (vectors here) the value loop. The
// same holds for them, and an abort from a callback stops any of the
// loops at once. On every backend.
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { reliability, settled } from './reliability/harness';

type Module = Awaited<ReturnType<typeof reliability>>;

type Payload = 'number' | 'string' | 'vector';

/** Queues `count` calls carrying 0..count-1 (as numbers, strings or
 * one-element arrays) from the JS thread (all queued before any drain: one
 * run per wake-up, up to 16,384) and resolves with the values the callback
 * saw. */
async function run(m: Module, count: number, payload: Payload): Promise<unknown[]> {
  const values: unknown[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const cb = (v: unknown) => {
    values.push(v);
    if (values.length === count) resolve();
  };
  expect(m.flood(cb, { count, converter: false, batched: false, payload })).toBe(count);
  await done;
  return values;
}

/** Whether values[i] is call i's value (i, String(i) or [i]) for every i. */
const inOrder = (values: unknown[], payload: Payload) =>
  values.every((v, i) =>
    payload === 'vector'
      ? Array.isArray(v) && v.length === 1 && v[0] === i
      : v === (payload === 'string' ? String(i) : i),
  );

// [name, payload]: the numeric fast path, the string loop, the value loop.
const LOOPS = [
  ['numeric fast path', 'number'],
  ['string loop', 'string'],
  ['value loop (vectors)', 'vector'],
] as const;

describe.each(backends)('%s', (backend) => {
  test.for(LOOPS)('%s: runs of changing length, one after another: every value, in order', async ([, payload]) => {
    const m = await reliability(backend);
    // Short, then longer than any before (the values' array grows), then
    // short again (a shorter run in the grown array), then the longest.
    for (const count of [40, 3_000, 70, 16_384, 9, 12_000]) {
      const values = await run(m, count, payload);
      expect(values.length).toBe(count);
      expect(inOrder(values, payload)).toBe(true);
    }
  });

  // At a call in the middle of a run, and at its first chunk's last call:
  // the value loop, and natively the string loop, make and deliver up to
  // 256 values at a time, and the next chunk must not start. (The first
  // call is handed over alone, as an idle call is; the run holds the rest,
  // so its first chunk ends at call 256. Natively the string loop once went
  // on there, to the end of the flood.)
  test.for(LOOPS)('%s: an abort from a callback stops the loop at that call', async ([, payload]) => {
    const m = await reliability(backend);
    for (const abortAt of [1_234, 256]) {
      expect(await settled(m)).toBe(0);
      const count = 5_000;
      const values: unknown[] = [];
      const statuses: string[] = [];
      const cb = (v: unknown) => {
        values.push(v);
        if (values.length === abortAt + 1) statuses.push(m.floodAbort());
      };
      // One run: every call is queued before the first drain.
      expect(m.flood(cb, { count, converter: false, batched: false, payload, keep: true })).toBe(count);
      expect(await settled(m)).toBe(0);  // Finalized: nothing more can come.
      expect(statuses).toEqual(['Ok']);
      expect(values.length).toBe(abortAt + 1);
      expect(inOrder(values, payload)).toBe(true);
    }
  });

  test.for(LOOPS)('%s: a callback cannot reach the values or the stop slot through its caller', async ([, payload]) => {
    const m = await reliability(backend);
    // The callback itself in sloppy mode (test modules are strict): its
    // `caller` is the function that called it, unless that one is strict
    // (then null). It records the value and whether a typed array or an
    // Array (the values, the stop slot, a view of the wasm heap) was in
    // reach among its caller's arguments.
    const count = 500;
    const seen: { values: unknown[]; reached: boolean[]; done?: () => void } = { values: [], reached: [] };
    const done = new Promise<void>((r) => (seen.done = r));
    (globalThis as Record<string, unknown>).__fastPathSeen = seen;
    const probe = new Function(
      'v',
      'var s = globalThis.__fastPathSeen, c = arguments.callee.caller;' +
        'var args = c && c.arguments ? Array.prototype.slice.call(c.arguments) : [];' +
        's.values.push(v);' +
        's.reached.push(args.some(function (a) { return ArrayBuffer.isView(a) || Array.isArray(a); }));' +
        `if (s.values.length === ${count}) s.done();`,
    ) as (v: unknown) => void;
    try {
      expect(m.flood(probe, { count, converter: false, batched: false, payload })).toBe(count);
      await done;
      expect(inOrder(seen.values, payload)).toBe(true);
      expect(seen.reached.length).toBe(count);
      expect(seen.reached.every((reached) => reached === false)).toBe(true);
    } finally {
      delete (globalThis as Record<string, unknown>).__fastPathSeen;
    }
  });
});
