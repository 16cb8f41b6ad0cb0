// Scenario: under the Fatal strategy, a native thread calls with an Error.
// There is no error argument to put it in, so it is an uncaught exception
// and the callback never runs. Needs process exit codes: child processes.
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { runNode } from './helpers/node';

describe.each(backends)('%s', (backend) => {
  const env = { ANYTHREAD_BACKEND: backend };

  test('unhandled: the process exits with code 1 and prints the error', async () => {
    const r = await runNode(
      `import { threadsafeFunctionFatalNativeError } from 'anythread';
       threadsafeFunctionFatalNativeError(() => console.log('callback ran'));`,
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FatalFromNative');
    expect(r.stdout).not.toContain('callback ran');
  });

  test("'uncaughtException' receives an Error with message and code; callback never runs", async () => {
    const r = await runNode(
      `import { threadsafeFunctionFatalNativeError } from 'anythread';
       const seen = [];
       process.on('uncaughtException', (e) => seen.push({ isError: e instanceof Error, message: e.message, code: e.code }));
       let ran = 0;
       threadsafeFunctionFatalNativeError(() => ran++);
       process.on('exit', () => console.log(JSON.stringify({ seen, ran })));`,
      env,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      seen: [{ isError: true, message: 'FatalFromNative', code: 'GenericFailure' }],
      ran: 0,
    });
  });
});
