// Scenario: three Fatal functions built with the builder API (default,
// max_queue_size 1, weak), each called (1, 2) from a thread joined before
// the export returns: all three deliveries happen afterwards.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('the callback runs three times with (1, 2), after the call returned', async () => {
    const { buildThreadsafeFunctionFromFunction } = await api(backend);
    const rec = recorder(3);
    expect(buildThreadsafeFunctionFromFunction(rec.callback)).toBeUndefined();
    expect(rec.calls).toHaveLength(0); // Threads joined; delivery still pending.
    expect(await rec.done).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
  });
});
