// Scenario: native threads call CalleeHandled functions with native Errors:
// JS gets exactly one argument, an Error with the given code and message.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';
import type { Loose } from './helpers/api-types';

const cases = [
  { fn: 'threadsafeFunctionThrowErrorWithStatus', code: 'CustomErrorStatus', message: 'ThrowFromNative' },
  { fn: 'threadsafeFunctionBuildThrowErrorWithStatus', code: 'CustomErrorStatus', message: 'ThrowFromNative' },
  { fn: 'buildThreadsafeFunctionFromFunctionCalleeHandle', code: 'GenericFailure', message: 'run tsfn failed' },
  { fn: 'testTsfnError', code: 'GenericFailure', message: 'invalid' },
];

describe.each(backends)('%s', (backend) => {
  test.each(cases)('$fn: one Error, code $code, message $message', async ({ fn, code, message }) => {
    const mod = (await api(backend)) as unknown as Loose;
    const rec = recorder(1);
    expect(mod[fn](rec.callback)).toBeUndefined();
    const calls = await rec.done;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(1);
    const err = calls[0][0] as Error & { code: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
  });
});
