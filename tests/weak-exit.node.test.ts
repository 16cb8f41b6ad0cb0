// Scenario: processes whose only threadsafe functions are weak exit by
// themselves (child processes).
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { runNode } from './helpers/node';

describe.each(backends)('%s', (backend) => {
  const env = { ANYTHREAD_BACKEND: backend };

  test('tsfnWeak: a script awaiting it exits by itself', async () => {
    const r = await runNode(
      `import { tsfnWeak } from 'anythread';
       let ran = 0;
       await tsfnWeak(() => { ran++; });
       console.log('ran', ran);`,
      env,
    );
    expect(r.timedOut).toBe(false);
    expect(r.ms).toBeLessThan(5_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ran 1\n');
  });

  test('class A: a script holding instances exits by itself with status 0', async () => {
    // Weak: the instances never hold the loop; a short timer does, long
    // enough for the calls to arrive, and then the process ends by itself.
    const r = await runNode(
      `import { A } from 'anythread';
       const seen = [];
       globalThis.keep = [new A((s) => seen.push('a:' + s)), new A((s) => seen.push('b:' + s))];
       keep[0].call(); keep[1].call();
       setTimeout(() => {}, 100);
       process.on('exit', () => console.log(JSON.stringify(seen)));`,
      env,
    );
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      'a:ThreadsafeFunction NonBlocking Call',
      'b:ThreadsafeFunction NonBlocking Call',
    ]);
  });
});
