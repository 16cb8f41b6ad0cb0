// Scenario: callbackReturnPromise(fn, cb) calls fn; a promise result makes
// it await the promise, call cb, and only then resolve its own promise.
import { describe, expect, test } from 'vitest';
import { api, backends } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test.each([
    ['a number', 1],
    ['a string', 'text'],
    ['an object', { a: 1 }],
    ['undefined', undefined],
  ])('a non-promise result (%s) is returned as is; cb never runs', async (_l, value) => {
    const { callbackReturnPromise } = await api(backend);
    let calls = 0;
    const result = callbackReturnPromise(() => value, () => calls++);
    expect(result).toBe(value);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(0);
  });

  test('a fulfilled promise: cb(null, value) has run when the await continues', async () => {
    const { callbackReturnPromise } = await api(backend);
    const seen: unknown[][] = [];
    const result = callbackReturnPromise(
      () => Promise.resolve('1'),
      (...args: unknown[]) => seen.push(args),
    );
    expect(result).toBeInstanceOf(Promise);
    expect(seen).toEqual([]);
    await result;
    expect(seen).toEqual([[null, '1']]);
  });

  test('a rejected promise: cb(error) has run, with the rejection itself', async () => {
    const { callbackReturnPromise } = await api(backend);
    const reason = new Error('rejected');
    const seen: unknown[][] = [];
    await callbackReturnPromise(
      () => Promise.reject(reason),
      (...args: unknown[]) => seen.push(args),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toHaveLength(1);
    expect(seen[0][0]).toBe(reason);
  });

  test('fn throwing rethrows the same value synchronously', async () => {
    const { callbackReturnPromise } = await api(backend);
    const thrown = { custom: true };
    let caught: unknown;
    try {
      callbackReturnPromise(() => {
        throw thrown;
      }, () => {});
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(thrown);
  });
});
