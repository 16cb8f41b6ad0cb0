// Scenario: the benchmark's statistics: quantiles on a coarse clock
// (Chromium's performance.now() moves in 5 us steps), the within-run
// ratio to a baseline with its interval, and the steady-state allocation
// records. Pure JS, no backend (a module stands in): Node only.
import { describe, expect, test } from 'vitest';
import { clockStep, latency, latencyRecords, pairedRatio, quantile, steadyAllocations, timeUntilSeen } from '../bench/scenarios.mjs';

describe('bench quantile', () => {
  test('on a fine clock (step 0) it is the order statistic', () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantile(s, 0.5)).toBe(6);
    expect(quantile(s, 0.99)).toBe(10);
    expect(quantile(s, 0)).toBe(1);
    expect(quantile([], 0.5)).toBeNaN();
  });

  test('on a 5 us clock it interpolates within the step of the quantile', () => {
    // 6 samples read 40, 4 read 45: the median lies in the 40 step
    // [37.5, 42.5), 5 of its 6 samples below it.
    const s = [40, 40, 40, 40, 40, 40, 45, 45, 45, 45];
    expect(quantile(s, 0.5, 5)).toBeCloseTo(37.5 + (5 * 5) / 6, 9);
    expect(quantile(s, 0.99, 5)).toBeCloseTo(42.5 + (5 * 3.9) / 4, 9);
    // The order statistic would say 40 and 45, a whole step apart
    // whichever way the true values lie.
    expect(quantile(s, 0.5)).toBe(40);
  });

  test('float rounding of the readings does not split a step', () => {
    const s = [39.99999, 40.00001, 40, 44.99998, 45.00002];
    expect(quantile(s, 0.5, 5)).toBeCloseTo(37.5 + (5 * 2.5) / 3, 3);
  });

  test('recovers the true median of quantized samples', () => {
    // True latencies spread over 38-48 us, read off a 5 us clock at a
    // random phase, as two threads' clocks are: the interpolated median
    // lands near the true one; the order statistic only on a multiple of 5.
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const truth: number[] = [];
    const read: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const latency = 38 + 10 * random();
      const sent = 1000 * random();
      truth.push(latency);
      read.push(Math.floor((sent + latency) / 5) * 5 - Math.floor(sent / 5) * 5);
    }
    truth.sort((a, b) => a - b);
    read.sort((a, b) => a - b);
    const trueMedian = truth[10000];
    expect(Math.abs(quantile(read, 0.5, 5) - trueMedian)).toBeLessThan(0.5);
    expect(quantile(read, 0.5) % 5).toBe(0);
  });

  test('clockStep measures the step a clock moves by, in microseconds', () => {
    const coarse = () => Math.floor(performance.now() / 0.005) * 0.005;
    expect(clockStep(coarse)).toBeCloseTo(5, 6);
    // A clock that moves between any two readings: no step to interpolate.
    let t = 0;
    expect(clockStep(() => (t += 0.0003))).toBe(0);
  });
});

describe('bench pairedRatio', () => {
  test('the mean of the within-run ratios, with a Student t interval', () => {
    const r = pairedRatio([1.1, 1.2, 1.3], [1, 1, 1]);
    expect(r.mean).toBeCloseTo(1.2, 12);
    // sd 0.1, t(2 df) 4.303: half-width 4.303 * 0.1 / sqrt(3).
    const half = (4.303 * 0.1) / Math.sqrt(3);
    expect(r.low).toBeCloseTo(1.2 - half, 9);
    expect(r.high).toBeCloseTo(1.2 + half, 9);
    expect(r).toMatchObject({ runs: 3, below1: 0 });
  });

  test('pairs run by run, which the ratio of the medians does not', () => {
    // Run 1: ours 2 against 1; run 2: 4 against 4. Ratios 2 and 1.
    const r = pairedRatio([2, 4], [1, 4]);
    expect(r.mean).toBe(1.5);
    expect(r.below1).toBe(0);
    expect(pairedRatio([0.9, 1.1], [1, 1]).below1).toBe(1);
  });

  test('past 31 runs the normal quantile, 1.96', () => {
    const ours = Array.from({ length: 40 }, (_, i) => (i % 2 ? 1.2 : 1.0));
    const r = pairedRatio(ours, ours.map(() => 1));
    const half = (1.96 * 0.1 * Math.sqrt(40 / 39)) / Math.sqrt(40);
    expect(r.mean).toBeCloseTo(1.1, 12);
    expect(r.high - r.mean).toBeCloseTo(half, 9);
  });

  test('one run has no interval; unpaired runs are a RangeError', () => {
    const r = pairedRatio([1.5], [1]);
    expect(r.mean).toBe(1.5);
    expect(r.low).toBeNaN();
    expect(r.high).toBeNaN();
    expect(() => pairedRatio([1, 2], [1])).toThrow(RangeError);
    expect(() => pairedRatio([], [])).toThrow(RangeError);
  });

  test('latencyRecords puts the ratio to the baseline on anythread\'s records', () => {
    const records = latencyRecords('native', ['anythread', 'base', 'other'],
      [[11, 12], [10, 12], [9, 9]], [[40, 50], [50, 50], [60, 60]]);
    expect(records.map((r: { impl: string; scenario: string }) => `${r.impl} ${r.scenario}`)).toEqual([
      'anythread latency-p50', 'anythread latency-p99', 'base latency-p50', 'base latency-p99',
      'other latency-p50', 'other latency-p99',
    ]);
    expect(records[0]).toMatchObject({ median: 11.5, min: 11, max: 12, runs: 2, unit: 'us' });
    expect(records[0].paired).toMatchObject({ vs: 'base', mean: 1.05, runs: 2, below1: 0 });
    expect(records[1].paired).toMatchObject({ vs: 'base', mean: 0.9, below1: 1 });
    expect(records[2].paired).toBeUndefined();
  });

  test('latency with a mask calls and records only those implementations', async () => {
    const names = ['anythread', 'base', 'other'];
    const masks: number[] = [];
    // A stand-in producer: each selected implementation's call arrives
    // 2 ms (anythread) or 1 ms after it was sent, by the caller's clock.
    let clock = 0;
    const now = () => clock;
    const start = (callbacks: ((sent: number) => void)[], n: number, _gap: number, mask: number) => {
      masks.push(mask);
      for (let i = 0; i < n; i++) {
        callbacks.forEach((cb, k) => {
          if (!((mask >> k) & 1)) return;
          const sent = clock;
          clock += k === 0 ? 0.002 : 0.001;
          cb(sent);
        });
      }
    };
    const pair = await latency({ backend: 'native', names, start, count: 4, runs: 2, now, mask: 0b011 });
    expect(masks).toEqual([3, 3, 3]);  // The warm-up and two runs.
    expect(pair.map((r: { impl: string }) => r.impl)).toEqual(['anythread', 'anythread', 'base', 'base']);
    expect(pair[0].median).toBeCloseTo(2, 9);
    expect(pair[0].paired).toMatchObject({ vs: 'base', runs: 2 });
    expect(pair[0].paired.mean).toBeCloseTo(2, 9);
    // Without anythread no record carries a ratio.
    const baselines = await latency({ backend: 'native', names, start, count: 4, runs: 1, now, mask: 0b110 });
    expect(baselines.map((r: { impl: string }) => r.impl)).toEqual(['base', 'base', 'other', 'other']);
    expect(baselines.every((r: { paired?: unknown }) => r.paired === undefined)).toBe(true);
    // All by default; none is a RangeError.
    await latency({ backend: 'native', names, start, count: 2, runs: 1, now });
    expect(masks.at(-1)).toBe(7);
    await expect(latency({ backend: 'native', names, start, count: 2, runs: 1, now, mask: 0 }))
      .rejects.toThrow(RangeError);
  });
  test('steadyAllocations makes one record per payload size, its runs the rounds', async () => {
    const asked: number[][] = [];
    const m = {
      anythreadSteadyAllocations: async (_cb: unknown, calls: number, bytes: number) => {
        asked.push([calls, bytes]);
        return bytes === 16 ? [0, 2048, 0] : [0, 0, 0];
      },
    };
    const records = await steadyAllocations({ m, backend: 'wasm' });
    expect(asked).toEqual([[1024, 4], [1024, 16], [1024, 64]]);
    expect(records.map((r: { payloadBytes: number }) => r.payloadBytes)).toEqual([4, 16, 64]);
    expect(records[0]).toMatchObject({
      scenario: 'allocations-steady', backend: 'wasm', impl: 'anythread', producers: 1,
      unit: 'allocs/call', median: 0, max: 0, runs: 3,
    });
    // A round that allocated shows in the maximum (the target's figure).
    expect(records[1]).toMatchObject({ median: 0, min: 0, max: 2, runs: 3 });
  });

  test('timeUntilSeen counts strings one by one and in arrays, and resolves once all are seen', async () => {
    // Per item: three strings; batched: arrays of them (bench/strings.mjs).
    const perItem = await timeUntilSeen((cb: (s: string) => void) => {
      setTimeout(() => ['a', 'bb', 'ccc'].forEach((s) => cb(s)), 0);
    }, 3, { strings: true });
    expect(perItem).toBeGreaterThanOrEqual(0);
    const batched = await timeUntilSeen((cb: (b: string[]) => void) => {
      setTimeout(() => { cb(['a', 'bb']); cb(['ccc']); }, 0);
    }, 3, { strings: true, batched: true });
    expect(batched).toBeGreaterThanOrEqual(0);
    expect((globalThis as { __benchSink?: number }).__benchSink).toBe(6);  // Their lengths.
    // Fewer than `total` never resolves: it rejects at the timeout.
    await expect(timeUntilSeen((cb: (s: string) => void) => cb('a'), 2, { strings: true, timeoutMs: 50 }))
      .rejects.toThrow(/stalled: 1 of 2/);
  });
});
