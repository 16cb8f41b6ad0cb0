// Scenario: how payloads become JS arguments: scalars, spread tuples (several
// arguments), plain tuples and vectors (one array), object-sourced callbacks,
// and calls from threads started by threads.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';
import type { Loose } from './helpers/api-types';
import { reliability } from './reliability/harness';

const cases = [
  { fn: 'acceptThreadsafeFunction', expected: [null, 1] },
  { fn: 'acceptThreadsafeFunctionFatal', expected: [1] },
  { fn: 'acceptThreadsafeFunctionTupleArgs', expected: [null, 1, false, 'NAPI-RS'] },
  { fn: 'acceptThreadsafeFunctionTupleNoFnArgs', expected: [null, [1, false, 'NAPI-RS']] },
  { fn: 'spawnThreadInThread', expected: [null, 42] },
];

describe.each(backends)('%s', (backend) => {
  test.each(cases)('$fn: JS receives $expected', async ({ fn, expected }) => {
    const mod = (await api(backend)) as unknown as Loose;
    const rec = recorder(1);
    expect(mod[fn](rec.callback)).toBeUndefined();
    expect(await rec.done).toEqual([expected]);
  });

  // Every count of arguments arrives whole and in order (in wasm, up to 4
  // are passed from a buffer on the stack, more from an allocated one).
  test('a converter making 0 to 40 arguments: JS receives (null, ...those)', async () => {
    const m = await reliability(backend);
    const counts = [0, 1, 2, 3, 4, 5, 9, 40];
    const calls = await new Promise<unknown[][]>((resolve) => {
      const got: unknown[][] = [];
      expect(m.manyArguments((...args) => {
        got.push(args);
        if (got.length === counts.length) resolve(got);
      }, { counts })).toBe(counts.length);
    });
    expect(calls).toEqual(counts.map((n) => [null, ...Array.from({ length: n }, (_, i) => 100 * n + i)]));
  });

  test('testThreadsafeFunction: two arrays, blocking and non-blocking, either order', async () => {
    const { testThreadsafeFunction } = await api(backend);
    const rec = recorder(2);
    testThreadsafeFunction(rec.callback);
    const calls = await rec.done;
    expect(calls).toHaveLength(2);
    expect(calls).toEqual(
      expect.arrayContaining([
        [null, [0, 1, 2, 3]],
        [null, [3, 2, 1, 0]],
      ]),
    );
  });

  test('receiveObjectOnlyFromJs: callback(null, count)', async () => {
    const { receiveObjectOnlyFromJs } = await api(backend);
    const rec = recorder(1);
    receiveObjectOnlyFromJs({ count: 7, callback: rec.callback });
    expect(await rec.done).toEqual([[null, 7]]);
  });

  test.each([
    [undefined],
    [{}],
    [{ count: 1 }],
    [{ callback: () => {} }],
    [{ count: '1', callback: () => {} }],
    [[1, () => {}]],
  ])('receiveObjectOnlyFromJs(%j) throws TypeError InvalidArg', async (bad) => {
    const { receiveObjectOnlyFromJs } = await api(backend);
    expect(() => receiveObjectOnlyFromJs(bad as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'InvalidArg' }),
    );
  });

  test('tsfnInEither with a function: called (null, 42) from a thread', async () => {
    const { tsfnInEither } = await api(backend);
    const rec = recorder(1);
    tsfnInEither({ name: 'Tom', kind: 0, eitherTsfn: rec.callback });
    expect(await rec.done).toEqual([[null, 42]]);
  });

  test('tsfnInEither with a string: nothing happens', async () => {
    const { tsfnInEither } = await api(backend);
    expect(tsfnInEither({ name: 'Tom', kind: 0, eitherTsfn: 'not a function' })).toBeUndefined();
  });

  test.each([[undefined], [42], [{ eitherTsfn: 1 }], [{ eitherTsfn: null }]])(
    'tsfnInEither(%j) throws TypeError InvalidArg',
    async (bad) => {
      const { tsfnInEither } = await api(backend);
      expect(() => tsfnInEither(bad as never)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'InvalidArg' }),
      );
    },
  );
});

// A std::vector of numbers becomes an Array of numbers, each element as
// JsTraits<T> makes it (static_cast<double>): the backend builds the Array
// at once (MakeNumberArray; in wasm in one transition from memory).
describe.each(backends)('%s', (backend) => {
  test('vectors of every numeric element type: exact values, -0 and NaN included', async () => {
    const m = await reliability(backend);
    const got = await new Promise<Record<string, number[]>>((resolve) => {
      const seen: Record<string, number[]> = {};
      const calls = m.numberVectors((name, values) => {
        expect(Array.isArray(values)).toBe(true);
        seen[name] = values;
        if (Object.keys(seen).length === 8) resolve(seen);
      });
      expect(calls).toBe(8);
    });
    expect(got).toEqual({
      'double, empty': [],
      double: [-0, 1.5, -2.25, NaN, Infinity, -Infinity, 9007199254740992, 5e-324],
      int64: [-9223372036854775808, -1, 9007199254740992],
      uint32: [0, 4294967295],
      uint8: [0, 255],
      int8: [-128, 127],
      float: [Math.fround(0.1), -3.5],
      'int32, 40': Array.from({ length: 40 }, (_, k) => k * k - 100),
    });
    // toEqual tells -0 from 0 (Object.is); say so where it matters.
    expect(Object.is(got.double[0], -0)).toBe(true);
  });
});
