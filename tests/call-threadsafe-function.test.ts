// Scenario: callThreadsafeFunction spawns 100 native threads; thread n calls
// once with n through a CalleeHandled function whose converter adds 1.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

const expected = Array.from({ length: 100 }, (_, i) => i + 1);

describe.each(backends)('%s', (backend) => {
  test('delivers (null, n + 1) exactly 100 times, values 1..100', async () => {
    const { callThreadsafeFunction } = await api(backend);
    const rec = recorder(100);
    expect(callThreadsafeFunction(rec.callback)).toBeUndefined();
    const calls = await rec.done;
    expect(calls).toHaveLength(100);
    for (const args of calls) {
      expect(args).toHaveLength(2);
      expect(args[0]).toBeNull();
      expect(typeof args[1]).toBe('number');
    }
    const values = calls.map((args) => args[1] as number).sort((a, b) => a - b);
    expect(values).toEqual(expected);
    expect(values.reduce((a, b) => a + b, 0)).toBe(5050);
  });

  test('returns before any callback runs', async () => {
    const { callThreadsafeFunction } = await api(backend);
    const rec = recorder(100);
    callThreadsafeFunction(rec.callback);
    // Delivery happens on the JS thread, after this synchronous code.
    expect(rec.calls).toHaveLength(0);
    await rec.done;
  });

  test('two concurrent functions do not mix their calls', async () => {
    const { callThreadsafeFunction } = await api(backend);
    const a = recorder(100);
    const b = recorder(100);
    callThreadsafeFunction(a.callback);
    callThreadsafeFunction(b.callback);
    const [ca, cb] = await Promise.all([a.done, b.done]);
    expect(ca.map((x) => x[1] as number).sort((x, y) => x - y)).toEqual(expected);
    expect(cb.map((x) => x[1] as number).sort((x, y) => x - y)).toEqual(expected);
  });
});
