// Scenario: a native thread calls a CalleeHandled function with an Error
// (reason ThrowFromNative), blocking.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('JS receives exactly one argument: an Error with message and code', async () => {
    const { threadsafeFunctionThrowError } = await api(backend);
    const rec = recorder(1);
    expect(threadsafeFunctionThrowError(rec.callback)).toBeUndefined();
    const calls = await rec.done;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(1);
    const [err] = calls[0] as [Error & { code: string }];
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('ThrowFromNative');
    expect(err.code).toBe('GenericFailure');
  });
});
