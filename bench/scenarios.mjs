// The benchmark scenarios, shared by Node and the browser page: no Node
// built-ins here. Each returns records { scenario, backend, impl, producers,
// unit, median, min, max, runs }; bench/run.mjs tabulates them.

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

// Runs `start(callback)` and resolves with the milliseconds until the
// callback saw `total` items. Per-item callbacks only count, with integer
// arithmetic (`(s + x) | 0`); batched ones get arrays. A ref'd interval
// holds Node's loop meanwhile: baselines' own messages may not.
export function timeUntilSeen(start, total, { batched = false, timeoutMs = 60_000 } = {}) {
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
    const callback = batched
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

// (a) throughput: calls/s for each implementation x producer count.
export async function throughput({ backend, impls, producers = [1, 2, 4], runs = 5, total = TOTAL, log }) {
  const out = [];
  for (const impl of impls) {
    for (const p of impl.ceiling ? [0] : producers) {
      const values = [];
      for (let r = 0; r < runs; r++) {
        const ms = await timeUntilSeen((cb) => impl.start(cb, p, total), total, { batched: impl.batched });
        values.push((total / ms) * 1000);
      }
      const rec = record('throughput', backend, impl.name, p, 'calls/s', values);
      log?.(`${backend} throughput ${impl.name} p=${p}: ${(rec.median / 1e6).toFixed(2)} M/s`);
      out.push(rec);
    }
  }
  return out;
}

// (b) idle latency: one call at a time, `gap` ms apart; p50 and p99 of
// call-to-callback time, in microseconds. `start(callbacks, count, gap)`
// makes `count` calls to each implementation from one producer thread,
// interleaved call by call (bench_module.cpp, LatencyInterleaved), so every
// implementation sees the same thread and machine state; `names` name the
// callbacks' implementations, in order.
export async function latency({ backend, names, start, count = 2000, gap = 1, runs = 5, now, log }) {
  // One sample run: `n` calls to each; resolves with each one's p50, p99.
  const sample = (n) => new Promise((resolve, reject) => {
    const samples = names.map(() => []);
    let pending = names.length;
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
          return { p50: s[Math.floor(n * 0.5)], p99: s[Math.floor(n * 0.99)] };
        }));
      }
    });
    start(callbacks, n, gap);
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
  const out = [];
  names.forEach((name, i) => {
    out.push(record('latency-p50', backend, name, 1, 'us', p50s[i]));
    out.push(record('latency-p99', backend, name, 1, 'us', p99s[i]));
    log?.(`${backend} latency ${name}: p50 ${out.at(-2).median.toFixed(1)} us, p99 ${out.at(-1).median.toFixed(1)} us`);
  });
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
