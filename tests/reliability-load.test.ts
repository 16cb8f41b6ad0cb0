// Reliability (issue #6, part 1): exactly once, FIFO per producer, under
// load. 8 producers x 50,000 calls (soak: 16 x 1,000,000) for each queue size
// {1, 16, unbounded} x {Blocking, NonBlocking retrying on QueueFull}: every
// accepted call delivered exactly once, each producer's sequence in order,
// every payload destroyed exactly once. Bounded Blocking queues with several
// producers blocked at once is the case where Node's own threadsafe function
// loses a wake-up (nodejs/node#58723): ours must complete, every run.
// The same with producers queueing blocks of calls (CallMany): blocks
// larger than the bound (blocking: the block waits for room again and
// again; non-blocking: it is queued in parts, retried from where it
// stopped) and blocks of 1,000 into an unbounded queue. (A bound of 1
// with blocks: the core's CallQueueLoad, InBlocks; here it would take a
// minute a backend, one round trip per call as with single calls.)
// Chromium: one configuration of each (the wasm backend there is the same
// build as wasm in Node, driven by a browser's event loop).
import { describe, expect, test } from 'vitest';
import { backends, isBrowser } from './helpers/backends';
import { checkedRun, reliability, soak, tally } from './reliability/harness';

const producers = soak ? 16 : 8;
const callsEach = soak ? 1_000_000 : 50_000;

const label = (c: { maxQueueSize: number; blocking: boolean; block?: number }) =>
  `queue ${c.maxQueueSize || 'unbounded'}, ${c.blocking ? 'Blocking' : 'NonBlocking + retry'}` +
  (c.block ? `, CallMany blocks of ${c.block}` : '');
const configs: { maxQueueSize: number; blocking: boolean; block?: number; name: string }[] = [
  { maxQueueSize: 1, blocking: true },
  { maxQueueSize: 16, blocking: true },
  { maxQueueSize: 0, blocking: true },
  { maxQueueSize: 1, blocking: false },
  { maxQueueSize: 16, blocking: false },
  { maxQueueSize: 0, blocking: false },
  { maxQueueSize: 16, blocking: true, block: 64 },
  { maxQueueSize: 16, blocking: false, block: 64 },
  { maxQueueSize: 0, blocking: false, block: 1000 },
].map((c) => ({ ...c, name: label(c) }));
const browserConfigs = configs.filter((c) => c.maxQueueSize === 16 && c.blocking);

describe.each(backends)('%s', (backend) => {
  test.for(isBrowser ? browserConfigs : configs)(
    `${producers} producers x ${callsEach} calls, $name: exactly once, in order`,
    { timeout: soak ? 3_600_000 : 600_000 },
    async ({ name, ...c }, { task }) => {
      const t = tally(`load ${backend}, ${name}`);
      try {
        const m = await reliability(backend);
        const stats = await t.trial(
          async () => {
            const { stats, seen } = await checkedRun(m, { producers, callsEach, ...c });
            // Nothing refused for good, nothing dropped: all of it arrived.
            expect(stats.accepted).toBe(producers * callsEach);
            expect(stats.dropped).toBe(0);
            expect(seen.perProducer).toEqual(new Array(producers).fill(callsEach));
            if (c.blocking) expect(stats.refusedQueueFull).toBe(0);
            return stats;
          },
          () => `${backend} ${name}`,
        );
        t.add(stats);
      } finally {
        t.report(task);
      }
    },
  );
});
