// Lent batches (ThreadsafeFunctionOptions::lend_batches): batched delivery
// whose typed array is the callback's only while it runs. When the callback
// returns, the array's buffer is detached, so an array kept past that point
// reads as empty instead of showing later batches' values; its memory serves
// the next batch. Batches that are not lent stay the callback's. Every call
// here is queued from the JS thread before anything drains, so a flood of
// 40,000 arrives as three batches (16,384 at most per wake-up). On every
// backend.
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { reliability } from './reliability/harness';

const COUNT = 40_000;

/** Floods `count` calls into `onBatch` (lent or not) and resolves once every
 * value has arrived, with the values in arrival order. */
async function flood(
  m: Awaited<ReturnType<typeof reliability>>,
  lend: boolean,
  onBatch: (batch: Uint32Array) => void,
  count = COUNT,
) {
  const values: number[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const callback = (v: number | Uint32Array) => {
    if (!(v instanceof Uint32Array)) throw new TypeError(`expected a Uint32Array, got ${typeof v}`);
    for (const x of v) values.push(x);
    onBatch(v);
    if (values.length === count) resolve();
  };
  expect(m.flood(callback, { count, converter: false, batched: true, lend })).toBe(count);
  await done;
  return values;
}

const inOrder = (values: number[], count = COUNT) =>
  values.length === count && values.every((v, i) => v === i);

describe.each(backends)('%s', (backend) => {
  test('lent batches carry every value in order and read as empty once their callback returned', async () => {
    const m = await reliability(backend);
    const kept: Uint32Array[] = [];
    const lengthsInside: number[] = [];
    const earlierEmptyInside: boolean[] = [];
    const values = await flood(m, true, (batch) => {
      lengthsInside.push(batch.length);
      // The previous batch's callback has returned: its array is detached.
      if (kept.length > 0) {
        const previous = kept[kept.length - 1];
        earlierEmptyInside.push(previous.length === 0 && previous.buffer.byteLength === 0);
      }
      kept.push(batch);
    });
    expect(inOrder(values)).toBe(true);
    expect(lengthsInside.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...lengthsInside)).toBe(16_384);
    expect(earlierEmptyInside).toEqual(new Array(kept.length - 1).fill(true));
    for (const batch of kept) {
      expect(batch.length).toBe(0);
      expect(batch.buffer.byteLength).toBe(0);
    }
  });

  // The memory a batch is lent from is the module's, not the function's (in
  // wasm one buffer serves every lent function in turn): two functions'
  // batches, interleaved, must each arrive whole and in order, and each
  // array still reads as empty once its callback returned.
  test('two lent functions draining in turn each get their own values, in order', async () => {
    const m = await reliability(backend);
    const kept: Uint32Array[] = [];
    const sources: string[] = [];
    const onBatch = (name: string) => (batch: Uint32Array) => {
      kept.push(batch);
      sources.push(name);
    };
    const [a, b] = await Promise.all([
      flood(m, true, onBatch('a')),
      flood(m, true, onBatch('b'), 30_000),
    ]);
    expect(inOrder(a)).toBe(true);
    expect(inOrder(b, 30_000)).toBe(true);
    // They did take turns: some batch of one came between two of the other.
    const firstB = sources.indexOf('b');
    expect(firstB).toBeGreaterThan(0);
    expect(sources.lastIndexOf('a')).toBeGreaterThan(firstB);
    for (const batch of kept) {
      expect(batch.length).toBe(0);
      expect(batch.buffer.byteLength).toBe(0);
    }
  });

  // No drain runs inside another's callback, even one that waits. In wasm,
  // Emscripten 3.1.6 runs proxied calls while the main thread waits (a join,
  // a contended lock: TOOLCHAIN.md quirk 8), and a doorbell without
  // Atomics.waitAsync wakes the main thread with exactly such a call; its
  // drain must then wait for a macrotask of its own (wasm/src/wake.cpp),
  // or a second function's batch would be lent while this one is out, and
  // its callback would run in the middle of this one. Natively, and in wasm
  // with Atomics.waitAsync (a promise job), nothing can run there at all;
  // the same checks hold.
  const waitingWays: ReadonlyArray<readonly [string, boolean]> = backend === 'native'
    ? [['natively', false]]
    : [['with Atomics.waitAsync', false], ['without Atomics.waitAsync: a message per wake-up, which Emscripten runs during the wait', true]];
  test.each(waitingWays)(
    'a lent callback that waits for a thread calling another lent function (%s): that function drains after it, both whole and in order',
    async (_, hideWaitAsync) => {
      const m = await reliability(backend);
      const realWaitAsync = Atomics.waitAsync;
      if (hideWaitAsync) (Atomics as { waitAsync?: unknown }).waitAsync = undefined;
      const INNER = 200_000;
      const innerValues: number[] = [];
      const innerArrays: Uint32Array[] = [];
      let innerDone!: () => void;
      const innerAll = new Promise<void>((r) => (innerDone = r));
      let insideOuter = false;
      let innerBatchesInside = 0;
      const inner = (v: number | Uint32Array) => {
        if (!(v instanceof Uint32Array)) throw new TypeError('expected a Uint32Array');
        if (insideOuter) innerBatchesInside++;
        innerArrays.push(v);
        for (const x of v) innerValues.push(x);
        if (innerValues.length === INNER) innerDone();
      };
      let outerArray: Uint32Array | null = null;
      let outerBefore: number[] = [];
      let outerAfter: number[] = [];
      let innerAccepted = 0;
      try {
        const outer = await flood(m, true, (batch) => {
          if (outerArray !== null) return;
          outerArray = batch;
          outerBefore = Array.from(batch);
          insideOuter = true;
          try {
            // A thread calls the inner function while this thread waits for
            // it, inside this callback: 200,000 calls keep the wait long
            // enough (milliseconds) for Emscripten to run the ring's message
            // in it. (With wake.cpp's deferral removed, this test fails in
            // Node and in Chromium; 20,000 calls were too few in Chromium.)
            innerAccepted = m.flood(inner, { count: INNER, converter: false, batched: true, lend: true, fromThread: true });
          } finally {
            insideOuter = false;
          }
          outerAfter = Array.from(batch);
        });
        await innerAll;
        expect(innerAccepted).toBe(INNER);
        expect(inOrder(outer)).toBe(true);
        expect(inOrder(innerValues, INNER)).toBe(true);
        expect(innerBatchesInside).toBe(0);
        // The outer batch read the same after the wait as before it.
        expect(outerBefore.length).toBeGreaterThan(0);
        expect(outerAfter).toEqual(outerBefore);
        // Every array reads as empty once its callback returned, and
        // lending goes on as before.
        expect(outerArray!.length).toBe(0);
        for (const a of innerArrays) expect(a.length).toBe(0);
        expect(inOrder(await flood(m, true, () => {}))).toBe(true);
      } finally {
        Atomics.waitAsync = realWaitAsync;
      }
    },
  );

  test('a copy made inside the callback (slice) keeps its values', async () => {
    const m = await reliability(backend);
    const copies: Uint32Array[] = [];
    await flood(m, true, (batch) => copies.push(batch.slice()));
    const fromCopies = copies.flatMap((c) => Array.from(c));
    expect(inOrder(fromCopies)).toBe(true);
  });

  test('a callback may transfer a lent buffer away; later batches still arrive whole', async () => {
    const m = await reliability(backend);
    const moved: { buffer: ArrayBuffer; length: number; first: number }[] = [];
    const values = await flood(m, true, (batch) => {
      if (moved.length < 2) {
        // Transferred out of the array: the engine detaches it at once.
        const length = batch.length;
        const first = batch[0];
        // A lent batch has a buffer of its own (an ArrayBuffer, never the
        // module's shared memory), or it could not be transferred.
        const own = batch.buffer as ArrayBuffer;
        const buffer = structuredClone(own, { transfer: [own] });
        expect(batch.length).toBe(0);
        moved.push({ buffer, length, first });
      }
    });
    expect(inOrder(values)).toBe(true);
    // What was transferred is the caller's for good: the values as delivered.
    expect(moved.length).toBe(2);
    for (const { buffer, length, first } of moved) {
      const view = new Uint32Array(buffer, 0, length);
      expect(Array.from(view)).toEqual(Array.from({ length }, (_, i) => first + i));
    }
  });

  test('batches that are not lent stay the callback\'s', async () => {
    const m = await reliability(backend);
    const kept: Uint32Array[] = [];
    const values = await flood(m, false, (batch) => kept.push(batch));
    expect(inOrder(values)).toBe(true);
    const fromKept = kept.flatMap((b) => Array.from(b));
    expect(inOrder(fromKept)).toBe(true);
  });

  // In wasm the glue detaches with ArrayBuffer.prototype.transfer or
  // structuredClone; an engine with neither must still deliver, never throw
  // through wasm: the arrays are then simply not lent. Natively Node-API
  // detaches by itself (napi_detach_arraybuffer), so there is no such case.
  test.skipIf(backend === 'native')(
    'wasm only (natively Node-API always detaches): without a way to detach, lent arrays stay the callback\'s',
    async () => {
      const m = await reliability(backend);
      const g = globalThis as { structuredClone?: unknown };
      const savedClone = g.structuredClone;
      const savedTransfer = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'transfer');
      g.structuredClone = undefined;
      if (savedTransfer) delete (ArrayBuffer.prototype as { transfer?: unknown }).transfer;
      try {
        const kept: Uint32Array[] = [];
        const values = await flood(m, true, (batch) => kept.push(batch));
        expect(inOrder(values)).toBe(true);
        expect(kept.length).toBeGreaterThanOrEqual(3);
        expect(inOrder(kept.flatMap((b) => Array.from(b)))).toBe(true);
      } finally {
        g.structuredClone = savedClone;
        if (savedTransfer) Object.defineProperty(ArrayBuffer.prototype, 'transfer', savedTransfer);
      }
    },
  );

  test('lend needs batched delivery, and a boolean', async () => {
    const m = await reliability(backend);
    const cb = () => {};
    expect(() => m.flood(cb, { count: 1, converter: false, batched: false, lend: true })).toThrow(
      /lend_batches needs batched delivery/,
    );
    expect(() =>
      m.flood(cb, { count: 1, converter: false, batched: true, lend: 'yes' as unknown as boolean }),
    ).toThrow(TypeError);
  });
});
