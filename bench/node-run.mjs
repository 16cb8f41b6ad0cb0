// One backend's benchmarks in Node (bench/run.mjs starts one process per
// backend): node bench/node-run.mjs native|wasm > records.json
// With `--memory <impl>`, one memory measurement in this fresh process (the
// memory scenario starts one such process per run and implementation).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { loadModule } from 'anythread';
import { backpressure, latency, latencyRecords, record, steadyAllocations, throughput, timeUntilSeen, TOTAL, warmUp } from './scenarios.mjs';

const backend = process.argv[2];
const quick = process.argv.includes('--quick');  // A smoke run: tiny sizes.
const log = (line) => process.stderr.write(`${line}\n`);
const dir = fileURLToPath(new URL('./dist', import.meta.url));
const { exports: m } = await loadModule({ name: 'anythread_bench', dir, order: [backend] });
const total = quick ? 20_000 : TOTAL;
const runs = quick ? 1 : 5;
// Idle latency runs (each a process): enough for the within-run ratios'
// interval (pairedRatio) to resolve about a percent.
const latencyRuns = quick ? 1 : 15;

// JS baseline: worker_threads postMessage, one item per message or arrays
// of 1000. Workers start (and are ready) before timing begins.
const WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ count, batch }) => {
  if (batch === 1) { for (let i = 0; i < count; i++) parentPort.postMessage(i); return; }
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const a = new Uint32Array(n);
    for (let j = 0; j < n; j++) a[j] = i + j;
    parentPort.postMessage(a);
  }
});`;
async function postMessageImpl(batch) {
  return {
    name: batch === 1 ? 'js-postmessage' : 'js-postmessage-1000',
    batched: batch !== 1,
    async prepare(p) {
      this.workers = await Promise.all(
        Array.from({ length: p }, () => new Promise((resolve) => {
          const w = new Worker(WORKER, { eval: true });
          w.once('online', () => resolve(w));
        })),
      );
    },
    start(cb, p, n) {
      this.workers.forEach((w, i) => {
        w.removeAllListeners('message');
        w.on('message', cb);
        w.postMessage({ count: Math.floor(n * (i + 1) / p) - Math.floor(n * i / p), batch });
      });
    },
    async finish() {
      await Promise.all(this.workers.map((w) => w.terminate()));
    },
  };
}

async function jsBaselines() {
  const out = [];
  for (const batch of [1, 1000]) {
    const impl = await postMessageImpl(batch);
    for (const p of [1, 2, 4]) {
      await impl.prepare(p);
      const values = [];
      const once = () => timeUntilSeen((cb) => impl.start(cb, p, total), total, { batched: impl.batched });
      await warmUp(once, quick ? 0 : 1000);
      for (let r = 0; r < runs; r++) values.push((total / (await once())) * 1000);
      await impl.finish();
      const rec = record('throughput', backend, impl.name, p, 'calls/s', values);
      log(`${backend} throughput ${impl.name} p=${p}: ${(rec.median / 1e6).toFixed(2)} M/s`);
      out.push(rec);
    }
  }
  return out;
}

const anythread = [
  { name: 'anythread', start: (cb, p, n) => m.anythread(cb, p, n, false) },
  { name: 'anythread-batched', batched: true, start: (cb, p, n) => m.anythread(cb, p, n, true) },
  { name: 'anythread-batched-lent', batched: true, start: (cb, p, n) => m.anythread(cb, p, n, 'lent') },
  // Producers that make their values in blocks: CallMany() of 1,000 at a time.
  { name: 'anythread-many', start: (cb, p, n) => m.anythread(cb, p, n, false, 0, false, 1000) },
  { name: 'anythread-many-lent', batched: true, start: (cb, p, n) => m.anythread(cb, p, n, 'lent', 0, false, 1000) },
];
const baselines = backend === 'native'
  ? [
      { name: 'napi-typed', start: (cb, p, n) => m.napiTyped(cb, p, n, 0, false) },
      { name: 'napi-lambda', start: (cb, p, n) => m.napiLambda(cb, p, n, 0, false) },
      { name: 'napi-call-loop (ceiling)', ceiling: true, start: (cb, p, n) => setImmediate(() => m.napiLoop(cb, n)) },
    ]
  : [
      { name: 'em-async-run', start: (cb, p, n) => m.emPerCall(cb, p, n, 'async-run') },
      { name: 'em-asm', start: (cb, p, n) => m.emPerCall(cb, p, n, 'em-asm') },
      { name: 'embind-loop (ceiling)', ceiling: true, start: (cb, p, n) => setImmediate(() => m.emLoop(cb, n, 'embind')) },
      { name: 'em-js-loop (ceiling)', ceiling: true, start: (cb, p, n) => setImmediate(() => m.emLoop(cb, n, 'em-js')) },
    ];

// The producers' clock (bench_module.cpp NowMs): CLOCK_MONOTONIC natively,
// performance.timeOrigin + performance.now() in wasm.
const now = backend === 'native'
  ? () => Number(process.hrtime.bigint()) / 1e6
  : () => performance.timeOrigin + performance.now();
// Named in the order LatencyInterleaved takes their callbacks.
const latencyNames = backend === 'native'
  ? ['anythread', 'napi-typed', 'napi-lambda']
  : ['anythread', 'em-async-run', 'em-asm'];
// Backpressure: 1024-call queues, blocking calls. Emscripten's per-call
// paths have no queue size to set: 3.1.6 queues at most 127 calls to the
// main thread and a producer waits while it is full (CALL_QUEUE_SIZE in
// system/lib/pthread/library_pthread.c), so they run as they are.
const backpressureImpls = [
  { name: 'anythread', start: (cb, p, n) => m.anythread(cb, p, n, false, 1024, true) },
  ...(backend === 'native'
    ? [
        { name: 'napi-typed', start: (cb, p, n) => m.napiTyped(cb, p, n, 1024, true) },
        { name: 'napi-lambda', start: (cb, p, n) => m.napiLambda(cb, p, n, 1024, true) },
      ]
    : [
        { name: 'em-async-run', start: (cb, p, n) => m.emPerCall(cb, p, n, 'async-run') },
        { name: 'em-asm', start: (cb, p, n) => m.emPerCall(cb, p, n, 'em-asm') },
      ]),
];

// Memory: the resident set's growth while every call sits in the queue
// (the JS thread blocked inside the queueing call), per call, and the
// process's peak. Each measurement runs in a process of its own: in a
// process that had run anything before, pages freed earlier are reused and
// the growth reads low (node-addon-api's queue read 0 bytes per call when
// it ran after anythread's in one process).
// Emscripten's per-call paths cannot hold a million calls (at most 127,
// above), so in wasm anythread has no baseline here.
const memoryImpls = {
  anythread: (cb, n) => m.anythreadQueueAll(cb, n),
  ...(backend === 'native'
    ? {
        'napi-typed': (cb, n) => m.napiTypedQueueAll(cb, n),
        'napi-lambda': (cb, n) => m.napiLambdaQueueAll(cb, n),
      }
    : {}),
};

async function measureMemoryHere(name) {
  const readHwm = () => {
    try {
      const status = fs.readFileSync('/proc/self/status', 'utf8');
      return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) * 1024;
    } catch {
      return NaN;
    }
  };
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let seen = 0;
  let resolveDone;
  const drained = new Promise((r) => (resolveDone = r));
  const hold = setInterval(() => {}, 1 << 30);
  memoryImpls[name](() => { if (++seen === total) resolveDone(); }, total);
  const queued = process.memoryUsage().rss;  // Everything queued, nothing drained.
  await drained;
  clearInterval(hold);
  return { perCall: (queued - before) / total, peak: readHwm() };
}

async function memory() {
  const out = [];
  for (const name of Object.keys(memoryImpls)) {
    const perCall = [];
    const peaks = [];
    for (let r = 0; r < (quick ? 1 : 3); r++) {
      const args = ['--expose-gc', fileURLToPath(import.meta.url), backend, '--memory', name];
      const child = spawnSync(process.execPath, quick ? [...args, '--quick'] : args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (child.status !== 0) throw new Error(`memory ${name}: the measuring process exited with ${child.status}`);
      const { perCall: bytes, peak } = JSON.parse(child.stdout);
      perCall.push(bytes);
      peaks.push(peak);
    }
    out.push(record('memory-queued', backend, name, 1, 'bytes/call', perCall));
    out.push(record('memory-peak-rss', backend, name, 1, 'bytes', peaks));
    log(`${backend} memory ${name}: ${out.at(-2).median.toFixed(1)} bytes per queued call`);
  }
  // Producer-path allocations: a bounded queue in steady state, and TOTAL
  // calls into an unbounded one (its ring grows).
  out.push(...(await steadyAllocations({ m, backend, log })));
  let seen = 0;
  let resolveDone;
  const drained = new Promise((r) => (resolveDone = r));
  const growth = m.anythreadQueueAll(() => { if (++seen === total) resolveDone(); }, total);
  await drained;
  out.push(record('allocations-unbounded', backend, 'anythread', 1, 'allocs/call', [growth / total]));
  log(`${backend} allocations: ${growth} per ${total} unbounded`);
  return out;
}

// Idle latency: each run in a process of its own. Within one process the
// runs agree closely, but between processes the same build's ratio to the
// baseline moves: natively the p50 ratio read 1.01-1.07x across processes
// in one afternoon's A/B runs, each process's own runs within 0.03 of each
// other (bench/NOTES.md). Something fixed for a process's life weighs on
// it, so runs in one process would sample it once; min-max then show the
// spread between processes. Each process warms up first (latency()).
async function latencyAcrossProcesses() {
  const p50s = latencyNames.map(() => []);
  const p99s = latencyNames.map(() => []);
  for (let r = 0; r < latencyRuns; r++) {
    const args = [fileURLToPath(import.meta.url), backend, '--latency'];
    const child = spawnSync(process.execPath, quick ? [...args, '--quick'] : args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`latency: the measuring process exited with ${child.status}`);
    const got = JSON.parse(child.stdout);
    latencyNames.forEach((name, i) => {
      const one = (scenario) => got.find((x) => x.scenario === scenario && x.impl === name).median;
      p50s[i].push(one('latency-p50'));
      p99s[i].push(one('latency-p99'));
    });
  }
  return latencyRecords(backend, latencyNames, p50s, p99s, log);
}

const latencyOnly = process.argv.includes('--latency');
const memoryOnly = process.argv.indexOf('--memory');
if (latencyOnly) {
  // One run (after a warm-up) in this fresh process.
  // ANYTHREAD_BENCH_LATENCY_MASK (diagnosis; npm run bench leaves it unset):
  // call only these implementations, a bit each in latencyNames order.
  const maskEnv = process.env.ANYTHREAD_BENCH_LATENCY_MASK;
  const mask = maskEnv ? Number(maskEnv) : undefined;
  const result = await latency({ backend, names: latencyNames, start: m.latencyInterleaved, count: quick ? 50 : 2000, runs: 1, now, log, mask });
  process.stdout.write(JSON.stringify(result), () => process.exit(0));
} else if (memoryOnly > 0) {
  const name = process.argv[memoryOnly + 1];
  if (!memoryImpls[name]) throw new Error(`--memory: no implementation ${name}`);
  const result = await measureMemoryHere(name);
  process.stdout.write(JSON.stringify(result), () => process.exit(0));
} else {
  const records = [
    ...(await throughput({ backend, impls: [...anythread, ...baselines], runs, total, log, warmUpMs: quick ? 0 : 1000, settleMs: quick ? 0 : 3000 })),
    ...(await jsBaselines()),
    ...(await latencyAcrossProcesses()),
    ...(await backpressure({ backend, impls: backpressureImpls, runs: quick ? 1 : 3, total, log })),
    ...(await memory()),
  ];
  // Exit explicitly: a stalled baseline (node-addon-api's bounded blocking
  // queue losing a wake-up, nodejs/node#58723) leaves producers blocked forever
  // on a ref'd threadsafe function, which would keep this process alive.
  process.stdout.write(JSON.stringify(records), () => process.exit(0));
}
