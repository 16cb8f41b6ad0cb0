// Scenario: what the anchors lack: synchronous round trips from a worker,
// queue statuses, WouldDeadlock instead of a hang, and abort accounting.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test.each([
    ['a number', 7],
    ['an object (same identity back)', { id: 1 }],
    ['undefined', undefined],
  ])('tsfnCallSync: the worker gets the callback result for %s', async (_l, value) => {
    const { tsfnCallSync } = await api(backend);
    const seen: unknown[][] = [];
    const result = await tsfnCallSync((...args: unknown[]) => {
      seen.push(args);
      return args[0];
    }, value);
    expect(seen).toHaveLength(1);
    expect(seen[0][0]).toBe(value);
    expect(result).toBe(value);
  });

  test('tsfnCallSync: a returned promise is awaited by the worker', async () => {
    const { tsfnCallSync } = await api(backend);
    await expect(
      tsfnCallSync((v: number) => new Promise<number>((r) => setTimeout(() => r(v * 2), 20)), 21),
    ).resolves.toBe(42);
  });

  test('tsfnCallSync: a throw rejects with the thrown value itself', async () => {
    const { tsfnCallSync } = await api(backend);
    const thrown = new SyntaxError('sync failure');
    await expect(
      tsfnCallSync(() => {
        throw thrown;
      }, 1),
    ).rejects.toBe(thrown);
  });

  test.each([
    { max: 4, calls: 10, expected: { ok: 4, queueFull: 6 } },
    { max: 1, calls: 3, expected: { ok: 1, queueFull: 2 } },
    { max: 0, calls: 50, expected: { ok: 50, queueFull: 0 } },
    { max: 8, calls: 0, expected: { ok: 0, queueFull: 0 } },
  ])('tsfnQueueStatuses($max, $calls): $expected', async ({ max, calls, expected }) => {
    const { tsfnQueueStatuses } = await api(backend);
    expect(tsfnQueueStatuses(max, calls)).toEqual({
      ...expected,
      closing: 0,
      invalidArg: 0,
      wouldDeadlock: 0,
    });
  });

  test('tsfnBlockingOnJsThread: Ok, then WouldDeadlock instead of a hang; cb runs once', async () => {
    const { tsfnBlockingOnJsThread } = await api(backend);
    const rec = recorder(1, 200);
    expect(tsfnBlockingOnJsThread(rec.callback)).toEqual(['Ok', 'WouldDeadlock']);
    expect(await rec.done).toEqual([[null, 1]]);
  });

  test.each([
    { producers: 1, callsEach: 1000 },
    { producers: 4, callsEach: 2000 },
  ])('tsfnAbort($producers x $callsEach): every call accounted for', async ({ producers, callsEach }) => {
    const { tsfnAbort } = await api(backend);
    let delivered = 0;
    const stats = await tsfnAbort(() => {
      delivered++;
    }, producers, callsEach);
    expect(stats.otherStatuses).toBe(0);
    expect(stats.delivered).toBe(1); // Aborted at the first delivery.
    expect(delivered).toBe(1);
    expect(stats.accepted).toBe(stats.delivered + stats.dropped);
    expect(stats.accepted + stats.closingAfterAbort).toBe(producers * callsEach);
  });
});
