// Shared by the reliability suites (issue #6): the reliability module
// (tests/reliability/module, built like a user's module), checked runs,
// seeded randomness, suite sizes (npm test vs npm run soak) and the
// per-suite summary the summary reporter prints.
import { expect, inject } from 'vitest';
import { isBrowser } from '../helpers/backends';
import type { BackendName } from '../../js/types';

declare module 'vitest' {
  interface ProvidedContext {
    soak: boolean;
    seed: number;
  }
  interface TaskMeta {
    reliability?: SuiteSummary;
  }
}

/** One line of the report: what a suite did and what went wrong. */
export interface SuiteSummary {
  suite: string;
  trials: number;
  /** Accepted calls; null where the suite cannot know them (teardown). */
  calls: number | null;
  delivered: number;
  dropped: number;
  failures: number;
}

export const soak: boolean = inject('soak');
/** The run's seed (ANYTHREAD_SEED replays one); printed with every failure. */
export const seed: number = inject('seed');

/** mulberry32: a small seeded generator, [0, 1). */
export function random(s: number) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RunOptions {
  producers: number;
  callsEach: number;
  maxQueueSize: number;
  blocking: boolean;
  abortAfter?: number;
  releaseSeed?: number;
  /** 1 (default): one Call() per payload; 2..4096: CallMany() of blocks of
   * this many (a refused block counts one attempt, queues a prefix and
   * copies nothing more; the producer goes on from where it stopped). */
  block?: number;
}

export interface RunStats {
  attempts: number;
  accepted: number;
  refusedQueueFull: number;
  refusedClosing: number;
  okAfterClosing: number;
  otherStatus: number;
  constructed: number;
  destroyed: number;
  delivered: number;
  dropped: number;
  coreAccepted: number | null;
  coreDelivered: number | null;
  coreDropped: number | null;
  finalized: number;
}

/** flood()'s payload kinds, and what one payload of each is in JS. */
export interface FloodItems {
  number: number;
  string: string;
  long: string;
  vector: number[];
  tuple: [number, string];
  words: string[];
  slow: number;
}
export type FloodPayload = keyof FloodItems;
/** What flood()'s callback receives: one payload's value, or batched, a
 * batch of them (numbers in a Uint32Array, the others in an Array). */
export type FloodValue<P extends FloodPayload, B extends boolean> = B extends true
  ? P extends 'number' ? Uint32Array : FloodItems[P][]
  : FloodItems[P];

export interface ReliabilityModule {
  /** From a thread, a vector of each numeric element type, as
   * callback(name, array); returns how many calls (8). */
  numberVectors(callback: (name: string, values: number[]) => void): number;
  run(callback: (producer: number, seq: number) => void, options: RunOptions): Promise<RunStats>;
  /** Queues `count` calls from the JS thread before anything drains.
   * `lend`: batches are lent (ThreadsafeFunctionOptions::lend_batches).
   * `fromThread`: a thread makes the calls while the JS thread waits for it
   * inside this call (in wasm, the main thread runs Emscripten's queued
   * calls meanwhile: a doorbell without Atomics.waitAsync drains there).
   * `payload`: 'string', std::strings, String(i) (the string loop);
   * 'long', std::strings of String(i), a space and 32,768 'é's (64 KiB of
   * UTF-8; the string loop);
   * 'vector', std::vector<uint32_t>s, [i]; 'tuple', std::tuple<uint32_t,
   * std::string>s, [i, String(i)]; 'words', std::vector<std::string>s,
   * [String(i)]; 'slow', i, each taking about 20 us to convert (counted:
   * floodConversions()); those four through the value loop. 'number' (the
   * default), uint32_t. Batched, all but numbers come in Arrays.
   * `keep`: the module keeps a handle for floodAbort(). */
  flood<P extends FloodPayload = 'number', B extends boolean = boolean>(
    callback: (value: FloodValue<P, B>) => void,
    options: {
      count: number;
      converter: boolean;
      batched: B;
      lend?: boolean;
      fromThread?: boolean;
      keep?: boolean;
      payload?: P;
    },
  ): number;
  /** How many payloads the last flood() of 'slow' ones has converted so far
   * (a payload a drain made but did not deliver is made again later). */
  floodConversions(): number;
  /** Aborts the function the last flood() kept and lets go of it; returns
   * the status's name. */
  floodAbort(): string;
  /** A batched function over a payload of the named C++ type: the JS thread
   * queues each of `values` (static_cast to that type) before anything
   * drains, then releases it. Returns how many calls were accepted. */
  typedBatch(
    callback: (batch: ArrayBufferView) => void,
    options: { type: string; values: number[]; lend: boolean },
  ): number;
  /** A batched CalleeHandled function of strings (spread: of
   * Spread<uint32_t, std::string>, index and string); the JS thread queues
   * one call per entry before anything drains (null: an Error, code
   * 'Missing', message 'no value at <index>'), then releases it. Returns
   * how many calls were accepted. `perItem`: not batched, one callback call
   * per entry (its string, or its Error). */
  valueBatch(
    // A batch, or one value (perItem).
    callback: (err: Error | null, batch?: unknown) => void,
    options: { values: (string | null)[]; spread: boolean; perItem?: boolean },
  ): number;
  /** A CalleeHandled function whose converter turns a call of n into n
   * arguments (100 * n + i, i < n); the JS thread queues one call per
   * entry of `counts` (0 to 64), then releases it. Returns how many calls
   * were accepted. */
  manyArguments(callback: (err: Error | null, ...args: number[]) => void, options: { counts: number[] }): number;
  /** A batched CalleeHandled function of uint32_t that a thread feeds 1;
   * 2 with a consumer; an Error ('three'); 4; 5; 6 awaited (CallAsync).
   * Resolves with [the consumer's result, the awaited call's result]
   * (-1 for an error, -2 when the consumer never ran). */
  batchedWithConsumers(
    callback: (err: Error | null, batch?: Uint32Array) => unknown,
    options: { lend: boolean },
  ): Promise<[number, number]>;
  /** One CallMany() of `values` into a function over `callback` (uint32_t
   * payloads, Fatal; batched: Uint32Array batches) with that bound, from the
   * JS thread or a thread of its own; then released. Resolves with the
   * status's name and how many values were queued. */
  callMany(
    callback: (value: number | Uint32Array) => void,
    options: { values: number[]; maxQueueSize: number; blocking: boolean; fromThread: boolean; batched: boolean },
  ): Promise<{ status: string; queued: number }>;
  /** Functions whose state is alive in the module (anythread::LiveThreadsafeFunctions). */
  liveFunctions(): number;
  /** A function over `callback` kept by the module; a thread calls it once
   * with 0 (an idle function: the call is handed over). */
  echoStart(callback: (n: number) => void): void;
  /** Calls that function from the JS thread; returns the status's name. */
  echoCall(n: number): string;
  /** Releases it. */
  echoStop(): void;
}

const cache = new Map<BackendName, Promise<ReliabilityModule>>();

/** The reliability module on exactly this backend. */
export function reliability(backend: BackendName): Promise<ReliabilityModule> {
  let m = cache.get(backend);
  if (!m) {
    m = (async () => {
      const { loadModule } = await import('../../js/index.mjs');
      if (isBrowser) {
        const url = new URL('./dist/web/reliability.mjs', import.meta.url);
        const { default: factory } = await import(/* @vite-ignore */ url.href);
        return ((await loadModule({ factory, mainScriptUrl: url })) as { exports: ReliabilityModule })
          .exports;
      }
      const dir = decodeURIComponent(new URL('./dist', import.meta.url).pathname);
      const loaded = (await loadModule({ name: 'reliability', dir, order: [backend] })) as {
        exports: ReliabilityModule;
        backend: string;
      };
      expect(loaded.backend).toBe(backend);
      return loaded.exports;
    })();
    cache.set(backend, m);
  }
  return m;
}

/** Waits (up to 5 s) until the module has no live threadsafe functions;
 * resolves with how many are left (0 once all have let go). */
export async function settled(m: ReliabilityModule): Promise<number> {
  const until = performance.now() + 5_000;
  while (m.liveFunctions() > 0 && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return m.liveFunctions();
}

/** What JS saw of a run: per-producer order and counts. */
export interface Seen {
  calls: number;
  outOfOrder: number;
  perProducer: number[];
}

/** Runs once, checking on the JS side that each producer's sequence numbers
 * arrive in order with no gap or repeat, and in C++ that every payload was
 * destroyed exactly once, delivered or dropped. `onCall` may throw. */
export async function checkedRun(
  m: ReliabilityModule,
  options: RunOptions,
  onCall?: (producer: number, seq: number) => void,
): Promise<{ stats: RunStats; seen: Seen }> {
  const next = new Array<number>(options.producers).fill(0);
  const seen: Seen = { calls: 0, outOfOrder: 0, perProducer: next };
  const stats = await m.run((p, i) => {
    seen.calls++;
    if (next[p] !== i) seen.outOfOrder++;
    next[p] = i + 1;
    if (onCall) onCall(p, i);
  }, options);
  // Every payload made was destroyed exactly once.
  expect(stats.destroyed).toBe(stats.constructed);
  // Each accepted call ended in exactly one outcome.
  expect(stats.delivered + stats.dropped).toBe(stats.accepted);
  expect(seen.calls).toBe(stats.delivered);
  expect(seen.outOfOrder).toBe(0);
  // Refused calls are counted as attempts, never as outcomes.
  expect(stats.attempts).toBe(
    stats.accepted + stats.refusedQueueFull + stats.refusedClosing + stats.otherStatus + stats.okAfterClosing,
  );
  expect(stats.okAfterClosing).toBe(0);
  expect(stats.otherStatus).toBe(0);
  expect(stats.finalized).toBe(1);
  if (stats.coreAccepted !== null) {
    expect([stats.coreAccepted, stats.coreDelivered, stats.coreDropped]).toEqual([
      stats.accepted,
      stats.delivered,
      stats.dropped,
    ]);
  }
  return { stats, seen };
}

/** Accumulates a suite's figures; `report(task)` hands them to the reporter. */
export function tally(suite: string) {
  const s: SuiteSummary = { suite, trials: 0, calls: 0, delivered: 0, dropped: 0, failures: 0 };
  return {
    summary: s,
    add(stats: Pick<RunStats, 'accepted' | 'delivered' | 'dropped'>) {
      s.trials++;
      s.calls = (s.calls ?? 0) + stats.accepted;
      s.delivered += stats.delivered;
      s.dropped += stats.dropped;
    },
    /** Runs one trial; a failing trial is counted, then rethrown. */
    async trial<T>(fn: () => Promise<T>, describeTrial: () => string): Promise<T> {
      try {
        return await fn();
      } catch (e) {
        s.failures++;
        if (e instanceof Error) e.message += `\n  in ${describeTrial()} (replay: ANYTHREAD_SEED=${seed})`;
        throw e;
      }
    },
    report(task: { meta: { reliability?: SuiteSummary } }) {
      task.meta.reliability = { ...s };
    },
  };
}

/** A one-trial suite: runs `fn` with its tally, counts a failure, reports. */
export async function summarized(
  task: { meta: { reliability?: SuiteSummary } },
  suite: string,
  fn: (t: ReturnType<typeof tally>) => Promise<void>,
): Promise<void> {
  const t = tally(suite);
  try {
    await t.trial(() => fn(t), () => suite);
  } finally {
    t.report(task);
  }
}
