// Scenario: testWorkers(amount, cb) runs `amount` threads of 700 ms each in
// parallel, joins them on another thread, then calls cb(null).
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('testWorkers(10): cb(null) once, after the 700 ms the threads sleep', async () => {
    const { testWorkers } = await api(backend);
    const rec = recorder(1);
    const start = Date.now();
    testWorkers(10, rec.callback);
    const calls = await rec.done;
    const elapsed = Date.now() - start - 100; // recorder's settle time
    expect(calls).toEqual([[null]]);
    // The threads run in parallel: one sleep, not ten (lower bound strict,
    // upper bound generous for a loaded 2-core machine).
    expect(elapsed).toBeGreaterThanOrEqual(690);
    expect(elapsed).toBeLessThan(7 * 700);
  });

  test('testWorkers(0): cb(null) at once', async () => {
    const { testWorkers } = await api(backend);
    const rec = recorder(1);
    testWorkers(0, rec.callback);
    expect(await rec.done).toEqual([[null]]);
  });
});
