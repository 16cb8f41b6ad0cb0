// A flood of calls cannot starve the event loop: a drain delivers at most
// 16,384 calls per wake-up and stops a batch once its callbacks have taken
// 8 ms (README, "Notes on semantics"), then yields and comes back. Here every
// call is queued before anything can drain (from the JS thread itself), so
// without those bounds the whole flood would be delivered in one task, before
// any timer. On the numeric fast path (plain numbers, the loop in JS), the
// string and value loops (strings; vectors, tuples and vectors of strings:
// the same loop over an Array),
// the per-item path (a converter), and batched delivery; on every backend.
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { reliability, settled } from './reliability/harness';

const MAX_PER_WAKE_UP = 16_384;
// ... and an Array of values (batched, not numbers) at most this many
// (kMaxValueBatch in threadsafe_function.hpp).
const MAX_VALUE_BATCH = 4_096;
// [name, converter, payload]: the numeric fast path, the string and value
// loops, and the per-item path.
const PATHS = [
  ['numeric fast path', false, 'number'],
  ['string loop', false, 'string'],
  ['value loop (vectors)', false, 'vector'],
  ['value loop (tuples)', false, 'tuple'],
  ['value loop (vectors of strings)', false, 'words'],
  ['per-item path (converter)', true, 'number'],
] as const;

// flood()'s payload 'long': String(i), a space and LONG_CHARS 'é's.
const LONG_CHARS = 32_768;

/** i for String(i) or, from the payload 'long', its string; NaN for
 * anything else. A long string is checked at its ends and middle only: the
 * callback must stay cheap beside the string's making. */
function fromString(v: string) {
  let s = v;
  if (v.length > LONG_CHARS) {
    const space = v.length - LONG_CHARS - 1;
    const tail = [space + 1, space + LONG_CHARS / 2, v.length - 1];
    if (v[space] !== ' ' || tail.some((k) => v[k] !== 'é')) return NaN;
    s = v.slice(0, space);
  }
  return String(Number(s)) === s ? Number(s) : NaN;
}

/** Resolves with the callback's values once `count` have arrived, and with how
 * many had arrived when a timer set right after the flood fired. */
function watch(count: number, onEach?: () => void) {
  const values: number[] = [];
  let atTimer = -1;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const callback = (v: number | string | unknown[] | Uint32Array) => {
    if (typeof v === 'number') values.push(v);
    else if (typeof v === 'string') values.push(fromString(v));
    else if (Array.isArray(v)) {
      // [i] (vectors), [i, String(i)] (tuples) or [String(i)] (vectors of
      // strings).
      if (v.length === 1 && typeof v[0] === 'string') values.push(String(Number(v[0])) === v[0] ? Number(v[0]) : NaN);
      else {
        const ok = v.length === 1 || (v.length === 2 && v[1] === String(v[0]));
        values.push(ok && typeof v[0] === 'number' ? v[0] : NaN);
      }
    }
    else for (const x of v) values.push(x);
    onEach?.();
    if (values.length === count) resolve();
  };
  const armTimer = () => setTimeout(() => (atTimer = values.length), 0);
  return { values, callback, armTimer, done, atTimer: () => atTimer };
}

/** A chain of timers, each noting how many calls had arrived (`seen()`)
 * when it ran, from now until stop(); stop() returns the longest stretch
 * of the `count` calls that arrived with no timer between. */
function timerChain(seen: () => number, count: number) {
  const marks = [0];
  let ticking = true;
  const tick = () => {
    marks.push(seen());
    if (ticking) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  return {
    stop() {
      ticking = false;
      marks.push(count);
      return Math.max(...marks.slice(1).map((mark, k) => mark - marks[k]));
    },
  };
}

function busyWait(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Spin: a slow callback.
  }
}

describe.each(backends)('%s', (backend) => {
  // (Vectors in wasm in Node once took 10-40x their usual time here when
  // the cores were busy, up to 30 s for 400,000: the backend made each
  // vector's Array an element at a time through embind. MakeNumberArray
  // makes it in one step.)
  test.for(PATHS)('%s: a flood of fast callbacks lets a timer run before it ends', async ([, converter, payload]) => {
    const m = await reliability(backend);
    const count = 400_000;
    const w = watch(count);
    expect(m.flood(w.callback, { count, converter, batched: false, payload })).toBe(count);
    w.armTimer();
    await w.done;
    expect(w.atTimer()).toBeGreaterThanOrEqual(0);
    expect(w.atTimer()).toBeLessThan(count);
    // Nothing lost, nothing repeated, in order.
    expect(w.values.every((v, i) => v === i)).toBe(true);
  });

  // Slow callbacks (1 ms each) yield at the 8 ms budget: the loops read the
  // clock at their calls' pace (ClockPacer), so a drain delivers at most 9
  // of them (and a call handed over alone), and between two timers come at
  // most two drains (natively, the one Node's threadsafe function runs and
  // the setImmediate it yields to). Until 2026-11-28 the clock was read
  // every 32 calls (16 on the per-item path): stretches of 64, and a run
  // under 32 (the 30 here) went in one task.
  test.for(PATHS)('%s: slow callbacks yield after the time budget', async ([, converter, payload]) => {
    const m = await reliability(backend);
    for (const count of [200, 30]) {
      const w = watch(count, () => busyWait(1));  // count ms of callbacks in all.
      expect(m.flood(w.callback, { count, converter, batched: false, payload })).toBe(count);
      const timers = timerChain(() => w.values.length, count);
      await w.done;
      expect(timers.stop()).toBeLessThanOrEqual(20);
      expect(w.values.every((v, i) => v === i)).toBe(true);
    }
  });

  // The value loop makes values a chunk at a time and delivers each chunk
  // before making the next. It once made a whole run first: with payloads
  // slow to convert that took the drain's whole time budget, the loop was
  // left none and delivered 32, and later drains made the rest again, so
  // each payload was converted a dozen times (100,000 tuples in wasm took
  // 25 s). Now at most a chunk a drain is made for nothing.
  test('value loop: a payload slow to convert is converted about once', async () => {
    const m = await reliability(backend);
    const count = 3_000;  // About 20 us each to convert: several drains' budgets.
    const w = watch(count);
    expect(m.flood(w.callback, { count, converter: false, batched: false, payload: 'slow' })).toBe(count);
    w.armTimer();
    await w.done;
    expect(w.values.every((v, i) => v === i)).toBe(true);
    expect(w.atTimer()).toBeGreaterThanOrEqual(0);
    expect(w.atTimer()).toBeLessThan(count);  // It yielded meanwhile.
    const conversions = m.floodConversions();
    expect(conversions).toBeGreaterThanOrEqual(count);
    expect(conversions).toBeLessThan(count * 1.5);
  });

  // The string loop makes each string within the drain's time budget. It
  // once made a whole run's strings before the first call, on every
  // backend, then gave the callbacks a budget of their own: with cheap
  // callbacks, one task made and delivered all 1,000 here (400 ms), and no
  // timer ran meanwhile.
  test('string loop: long strings, slow to make, yield after the time budget', async () => {
    const m = await reliability(backend);
    // 64 MiB of UTF-8 to make into strings: some 30-60 us a string where
    // memory is fast (400 us here, where a new page costs 12 us), so a
    // budget of 8 ms makes a few hundred at most.
    const count = 1_000;
    const w = watch(count);
    expect(m.flood(w.callback, { count, converter: false, batched: false, payload: 'long' })).toBe(count);
    // No stretch of deliveries between two timers may hold half of them.
    const timers = timerChain(() => w.values.length, count);
    await w.done;
    expect(timers.stop()).toBeLessThan(count / 2);
    expect(w.values.every((v, i) => v === i)).toBe(true);
  });

  // The same for batches of strings: the backend makes a batch's strings
  // within the budget, and the batch ends there. It once made the whole
  // run into one batch (all 1,000 here, in one task on every backend).
  test('batched delivery: batches of long strings end at the time budget', async () => {
    const m = await reliability(backend);
    const count = 1_000;
    const w = watch(count);
    const sizes: number[] = [];
    const callback = (batch: string[]) => {
      expect(Array.isArray(batch)).toBe(true);
      sizes.push(batch.length);
      for (const s of batch) w.callback(s);
    };
    expect(m.flood(callback, { count, converter: false, batched: true, payload: 'long' })).toBe(count);
    const timers = timerChain(() => w.values.length, count);
    await w.done;
    expect(timers.stop()).toBeLessThan(count / 2);
    expect(Math.max(...sizes)).toBeLessThan(count / 2);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(count);
    expect(w.values.every((v, i) => v === i)).toBe(true);
  });

  // A drain of more values than an Array holds hands over several Arrays
  // (a larger one is a large object to V8: new memory for every batch).
  test.for([
    ['strings', 'string'],
    ['vectors', 'vector'],
    ['tuples', 'tuple'],
  ] as const)('batched delivery: Arrays of %s hold at most 4,096 values, in order', async ([, payload]) => {
    const m = await reliability(backend);
    const count = 40_000;
    const sizes: number[] = [];
    const w = watch(count);
    const callback = (batch: (string | (number | string)[])[]) => {
      expect(Array.isArray(batch)).toBe(true);
      sizes.push(batch.length);
      for (const v of batch) w.callback(v);
    };
    expect(m.flood(callback, { count, converter: false, batched: true, payload })).toBe(count);
    await w.done;
    // Ten drains' worth: at least one Array is filled (a batch ends early
    // only at the 8 ms budget, some 30 times what 4,096 short values take).
    expect(Math.max(...sizes)).toBe(MAX_VALUE_BATCH);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(count);
    expect(w.values.every((v, i) => v === i)).toBe(true);
  });

  test('batched delivery: batches of at most 16,384 calls, in order', async () => {
    const m = await reliability(backend);
    const count = 100_000;
    const sizes: number[] = [];
    const w = watch(count);
    const callback = (v: number | Uint32Array) => {
      expect(v).toBeInstanceOf(Uint32Array);
      sizes.push((v as Uint32Array).length);
      w.callback(v);
    };
    expect(m.flood(callback, { count, converter: false, batched: true })).toBe(count);
    w.armTimer();
    await w.done;
    expect(Math.max(...sizes)).toBe(MAX_PER_WAKE_UP);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(count);
    expect(w.atTimer()).toBeGreaterThanOrEqual(0);
    expect(w.atTimer()).toBeLessThan(count);
    expect(w.values.every((v, i) => v === i)).toBe(true);
  });

  // A drain that yields comes back on a macrotask of its own, which holds
  // the function's state until it has run. Once the function is finalized
  // nothing may hold it longer: its queue's rings (megabytes after a flood)
  // would stay until a garbage collection, which nothing here asks for.
  test.for([
    ['numeric fast path', false, false, 'number'],
    ['string loop', false, false, 'string'],
    ['value loop (vectors)', false, false, 'vector'],
    ['value loop (tuples)', false, false, 'tuple'],
    ['per-item path (converter)', true, false, 'number'],
    ['batched delivery', false, true, 'number'],
  ] as const)('%s: after a flood that yielded, the finalized function lets go of its state', async ([, converter, batched, payload]) => {
    const m = await reliability(backend);
    expect(await settled(m)).toBe(0);  // Earlier tests' functions are gone too.
    const count = 100_000;  // Several wake-ups: the drain yields in between.
    const w = watch(count);
    expect(m.flood(w.callback, { count, converter, batched, payload })).toBe(count);
    expect(m.liveFunctions()).toBe(1);
    await w.done;
    expect(await settled(m)).toBe(0);
    expect(w.values.every((v, i) => v === i)).toBe(true);
  });

  test('flood rejects bad options with a TypeError or RangeError', async () => {
    const m = await reliability(backend);
    const cb = () => {};
    expect(() => m.flood(cb, { count: -1, converter: false, batched: false })).toThrow(RangeError);
    expect(() =>
      m.flood(cb, { count: 1, converter: 'yes' as unknown as boolean, batched: false }),
    ).toThrow(TypeError);
    expect(() =>
      m.flood(cb, { count: 1, converter: false, batched: false, payload: 'text' as unknown as 'string' }),
    ).toThrow(TypeError);
    expect(() => m.floodAbort()).toThrow(TypeError);  // None kept.
  });
});
