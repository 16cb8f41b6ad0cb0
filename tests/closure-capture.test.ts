// Scenario: a JS value captured on the JS thread (held by reference) is
// passed back by a call made from the JS thread.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test.each([
    ['an object', { name: 'Dog', kind: 1 }],
    ['an array', [1, 2, 3]],
    ['a function', () => 1],
    ['a class instance', new (class Animal { name = 'cat'; })()],
  ])('the callback receives %s: the very same value', async (_l, value) => {
    const { threadsafeFunctionClosureCapture } = await api(backend);
    const rec = recorder(1);
    threadsafeFunctionClosureCapture(value, rec.callback);
    const calls = await rec.done;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(1);
    expect(calls[0][0]).toBe(value);
  });
});
