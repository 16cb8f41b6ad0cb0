// Scenario: awaited calls whose callback returns a promise: the native side
// awaits it (with or without a timeout) or inspects the returned value.
import { describe, expect, test } from 'vitest';
import { api, backends, watchUnhandledRejections } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('tsfnReturnPromise: the promised value + 2', async () => {
    const { tsfnReturnPromise } = await api(backend);
    const seen: unknown[][] = [];
    const result = await tsfnReturnPromise((...args) => {
      seen.push(args);
      return Promise.resolve((args[1] as number) + 2);
    });
    expect(seen).toEqual([[null, 1]]);
    expect(result).toBe(5);
  });

  test('tsfnReturnPromise: a rejected promise rejects with the same value', async () => {
    const { tsfnReturnPromise } = await api(backend);
    const reason = new Error('no');
    await expect(tsfnReturnPromise(() => Promise.reject(reason))).rejects.toBe(reason);
  });

  test('tsfnReturnPromise: a thenable is awaited too', async () => {
    const { tsfnReturnPromise } = await api(backend);
    const thenable = { then: (ok: (v: number) => void) => setTimeout(() => ok(40), 10) };
    await expect(tsfnReturnPromise((() => thenable) as never)).resolves.toBe(42);
  });

  test('tsfnReturnPromiseTimeout: a slow promise rejects with Error "Timeout"; the late settlement is harmless', async () => {
    const { tsfnReturnPromiseTimeout } = await api(backend);
    const unhandled = watchUnhandledRejections();
    let settleLate!: () => void;
    const late = new Promise<void>((r) => (settleLate = r));
    try {
      const err = await tsfnReturnPromiseTimeout(
        () => new Promise<number>((resolve) => setTimeout(() => {
          resolve(1);
          settleLate();
        }, 300)),
      ).then(() => null, (e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toBe('Timeout');
      expect(err.code).toBe('Timeout');
      await late;
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled.seen).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  test.each([
    ['an object', () => ({}), 110],
    ['an array', () => [], 110],
    ['a number', () => 1, 100],
    ['undefined', () => undefined, 100],
    ['a promise of an object', () => Promise.resolve({}), 110],
  ])('callAsyncWithUnknownReturnValue: %s gives %i', async (_l, ret, expected) => {
    const { callAsyncWithUnknownReturnValue } = await api(backend);
    const seen: unknown[][] = [];
    const result = await callAsyncWithUnknownReturnValue((...args) => {
      seen.push(args);
      return ret();
    });
    expect(seen).toEqual([[null, 42]]);
    expect(result).toBe(expected);
  });
});
