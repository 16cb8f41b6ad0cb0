// Batched delivery hands each batch over in the typed array of the payload's
// C++ type: 8-, 16- and 32-bit integers in the typed array of their size and
// signedness, float in a Float32Array, double in a Float64Array; 64-bit
// integers in a Float64Array (numbers, as per-item delivery gives them), and
// long and size_t too, whose size differs between wasm32 and native: one
// source gives JS the same array on every backend.
// The values arrive unchanged, extremes included, whether the batch is kept
// or lent. On every backend.
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { reliability } from './reliability/harness';

type TypedArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array;

const cases: { type: string; array: new (n: number) => TypedArray; values: number[] }[] = [
  { type: 'int8_t', array: Int8Array, values: [-128, -1, 0, 1, 127] },
  { type: 'uint8_t', array: Uint8Array, values: [0, 1, 128, 255] },
  { type: 'int16_t', array: Int16Array, values: [-32768, -1, 0, 32767] },
  { type: 'uint16_t', array: Uint16Array, values: [0, 1, 65535] },
  { type: 'int32_t', array: Int32Array, values: [-(2 ** 31), -1, 0, 2 ** 31 - 1] },
  { type: 'uint32_t', array: Uint32Array, values: [0, 1, 2 ** 32 - 1] },
  // Values a float holds exactly, and one it rounds (as Math.fround does).
  { type: 'float', array: Float32Array, values: [-1.5, 0.25, 3e38, 0.1] },
  { type: 'double', array: Float64Array, values: [-2.5, 0.1, 1e300, -0] },
  { type: 'int64_t', array: Float64Array, values: [-(2 ** 53), -1, 0, 2 ** 53] },
  { type: 'uint64_t', array: Float64Array, values: [0, 1, 2 ** 53] },
  // 4 bytes in wasm32 and 8 natively: the same array on every backend.
  { type: 'long', array: Float64Array, values: [-(2 ** 31), -1, 0, 2 ** 31 - 1] },
  { type: 'size_t', array: Float64Array, values: [0, 1, 2 ** 32 - 1] },
];

/** Queues `values` as one batch of `type`; resolves with what the callback
 * saw inside it (the array, its constructor's name, its values). */
async function deliver(
  m: Awaited<ReturnType<typeof reliability>>,
  type: string,
  values: number[],
  lend: boolean,
) {
  let resolve!: (seen: { array: ArrayBufferView; name: string; values: number[] }) => void;
  const seen = new Promise<{ array: ArrayBufferView; name: string; values: number[] }>(
    (r) => (resolve = r),
  );
  const callback = (batch: ArrayBufferView) => {
    resolve({
      array: batch,
      name: batch.constructor.name,
      values: Array.from(batch as unknown as ArrayLike<number>),
    });
  };
  expect(m.typedBatch(callback, { type, values, lend })).toBe(values.length);
  return seen;
}

/** Queues `values` as calls of a value payload (strings; null makes an
 * error); resolves, once every call has arrived, with what the callback got
 * in order: each batch (an Array), or an error as { code, message }. A
 * drain may end a batch early at its time budget (8 ms: in wasm the first,
 * cold conversions can take that long), so a run of values may come in
 * more than one batch; callers check the order and each batch's form. */
async function valueBatches(
  m: Awaited<ReturnType<typeof reliability>>,
  values: (string | null)[],
  spread: boolean,
) {
  const seen: unknown[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  let count = 0;
  const accepted = m.valueBatch((err, batch) => {
    if (err) {
      seen.push({ code: (err as Error & { code: string }).code, message: err.message });
      count += 1;
    } else {
      expect(Array.isArray(batch)).toBe(true);
      seen.push(batch);
      count += (batch as unknown[]).length;
    }
    if (count === values.length) resolve();
  }, { values, spread });
  expect(accepted).toBe(values.length);
  await done;
  return seen;
}

/** The batches' items in order, an error between them as itself. */
const flatBatches = (seen: unknown[]) =>
  seen.flatMap((entry) => (Array.isArray(entry) ? entry : [entry]));

describe.each(backends)('%s', (backend) => {
  describe.each([false, true])('lent: %s', (lend) => {
    test.each(cases)('$type arrives as $array.name', async ({ type, array, values }) => {
      const m = await reliability(backend);
      const seen = await deliver(m, type, values, lend);
      expect(seen.name).toBe(array.name);
      expect(seen.array).toBeInstanceOf(array);
      const expected = array === Float32Array ? values.map(Math.fround) : values;
      expect(seen.values).toEqual(expected);
      // A kept batch keeps its values; a lent one reads as empty afterwards.
      expect((seen.array as TypedArray).length).toBe(lend ? 0 : values.length);
    });
  });

  // Calls with a consumer (CallWithReturnValue, CallAsync) come in batches
  // of their own, so the callback always gets a batch and each consumer
  // the callback's result for its call; an error comes alone, as the
  // error argument. In order, kept or lent.
  test.each([false, true])('calls with consumers still arrive in batches (lent: %s)', async (lend) => {
    const m = await reliability(backend);
    const seen: (string | number[])[] = [];
    const results = await m.batchedWithConsumers((err, batch) => {
      if (err) {
        seen.push(`error ${err.message}`);
        return undefined;
      }
      expect(batch).toBeInstanceOf(Uint32Array);
      const values = Array.from(batch!);
      seen.push(values);
      return values.length === 1 ? values[0] * 10 : -3;
    }, { lend });
    // 4 and 5 may come in one batch or two, as the drains fall.
    const flat = seen.flatMap((s) => (typeof s === 'string' ? [s] : s.map(String)));
    expect(flat).toEqual(['1', '2', 'error three', '4', '5', '6']);
    expect(seen).toContainEqual([2]);
    expect(seen).toContainEqual([6]);
    expect(results).toEqual([20, 60]);
  });

  // Every other payload comes in an Array, one element per call: its one
  // argument, or an array of its arguments (Spread). An error ends a batch
  // and comes alone, as the error argument; order is kept.
  test('strings arrive in arrays, an error alone between them', async () => {
    const m = await reliability(backend);
    const seen = await valueBatches(m, ['a', 'b', null, 'c', 'd', 'e'], false);
    // The error ends a batch: no batch holds values from both sides of it.
    const error = { code: 'Missing', message: 'no value at 2' };
    const at = seen.findIndex((entry) => !Array.isArray(entry));
    expect(seen[at]).toEqual(error);
    expect(flatBatches(seen.slice(0, at))).toEqual(['a', 'b']);
    expect(flatBatches(seen.slice(at + 1))).toEqual(['c', 'd', 'e']);
    expect(Array.isArray(seen[0])).toBe(true);
  });

  test('bool, not a number, arrives in an Array of booleans', async () => {
    const m = await reliability(backend);
    const seen = await deliver(m, 'bool', [1, 0, 1], false);
    expect(seen.name).toBe('Array');
    expect(seen.values).toEqual([true, false, true]);
  });

  test('strings keep every character: non-ASCII, NUL, long and empty ones', async () => {
    const m = await reliability(backend);
    const values = [
      'plain', 'é', '日本語のログ', '😀 emoji', 'nul\0inside', 'ascii then é',
      'x'.repeat(63) + 'é', 'y'.repeat(200), '', 'ä'.repeat(100),
    ];
    const seen = await valueBatches(m, values, false);
    expect(flatBatches(seen)).toEqual(values);
  });

  // The same strings one call per item: the string loop makes them (in
  // wasm from their bytes, in the glue), and an error splits its run.
  test('strings keep every character one call per item too, an error amid them', async () => {
    const m = await reliability(backend);
    const values = [
      'plain', 'é', '日本語のログ', '😀 emoji', 'nul\0inside', null, 'ascii then é',
      'x'.repeat(63) + 'é', 'y'.repeat(200), '', 'ä'.repeat(100),
    ];
    const seen = await new Promise<unknown[]>((resolve) => {
      const got: unknown[] = [];
      m.valueBatch((err, s) => {
        got.push(err ? `error: ${err.message}` : s);
        if (got.length === values.length) resolve(got);
      }, { values, spread: false, perItem: true });
    });
    expect(seen).toEqual(values.map((v, i) => v ?? `error: no value at ${i}`));
  });

  // Natively an Array is built in JS from chunks of 1024 values: a batch
  // of 3000 crosses two chunk boundaries.
  test('a long batch of strings arrives whole, in order', async () => {
    const m = await reliability(backend);
    const values = Array.from({ length: 3000 }, (_, i) => `line ${i}`);
    const batches = await new Promise<string[][]>((resolve, reject) => {
      const seen: string[][] = [];
      let count = 0;
      m.valueBatch((err, b) => {
        if (err) return reject(err);
        seen.push(b as string[]);
        count += (b as string[]).length;
        if (count === values.length) resolve(seen);
      }, { values, spread: false });
    });
    expect(batches.flat()).toEqual(values);
    // One drain takes 16,384 calls or 8 ms: natively 3000 short strings
    // take about 1 ms, so the first batch spans the chunks. (In wasm, the
    // first, cold conversions can fill the 8 ms sooner; no chunks there.)
    if (backend === 'native') expect(batches[0].length).toBeGreaterThan(2048);
  });

  test('a payload of several arguments arrives as an array per call', async () => {
    const m = await reliability(backend);
    const seen = await valueBatches(m, ['x', 'y', 'z'], true);
    expect(flatBatches(seen)).toEqual([[0, 'x'], [1, 'y'], [2, 'z']]);
  });

  test('lending needs a typed array, and bad options are refused', async () => {
    const m = await reliability(backend);
    const cb = () => {};
    // bool is not numeric: its batches are arrays of values, which cannot be lent.
    expect(() => m.typedBatch(cb, { type: 'bool', values: [1], lend: true })).toThrow(
      /Lent batches need a numeric payload/,
    );
    expect(() => m.typedBatch(cb, { type: 'int128', values: [1], lend: false })).toThrow(RangeError);
    expect(() =>
      m.typedBatch(cb, { type: 'int8_t', values: ['1' as unknown as number], lend: false }),
    ).toThrow(TypeError);
  });
});
