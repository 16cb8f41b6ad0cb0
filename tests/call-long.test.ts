// Scenario: one native thread sleeps 100 ms then calls, ten times, n = 0..9.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('delivers (null, n) for n = 0..9, in order, over about a second', async () => {
    const { callLongThreadsafeFunction } = await api(backend);
    const rec = recorder(10, 300);
    const start = Date.now();
    callLongThreadsafeFunction(rec.callback);
    const calls = await rec.done;
    expect(calls).toEqual(Array.from({ length: 10 }, (_, n) => [null, n]));
    // Ten sleeps of 100 ms happened before the last call (a lower bound only).
    expect(Date.now() - start).toBeGreaterThanOrEqual(1000);
  });
});
