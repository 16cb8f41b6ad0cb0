// Scenario: a native thread calls a Fatal function, blocking, with `true`.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('JS receives (true), exactly once', async () => {
    const { threadsafeFunctionFatalMode } = await api(backend);
    const rec = recorder(1);
    expect(threadsafeFunctionFatalMode(rec.callback)).toBeUndefined();
    const calls = await rec.done;
    expect(calls).toEqual([[true]]);
  });
});
