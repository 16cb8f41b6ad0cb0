// Scenario: weak threadsafe functions (tsfnWeak, class A) do not keep the
// process alive, yet deliver while it runs.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder, runNode } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  const env = { ANYTHREAD_BACKEND: backend };

  test('tsfnWeak: resolves after the callback ran, with no arguments', async () => {
    const { tsfnWeak } = await api(backend);
    const seen: unknown[][] = [];
    await tsfnWeak((...args: unknown[]) => {
      seen.push(args);
    });
    expect(seen).toEqual([[]]);
  });

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

  test('class A: call() delivers the string; two instances do not interfere', async () => {
    const { A } = await api(backend);
    const first = recorder(2);
    const second = recorder(1);
    const a = new A(first.callback);
    const b = new A(second.callback);
    expect(a.call()).toBe('Ok');
    expect(b.call()).toBe('Ok');
    expect(a.call()).toBe('Ok');
    expect(await first.done).toEqual([
      ['ThreadsafeFunction NonBlocking Call'],
      ['ThreadsafeFunction NonBlocking Call'],
    ]);
    expect(await second.done).toEqual([['ThreadsafeFunction NonBlocking Call']]);
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
