// The benchmark scenarios, shared by Node and the browser page: no Node
// built-ins here. Each returns records { scenario, backend, impl, producers,
// unit, median, min, max, runs } (anythread's latency records also carry
// `paired`: see latencyRecords); bench/run.mjs tabulates them.

export const TOTAL = 1_000_000;

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

export function record(scenario, backend, impl, producers, unit, values) {
  return { scenario, backend, impl, producers, unit, ...stats(values) };
}

// Two-sided 95% quantiles of Student's t with df = 1..30 degrees of freedom.
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
  2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
  2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];

// The ratio ours[i] / theirs[i] of two implementations measured in the same
// run i, over the runs: its mean and 95% confidence interval (Student's t),
// and how many runs it was below 1. Paired within each run, it shows what
// the medians' ratio cannot: natively the idle-latency ratio of one build
// moves by several percent from process to process, while within a process
// the two implementations move together (bench/NOTES.md), so the runs'
// ratios resolve a difference of about a percent over 15 runs (half a
// percent over 30) where the ratio of the runs' medians resolves a few
// percent. One run gives no interval.
export function pairedRatio(ours, theirs) {
  if (ours.length !== theirs.length || ours.length === 0) {
    throw new RangeError(`pairedRatio: ${ours.length} runs against ${theirs.length}`);
  }
  const ratios = ours.map((x, i) => x / theirs[i]);
  const n = ratios.length;
  const mean = ratios.reduce((a, b) => a + b, 0) / n;
  const t = n > 1 ? (T95[n - 2] ?? 1.96) : NaN;
  const sd = n > 1 ? Math.sqrt(ratios.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1)) : NaN;
  const half = t * (sd / Math.sqrt(n));
  return { mean, low: mean - half, high: mean + half, runs: n, below1: ratios.filter((r) => r < 1).length };
}

// The idle-latency records from each run's p50 and p99 per implementation
// (names[0] is anythread, names[1] its baseline): one record per quantile
// and implementation, and on anythread's, `paired`, the within-run ratio to
// the baseline (pairedRatio).
export function latencyRecords(backend, names, p50s, p99s, log) {
  const out = [];
  names.forEach((name, i) => {
    for (const [scenario, values] of [['latency-p50', p50s], ['latency-p99', p99s]]) {
      const r = record(scenario, backend, name, 1, 'us', values[i]);
      if (i === 0 && name === 'anythread' && names.length > 1) {
        r.paired = { vs: names[1], ...pairedRatio(values[0], values[1]) };
      }
      out.push(r);
    }
    log?.(`${backend} latency ${name} (${p50s[i].length} runs): p50 ${out.at(-2).median.toFixed(1)} us, p99 ${out.at(-1).median.toFixed(1)} us`);
  });
  return out;
}

// The p-quantile (0 <= p < 1) of `sorted` (ascending), for samples read
// off a clock that moves in steps of `step` (0: a fine clock). Chromium's
// performance.now() moves in 5 us steps, so every latency there is a
// multiple of 5 us; the plain order statistic then jumps a whole step at a
// time, and two implementations a fraction of a step apart read as equal
// or as a whole step apart, by chance (1.00x in one run, 1.12x in the
// next). Each quantized sample stands for a time somewhere in the step
// around it, so the quantile is interpolated within its step, as the
// median of grouped data is. With step 0 it is the order statistic.
export function quantile(sorted, p, step = 0) {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = p * n;
  if (!(step > 0)) return sorted[Math.min(n - 1, Math.floor(rank))];
  let below = 0;
  for (let i = 0; i < n;) {
    // One step's samples: within half a step of the first (the clock's
    // readings differ from exact multiples by float rounding).
    let j = i + 1;
    while (j < n && sorted[j] - sorted[i] < step / 2) j++;
    const count = j - i;
    if (rank < below + count) {
      const center = (sorted[i] + sorted[j - 1]) / 2;
      return center - step / 2 + (step * (rank - below)) / count;
    }
    below += count;
    i = j;
  }
  return sorted[n - 1];
}

// The step `now()` (milliseconds) moves by, in microseconds: 5 in Chromium
// (coarsened for security; a little less as read, timeOrigin + now() being
// a double that large); 0 for a clock that never reads the same twice in
// a row (Node's, for both backends: finer than a reading costs).
export function clockStep(now) {
  let step = Infinity;
  let repeats = 0;
  let last = now();
  const end = performance.now() + 20;
  for (let changes = 0; changes < 200 && performance.now() < end;) {
    const t = now();
    if (t === last) {
      repeats++;
    } else {
      step = Math.min(step, t - last);
      last = t;
      changes++;
    }
  }
  return repeats > 0 && Number.isFinite(step) ? step * 1000 : 0;
}

// Runs `start(callback)` and resolves with the milliseconds until the
// callback saw `total` items. Per-item callbacks only count, with integer
// arithmetic (`(s + x) | 0`; with `strings`, of each string's length);
// batched ones get arrays. A ref'd interval holds Node's loop meanwhile:
// baselines' own messages may not.
export function timeUntilSeen(start, total, { batched = false, strings = false, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let sum = 0;
    const hold = setInterval(() => {}, 1 << 30);
    const timer = setTimeout(() => {
      clearInterval(hold);
      reject(new Error(`stalled: ${seen} of ${total} calls after ${timeoutMs} ms`));
    }, timeoutMs);
    const t0 = performance.now();
    const finish = () => {
      const ms = performance.now() - t0;
      clearInterval(hold);
      clearTimeout(timer);
      globalThis.__benchSink = sum;
      resolve(ms);
    };
    const callback = strings
      ? (batched
          ? (batch) => {
              for (let i = 0; i < batch.length; i++) sum = (sum + batch[i].length) | 0;
              seen += batch.length;
              if (seen === total) finish();
            }
          : (line) => {
              sum = (sum + line.length) | 0;
              if (++seen === total) finish();
            })
      : batched
      ? (batch) => {
          for (let i = 0; i < batch.length; i++) sum = (sum + batch[i]) | 0;
          seen += batch.length;
          if (seen === total) finish();
        }
      : (x) => {
          sum = (sum + x) | 0;
          if (++seen === total) finish();
        };
    start(callback);
  });
}

// Unrecorded warm-up runs of `runOnce` (which resolves once a run is over):
// at least one, and more until `minMs` have passed. The first run of an
// implementation and producer count pays for what later ones find ready
// (JIT compilation, new threads, wasm memory growth, queue rings on new
// pages), and a page or process just started runs everything slower for
// some seconds: in Chromium whichever pair ran first in a page measured
// about half what it did third, whatever the implementation (bench/NOTES.md).
export async function warmUp(runOnce, minMs = 1000) {
  const until = performance.now() + minMs;
  do await runOnce(); while (performance.now() < until);
}

// (a) throughput: calls/s for each implementation x producer count. For
// each producer count, every implementation warms up (the first one in a
// process or page for `settleMs`, the others for `warmUpMs`), then the
// recorded runs take turns: round r runs each implementation once, in an
// order rotating with r. These VMs have slow spells of several runs (page
// faults on memory the host took back; bench/NOTES.md): taking turns, every
// implementation meets them alike, where one after another the spell fell
// on whichever ran then. Ceilings (no producers) take turns among
// themselves.
export async function throughput({
  backend, impls, producers = [1, 2, 4], runs = 5, total = TOTAL, log, warmUpMs = 1000, settleMs = 3000,
  settleEach = false,
}) {
  const groups = producers.map((p) => [p, impls.filter((impl) => !impl.ceiling)]);
  groups.push([0, impls.filter((impl) => impl.ceiling)]);
  const out = [];
  let first = true;
  const settled = new Set();
  for (const [p, group] of groups) {
    if (group.length === 0) continue;
    // An implementation may run elsewhere (impl.once: a Chromium page of
    // its own, bench/run.mjs) or here.
    const once = (impl) => (impl.once
      ? impl.once(p)
      : timeUntilSeen((cb) => impl.start(cb, p, total), total, { batched: impl.batched }));
    // settleEach: each implementation is in a process or page of its own
    // (Chromium, bench/run.mjs), so each first warm-up is a settling one.
    for (const impl of group) {
      await warmUp(() => once(impl), first || (settleEach && !settled.has(impl)) ? settleMs : warmUpMs);
      settled.add(impl);
      first = false;
    }
    const values = group.map(() => []);
    for (let r = 0; r < runs; r++) {
      for (let k = 0; k < group.length; k++) {
        const j = (k + r) % group.length;
        values[j].push((total / (await once(group[j]))) * 1000);
      }
    }
    group.forEach((impl, j) => {
      const rec = record('throughput', backend, impl.name, p, 'calls/s', values[j]);
      log?.(`${backend} throughput ${impl.name} p=${p}: ${(rec.median / 1e6).toFixed(2)} M/s`);
      out.push(rec);
    });
  }
  return out;
}

// (b) idle latency: one call at a time, `gap` ms apart; p50 and p99 of
// call-to-callback time, in microseconds. `start(callbacks, count, gap)`
// makes `count` calls to each implementation from one producer thread,
// interleaved call by call (bench_module.cpp, LatencyInterleaved), so every
// implementation sees the same thread and machine state; `names` name the
// callbacks' implementations, in order.
/** @param {{ backend: string, names: string[], start: (callbacks: ((sent: number) => void)[], count: number, gap: number, mask: number) => unknown,
 *   count?: number, gap?: number, runs?: number, now: () => number, log?: (line: string) => void, mask?: number }} options */
export async function latency({ backend, names, start, count = 2000, gap = 1, runs = 5, now, log, mask = (1 << names.length) - 1 }) {
  // `mask` (a bit per implementation, in `names` order) calls a subset only;
  // the others' records are left out. For diagnosis: by default all run.
  const on = names.map((_, i) => (mask >> i) & 1);
  if (!on.some(Boolean)) throw new RangeError('latency: the mask selects no implementation');
  // Quantiles are interpolated within the clock's step (see quantile).
  const step = clockStep(now);
  // One sample run: `n` calls to each; resolves with each one's p50, p99.
  const sample = (n) => new Promise((resolve, reject) => {
    const samples = names.map(() => []);
    let pending = on.filter(Boolean).length;
    const hold = setInterval(() => {}, 1 << 30);
    const timer = setTimeout(() => {
      clearInterval(hold);
      const got = names.map((name, i) => `${name} ${samples[i].length}`).join(', ');
      reject(new Error(`latency samples of ${n}: ${got}`));
    }, n * names.length * gap * 5 + 10_000);
    const callbacks = names.map((_, i) => (sent) => {
      const mine = samples[i];
      mine.push((now() - sent) * 1000);
      if (mine.length === n && --pending === 0) {
        clearInterval(hold);
        clearTimeout(timer);
        resolve(samples.map((s) => {
          s.sort((a, b) => a - b);
          return { p50: quantile(s, 0.5, step), p99: quantile(s, 0.99, step) };
        }));
      }
    });
    start(callbacks, n, gap, mask);
  });
  // A short warm-up (not recorded: the first calls in a process pay for
  // thread start-up and first-call paths), then the recorded runs.
  await sample(Math.min(count, 200));
  const p50s = names.map(() => []);
  const p99s = names.map(() => []);
  for (let r = 0; r < runs; r++) {
    const got = await sample(count);
    got.forEach(({ p50, p99 }, i) => {
      p50s[i].push(p50);
      p99s[i].push(p99);
    });
  }
  log?.(`${backend} latency: clock step ${step.toFixed(3)} us`);
  const kept = (list) => list.filter((_, i) => on[i]);
  return latencyRecords(backend, kept(names), kept(p50s), kept(p99s), log);
}

// Producer-path heap allocations per call in steady state, for payloads of
// 4, 16 and 64 bytes: a bounded queue (1024) takes three rounds of 1024
// calls, drained between rounds (anythreadSteadyAllocations). One record
// per payload size, its runs the rounds' allocations per call.
/** @param {{ m: { anythreadSteadyAllocations: (cb: unknown, calls: number, bytes: number) => Promise<number[]> },
 *   backend: string, log?: (line: string) => void }} options */
export async function steadyAllocations({ m, backend, log }) {
  const out = [];
  for (const payloadBytes of [4, 16, 64]) {
    const counts = await m.anythreadSteadyAllocations(() => {}, 1024, payloadBytes);
    out.push({
      ...record('allocations-steady', backend, 'anythread', 1, 'allocs/call', counts.map((c) => c / 1024)),
      payloadBytes,
    });
    log?.(`${backend} allocations, ${payloadBytes}-byte payload: ${counts.join(', ')} in three rounds of 1024 steady calls`);
  }
  return out;
}

// (c) backpressure: max_queue_size 1024, blocking calls, 2 producers.
export async function backpressure({ backend, impls, runs = 3, total = TOTAL, log }) {
  const out = [];
  for (const impl of impls) {
    const values = [];
    let stalled = 0;
    for (let r = 0; r < runs; r++) {
      try {
        const ms = await timeUntilSeen((cb) => impl.start(cb, 2, total), total, { timeoutMs: 20_000 });
        values.push((total / ms) * 1000);
      } catch {
        stalled++;
        values.push(0);
      }
    }
    const rec = record('backpressure', backend, impl.name, 2, 'calls/s', values);
    rec.stalledRuns = stalled;
    log?.(`${backend} backpressure ${impl.name}: ${(rec.median / 1e6).toFixed(2)} M/s, stalled ${stalled}/${runs}`);
    out.push(rec);
  }
  return out;
}
