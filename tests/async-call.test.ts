// Scenario: a Fatal awaited call with three arguments; the C++ continuation
// (on the JS thread) checks the result and settles a promise.
import { describe, expect, test } from 'vitest';
import { api, backends } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('resolves with undefined when the callback returns the expected string', async () => {
    const { tsfnAsyncCall } = await api(backend);
    const seen: unknown[][] = [];
    const result = await tsfnAsyncCall((...args: number[]) => {
      seen.push(args);
      return 'ReturnFromJavaScriptRawCallback';
    });
    expect(result).toBeUndefined();
    expect(seen).toEqual([[0, 1, 2]]);
  });

  test('awaits a returned promise', async () => {
    const { tsfnAsyncCall } = await api(backend);
    await expect(
      tsfnAsyncCall((() => Promise.resolve('ReturnFromJavaScriptRawCallback')) as never),
    ).resolves.toBeUndefined();
  });

  test('rejects on any other return value', async () => {
    const { tsfnAsyncCall } = await api(backend);
    await expect(tsfnAsyncCall(() => 'other')).rejects.toThrow(/got other/);
    await expect(tsfnAsyncCall((() => 5) as never)).rejects.toThrow(/Failed to convert/);
  });

  test('rejects with the thrown value itself', async () => {
    const { tsfnAsyncCall } = await api(backend);
    const thrown = new RangeError('from callback');
    await expect(
      tsfnAsyncCall(() => {
        throw thrown;
      }),
    ).rejects.toBe(thrown);
  });

  test.each([[undefined], [null], [1], ['f'], [{}]])(
    'without a function (%j) throws InvalidArg synchronously, not a rejected promise',
    async (bad) => {
      const { tsfnAsyncCall } = await api(backend);
      let thrown: any;
      let returned: unknown;
      try {
        returned = tsfnAsyncCall(bad as never);
      } catch (e) {
        thrown = e;
      }
      expect(returned).toBeUndefined();
      expect(thrown).toBeInstanceOf(TypeError);
      expect(thrown.code).toBe('InvalidArg');
    },
  );
});
