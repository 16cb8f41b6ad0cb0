// Scenario: Fatal, the result must be a string; the callback returns
// something else. The failed conversion is fatal: an uncaught exception.
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { runNode } from './helpers/node';

describe.each(backends)('%s', (backend) => {
  const env = { ANYTHREAD_BACKEND: backend };

  test.each([
    ['a number', '42'],
    ['a boolean', 'false'],
    ['an object', '({})'],
  ])('returning %s exits with code 1 and "Error: Failed to convert JavaScript value"', async (_l, ret) => {
    const r = await runNode(
      `import { threadsafeFunctionFatalModeError } from 'anythread';
       threadsafeFunctionFatalModeError((v) => { console.log('called', v); return ${ret}; });`,
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('called true\n');
    // Node prints it with its stack (or inspected, for an Error made
    // natively); its text, String(error), is checked below.
    expect(r.stderr).toContain('Error: Failed to convert JavaScript value');
  });

  test('the uncaught error text starts with "Error: Failed to convert JavaScript value"', async () => {
    const r = await runNode(
      `import { threadsafeFunctionFatalModeError } from 'anythread';
       process.on('uncaughtException', (e) => { console.log(String(e)); });
       threadsafeFunctionFatalModeError(() => 1);`,
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Error: Failed to convert JavaScript value `Number 1` into C\+\+ type `std::string`/);
  });

  test('returning a string is fine: exit code 0', async () => {
    const r = await runNode(
      `import { threadsafeFunctionFatalModeError } from 'anythread';
       threadsafeFunctionFatalModeError(() => 'ok');`,
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
