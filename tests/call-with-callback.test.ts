// Scenario: a CalleeHandled call with no payload, made from the JS thread,
// whose result goes to a C++ consumer that expects a given string.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder, runNode } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('the callback receives exactly (null), after the call returned', async () => {
    const { tsfnCallWithCallback } = await api(backend);
    const rec = recorder(1);
    const cb = (...args: unknown[]) => {
      rec.callback(...args);
      return 'ReturnFromJavaScriptRawCallback';
    };
    expect(tsfnCallWithCallback(cb as never)).toBeUndefined();
    expect(rec.calls).toHaveLength(0);
    expect(await rec.done).toEqual([[null]]);
  });

  test('the expected return value: no error, exit code 0', async () => {
    const r = await runNode(
      `import { tsfnCallWithCallback } from 'anythread';
       tsfnCallWithCallback(() => 'ReturnFromJavaScriptRawCallback');`,
      { ANYTHREAD_BACKEND: backend },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test.each([
    ['another string', "'nope'", /Expected ReturnFromJavaScriptRawCallback, got nope/],
    ['a number', '7', /Failed to convert JavaScript value `Number 7`/],
  ])('%s is reported as an error', async (_l, ret, pattern) => {
    const r = await runNode(
      `import { tsfnCallWithCallback } from 'anythread';
       process.on('uncaughtException', (e) => console.log('reported:', e.message));
       tsfnCallWithCallback(() => ${ret});`,
      { ANYTHREAD_BACKEND: backend },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(pattern);
  });
});
