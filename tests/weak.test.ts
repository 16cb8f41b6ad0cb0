// Scenario: weak threadsafe functions (tsfnWeak, class A) do not keep the
// process alive, yet deliver while it runs.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('tsfnWeak: resolves after the callback ran, with no arguments', async () => {
    const { tsfnWeak } = await api(backend);
    const seen: unknown[][] = [];
    await tsfnWeak((...args: unknown[]) => {
      seen.push(args);
    });
    expect(seen).toEqual([[]]);
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

});
