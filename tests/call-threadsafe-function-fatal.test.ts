// Scenario: callThreadsafeFunctionFatal is the seed example with the Fatal
// strategy: no leading error argument.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('delivers (n + 1) exactly 100 times, values 1..100', async () => {
    const { callThreadsafeFunctionFatal } = await api(backend);
    const rec = recorder(100);
    expect(callThreadsafeFunctionFatal(rec.callback)).toBeUndefined();
    const calls = await rec.done;
    expect(calls).toHaveLength(100);
    for (const args of calls) expect(args).toHaveLength(1);
    const values = calls.map((args) => args[0] as number).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
