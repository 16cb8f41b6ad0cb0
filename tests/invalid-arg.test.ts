// Scenario: every export given something that is not a function where it
// expects a callback, and bad numbers where it expects counts: a synchronous
// TypeError or RangeError with a code, never a crash or a rejected promise.
import { describe, expect, test } from 'vitest';
import { api, backends } from './helpers/backends';
import type { Loose } from './helpers/api-types';

import EXPORTS from '../js/exports.json';

const notFunctions: Array<[string, unknown]> = [
  ['undefined', undefined],
  ['null', null],
  ['a number', 42],
  ['NaN', NaN],
  ['a string', 'callback'],
  ['an object', { call() {} }],
  ['an array', [() => {}]],
  ['a symbol', Symbol('f')],
  ['a bigint', 10n],
  ['a boolean', true],
];

// How to pass a bad callback to each export (default: as the only argument).
const withBadCallback: Record<string, (m: Loose, bad: unknown) => unknown> = {
  threadsafeFunctionClosureCapture: (m, bad) => m.threadsafeFunctionClosureCapture({}, bad),
  callbackReturnPromise: (m, bad) => m.callbackReturnPromise(() => 1, bad),
  testWorkers: (m, bad) => m.testWorkers(1, bad),
  tsfnCallSync: (m, bad) => m.tsfnCallSync(bad, 1),
  tsfnAbort: (m, bad) => m.tsfnAbort(bad, 1, 1),
  A: (m, bad) => new m.A(bad),
};
// Exports with no callback parameter of their own (tested elsewhere:
// argument-shapes.test.ts and beyond-anchors.test.ts).
const noCallback = new Set(['tsfnInEither', 'receiveObjectOnlyFromJs', 'tsfnQueueStatuses']);
const callbackExports = EXPORTS.filter((n) => !noCallback.has(n));

describe.each(backends)('%s', (backend) => {
  describe.each(callbackExports)('%s', (name) => {
    test.each(notFunctions)('throws TypeError InvalidArg for %s', async (_label, bad) => {
      const mod = (await api(backend)) as unknown as Loose;
      const call = withBadCallback[name] ?? ((m: Loose, b: unknown) => m[name](b));
      let thrown: any;
      let returned: unknown;
      try {
        returned = call(mod, bad);
      } catch (err) {
        thrown = err;
      }
      expect(returned).toBeUndefined(); // Not a (rejected) promise.
      expect(thrown).toBeInstanceOf(TypeError);
      expect(thrown.code).toBe('InvalidArg');
      expect(thrown.message).toMatch(/must be a function/);
    });

    test('throws TypeError InvalidArg with no argument at all', async () => {
      const mod = (await api(backend)) as unknown as Loose;
      const call = name === 'A' ? () => new mod.A() : () => mod[name]();
      expect(call).toThrow(expect.objectContaining({ name: 'TypeError', code: 'InvalidArg' }));
    });
  });

  test('callbackReturnPromise checks fn as well', async () => {
    const { callbackReturnPromise } = await api(backend);
    expect(() => callbackReturnPromise(1 as never, () => {})).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'InvalidArg' }),
    );
  });

  test.each([
    ['testWorkers', (m: Loose) => m.testWorkers(-1, () => {}), RangeError],
    ['testWorkers', (m: Loose) => m.testWorkers(1.5, () => {}), RangeError],
    ['testWorkers', (m: Loose) => m.testWorkers(NaN, () => {}), RangeError],
    ['testWorkers', (m: Loose) => m.testWorkers(1e9, () => {}), RangeError],
    ['testWorkers', (m: Loose) => m.testWorkers('2', () => {}), TypeError],
    ['tsfnQueueStatuses', (m: Loose) => m.tsfnQueueStatuses(-1, 1), RangeError],
    ['tsfnQueueStatuses', (m: Loose) => m.tsfnQueueStatuses(1, Infinity), RangeError],
    ['tsfnQueueStatuses', (m: Loose) => m.tsfnQueueStatuses({}, 1), TypeError],
    ['tsfnQueueStatuses', (m: Loose) => m.tsfnQueueStatuses(), TypeError],
    ['tsfnAbort', (m: Loose) => m.tsfnAbort(() => {}, 0, 1), RangeError],
    ['tsfnAbort', (m: Loose) => m.tsfnAbort(() => {}, 1, -5), RangeError],
    ['tsfnAbort', (m: Loose) => m.tsfnAbort(() => {}, null, 1), TypeError],
  ])('%s with a bad count throws %O with code InvalidArg', async (_n, call, kind) => {
    const mod = (await api(backend)) as unknown as Loose;
    let thrown: any;
    try {
      call(mod);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(kind);
    expect(thrown.code).toBe('InvalidArg');
  });

  test('A without new, and A.prototype.call on a foreign object, are TypeErrors', async () => {
    const { A } = (await api(backend)) as unknown as Loose;
    expect(() => (A as unknown as (cb: unknown) => unknown)(() => {})).toThrow(TypeError);
    expect(() => A.prototype.call.call({})).toThrow(TypeError);
  });
});
