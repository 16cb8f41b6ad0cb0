// CallMany(values, n, mode, &queued): a producer queues a block of values
// in one call (one lock, at most one wake-up), and JS sees exactly what n
// Call()s would give it: one call per value, in order, or with batched
// delivery the block in one typed array. Into a bounded queue, a
// non-blocking block is queued as far as it fits (QueueFull, and how many
// went in); a blocking one from a thread waits for room as often as it
// needs; a blocking one from the JS thread gives WouldDeadlock rather than
// wait on its own queue. On every backend. (The statuses' corner cases and
// many producers mixing blocks and single calls: tests/cpp, and
// reliability-load / reliability-abort with `block`.)
import { describe, expect, test } from 'vitest';
import { backends, recorder } from './helpers/backends';
import { reliability } from './reliability/harness';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe.each(backends)('%s', (backend) => {
  test('a block from a thread arrives as that many calls, in order', async () => {
    const m = await reliability(backend);
    // Values that are not their index, extremes included.
    const values = [...range(997, 1000), 0, 2 ** 32 - 1, 7];
    const r = recorder(values.length);
    const result = await m.callMany(r.callback, {
      values, maxQueueSize: 0, blocking: false, fromThread: true, batched: false,
    });
    expect(result).toEqual({ status: 'Ok', queued: values.length });
    const calls = await r.done;
    expect(calls).toEqual(values.map((v) => [v]));
  });

  test('blocking from a thread, a block 250 times the bound waits for room until all of it is in', async () => {
    const m = await reliability(backend);
    const values = range(1000);
    const r = recorder(values.length);
    const result = await m.callMany(r.callback, {
      values, maxQueueSize: 4, blocking: true, fromThread: true, batched: false,
    });
    expect(result).toEqual({ status: 'Ok', queued: 1000 });
    expect(await r.done).toEqual(values.map((v) => [v]));
  });

  // From the JS thread, so nothing drains before the call returns. Non-
  // blocking, the rest is refused; blocking, the JS thread cannot wait on
  // its own queue, so it is refused too, never a hang.
  test.for([
    { blocking: false, status: 'QueueFull' },
    { blocking: true, status: 'WouldDeadlock' },
  ])('into a full bounded queue from the JS thread, blocking: $blocking: what fits is queued, the rest refused with $status', async ({ blocking, status }) => {
    const m = await reliability(backend);
    const r = recorder(4);
    const result = await m.callMany(r.callback, {
      values: range(10, 50), maxQueueSize: 4, blocking, fromThread: false, batched: false,
    });
    expect(result).toEqual({ status, queued: 4 });
    // The first four arrive, and nothing after them.
    expect(await r.done).toEqual([[50], [51], [52], [53]]);
  });

  test('batched: a block queued at once arrives as one Uint32Array', async () => {
    const m = await reliability(backend);
    const values = range(100, 7);
    const r = recorder(1);
    const result = await m.callMany(r.callback, {
      values, maxQueueSize: 0, blocking: false, fromThread: true, batched: true,
    });
    expect(result).toEqual({ status: 'Ok', queued: 100 });
    const calls = await r.done;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(1);
    const batch = calls[0][0] as Uint32Array;
    expect(batch).toBeInstanceOf(Uint32Array);
    expect(Array.from(batch)).toEqual(values);
  });

  test('an empty block is Ok and calls nothing', async () => {
    const m = await reliability(backend);
    const r = recorder(1, 0, 300);
    const result = await m.callMany(r.callback, {
      values: [], maxQueueSize: 0, blocking: true, fromThread: true, batched: false,
    });
    expect(result).toEqual({ status: 'Ok', queued: 0 });
    await expect(r.done).rejects.toThrow(/timed out with 0 of 1 calls/);
  });
});
