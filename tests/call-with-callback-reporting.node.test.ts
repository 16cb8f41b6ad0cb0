// Scenario: tsfnCallWithCallback's consumer reports a wrong result as an
// uncaught error; checked in a child process (process-level behaviour).
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { runNode } from './helpers/node';

describe.each(backends)('%s', (backend) => {
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
