// Scenario: a thread's awaited call fails and the thread prints the error
// (stderr of a child process).
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { runNode } from './helpers/node';

describe.each(backends)('%s', (backend) => {
  test('tsfnThrowFromJsCallbackContainsTsfn: resolves at once; the thread prints the error', async () => {
    const r = await runNode(
      `import { tsfnThrowFromJsCallbackContainsTsfn } from 'anythread';
       let called = 0;
       const p = tsfnThrowFromJsCallbackContainsTsfn((err, v) => { called++; console.log('cb', err, v); throw new Error('cb failed'); });
       await p;
       console.log('resolved', called);`,
      { ANYTHREAD_BACKEND: backend },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('resolved 0');
    expect(r.stdout).toContain('cb null 42');
    expect(r.stderr).toContain('tsfn error: cb failed');
  });
});
