// The numeric fast path (plain numbers, no converter, one call per item)
// hands a run of values to a loop in JS that calls the callback for each.
// Those values travel in one Float64Array per environment (natively) or per
// module instance (wasm), reused from batch to batch and grown when a longer
// run comes (a fresh array per batch cost an allocation per batch, on new
// pages). Reuse must not show: every value arrives, in order, whatever the
// lengths of the runs before it; and no callback can reach the array
// (natively the loop is strict code, so a sloppy callback's `caller` is
// null; in wasm the array is no argument of the loop). On every backend.
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { reliability } from './reliability/harness';

/** Queues `count` calls carrying 0..count-1 from the JS thread (all queued
 * before any drain: one run per wake-up, up to 16,384) and resolves with
 * the values the callback saw. */
async function run(
  m: Awaited<ReturnType<typeof reliability>>,
  count: number,
  callback?: (v: number) => void,
): Promise<number[]> {
  const values: number[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const cb = (v: number) => {
    values.push(v);
    callback?.(v);
    if (values.length === count) resolve();
  };
  expect(m.flood(cb, { count, converter: false, batched: false })).toBe(count);
  await done;
  return values;
}

describe.each(backends)('%s', (backend) => {
  test('runs of changing length, one after another: every value, in order', async () => {
    const m = await reliability(backend);
    // Short, then longer than any before (the values' array grows), then
    // short again (a shorter run in the grown array), then the longest.
    for (const count of [40, 3_000, 70, 16_384, 9, 12_000]) {
      const values = await run(m, count);
      expect(values.length).toBe(count);
      expect(values.every((v, i) => v === i)).toBe(true);
    }
  });

  test('a callback cannot reach the array of values through its caller', async () => {
    const m = await reliability(backend);
    // The callback itself in sloppy mode (test modules are strict): its
    // `caller` is the function that called it, unless that one is strict
    // (then null). It records the value and whether a typed array was in
    // reach among its caller's arguments.
    const count = 500;
    const seen: { values: number[]; reached: boolean[]; done?: () => void } = { values: [], reached: [] };
    const done = new Promise<void>((r) => (seen.done = r));
    (globalThis as Record<string, unknown>).__fastPathSeen = seen;
    const probe = new Function(
      'v',
      'var s = globalThis.__fastPathSeen, c = arguments.callee.caller;' +
        'var args = c && c.arguments ? Array.prototype.slice.call(c.arguments) : [];' +
        's.values.push(v);' +
        's.reached.push(args.some(function (a) { return ArrayBuffer.isView(a); }));' +
        `if (s.values.length === ${count}) s.done();`,
    ) as (v: number) => void;
    try {
      expect(m.flood(probe, { count, converter: false, batched: false })).toBe(count);
      await done;
      expect(seen.values.every((v, i) => v === i)).toBe(true);
      expect(seen.reached.length).toBe(count);
      expect(seen.reached.every((reached) => reached === false)).toBe(true);
    } finally {
      delete (globalThis as Record<string, unknown>).__fastPathSeen;
    }
  });
});
