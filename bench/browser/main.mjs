// The browser half of `npm run bench`: the wasm backend and Web Worker
// baselines in this page; results go to window.__benchResults.
import { loadModule } from 'anythread';
import factory from '../dist/web/anythread_bench.mjs';
import { backpressure, latency, record, steadyAllocations, throughput, timeUntilSeen, TOTAL, warmUp } from '../scenarios.mjs';

const params = new URLSearchParams(location.search);
const quick = params.has('quick');
const total = quick ? 20_000 : TOTAL;
const runs = quick ? 1 : 5;
const backend = 'wasm-chromium';
const logEl = document.getElementById('log');
const lines = [];
const log = (line) => {
  lines.push(line);
  logEl.textContent = lines.join('\n');
};

const WORKER = `
onmessage = ({ data: { count, batch } }) => {
  if (batch === 1) { for (let i = 0; i < count; i++) postMessage(i); return; }
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const a = new Uint32Array(n);
    for (let j = 0; j < n; j++) a[j] = i + j;
    postMessage(a, [a.buffer]);
  }
};`;

async function jsBaselines() {
  const url = URL.createObjectURL(new Blob([WORKER], { type: 'text/javascript' }));
  const out = [];
  for (const batch of [1, 1000]) {
    const name = batch === 1 ? 'js-postmessage' : 'js-postmessage-1000';
    for (const p of [1, 2, 4]) {
      const workers = Array.from({ length: p }, () => new Worker(url));
      const values = [];
      const once = () => timeUntilSeen((cb) => {
        workers.forEach((w, i) => {
          w.onmessage = (e) => cb(e.data);
          w.postMessage({ count: Math.floor(total * (i + 1) / p) - Math.floor(total * i / p), batch });
        });
      }, total, { batched: batch !== 1 });
      await warmUp(once, quick ? 0 : 1000);
      for (let r = 0; r < runs; r++) values.push((total / (await once())) * 1000);
      workers.forEach((w) => w.terminate());
      const rec = record('throughput', backend, name, p, 'calls/s', values);
      log(`${backend} throughput ${name} p=${p}: ${(rec.median / 1e6).toFixed(2)} M/s`);
      out.push(rec);
    }
  }
  return out;
}

// The resident set of every renderer, read by bench/run.mjs. Synchronous:
// while it waits, this page's main thread runs nothing, so no call drains.
function residentSets() {
  const request = new XMLHttpRequest();
  request.open('GET', '/__bench/rss', false);
  request.send();
  if (request.status !== 200) throw new Error(`/__bench/rss: ${request.status}`);
  return JSON.parse(request.responseText);
}

// As node-run.mjs measures in Node: `total` calls queued by one producer
// while the main thread waits inside anythreadQueueAll, the resident set
// read before and while they are queued, then the peak once drained. The
// page's renderer is the one that grew (the browser's others are idle).
async function measureMemory(m) {
  let seen = 0;
  let resolveDone;
  const drained = new Promise((r) => (resolveDone = r));
  const before = residentSets();
  const allocations = m.anythreadQueueAll(() => { if (++seen === total) resolveDone(); }, total);
  const queued = residentSets();
  await drained;
  const after = residentSets();
  let grown;
  for (const q of queued) {
    const b = before.find((x) => x.pid === q.pid);
    if (b && (!grown || q.rss - b.rss > grown.bytes)) grown = { pid: q.pid, bytes: q.rss - b.rss };
  }
  if (!grown) throw new Error('memory: no renderer to measure');
  const peak = after.find((x) => x.pid === grown.pid)?.hwm;
  log(`${backend} memory anythread: renderer ${grown.pid} grew ${grown.bytes} bytes with ${total} calls queued`);
  return { perCall: grown.bytes / total, peak, allocations };
}

async function main() {
  const { exports: m } = await loadModule({
    factory,
    mainScriptUrl: new URL('../dist/web/anythread_bench.mjs', import.meta.url),
  });
  const allImpls = [
    { name: 'anythread', start: (cb, p, n) => m.anythread(cb, p, n, false) },
    { name: 'anythread-batched', batched: true, start: (cb, p, n) => m.anythread(cb, p, n, true) },
    { name: 'anythread-batched-lent', batched: true, start: (cb, p, n) => m.anythread(cb, p, n, 'lent') },
    // Producers that make their values in blocks: CallMany() of 1,000 at a time.
    { name: 'anythread-many', start: (cb, p, n) => m.anythread(cb, p, n, false, 0, false, 1000) },
    { name: 'anythread-many-lent', batched: true, start: (cb, p, n) => m.anythread(cb, p, n, 'lent', 0, false, 1000) },
    { name: 'em-async-run', start: (cb, p, n) => m.emPerCall(cb, p, n, 'async-run') },
    { name: 'em-asm', start: (cb, p, n) => m.emPerCall(cb, p, n, 'em-asm') },
    { name: 'embind-loop (ceiling)', ceiling: true, start: (cb, p, n) => setTimeout(() => m.emLoop(cb, n, 'embind')) },
    { name: 'em-js-loop (ceiling)', ceiling: true, start: (cb, p, n) => setTimeout(() => m.emLoop(cb, n, 'em-js')) },
  ];
  // Strings from threads (bench/strings.mjs chromium; not one of issue
  // #5's scenarios): one string per call, as log lines are streamed.
  const stringImpls = [
    { name: 'anythread', start: (cb, p, n) => m.anythreadStrings(cb, p, n, false) },
    { name: 'anythread-batched', batched: true, start: (cb, p, n) => m.anythreadStrings(cb, p, n, true) },
    { name: 'em-async-run', start: (cb, p, n) => m.emPerCallStrings(cb, p, n) },
  ];
  // For bench/run.mjs, which opens a page per implementation (?serve=).
  window.__benchImpls = allImpls.map(({ name, ceiling }) => ({ name, ceiling }));
  // ?serve=NAME: this page holds one implementation for the throughput
  // scenario, which bench/run.mjs drives from outside, one page per
  // implementation (see there); a run is window.__benchOnce(producers).
  // With ?strings, one of stringImpls (bench/strings.mjs).
  const serve = params.get('serve');
  if (serve !== null) {
    const strings = params.has('strings');
    const one = (strings ? stringImpls : allImpls).find((i) => i.name === serve);
    if (!one) throw new Error(`no ${strings ? 'strings ' : ''}implementation named ${serve}`);
    window.__benchOnce = (p) => timeUntilSeen((cb) => one.start(cb, p, total), total, { batched: one.batched, strings });
    window.__benchReady = true;
    return;
  }
  // ?memory=anythread: one memory measurement in this page, which bench/run.mjs
  // opens in a browser of its own (see there); its result goes to
  // window.__benchMemory.
  if (params.get('memory') !== null) {
    if (params.get('memory') !== 'anythread') throw new Error(`no memory measurement for ${params.get('memory')}`);
    window.__benchMemory = await measureMemory(m);
    window.__benchResults = [];
    return;
  }
  // ?throughput=elsewhere: every scenario but throughput (run.mjs runs that
  // in pages of their own).
  const skipThroughput = params.get('throughput') === 'elsewhere';
  const only = params.get('only');  // e.g. ?only=latency, when investigating
  // e.g. ?only=throughput&impl=anythread, or a comma-separated list, run in
  // its order.
  const impl = params.get('impl');
  const impls = impl
    ? impl.split(',').map((name) => allImpls.find((i) => i.name === name)).filter(Boolean)
    : allImpls;
  // e.g. ?only=throughput&producers=1 (throughput only)
  const producers = params.get('producers') ? [Number(params.get('producers'))] : undefined;
  const records = [
    ...((only && only !== 'throughput') || skipThroughput ? [] : await throughput({ backend, impls, producers, runs, total, log, warmUpMs: quick ? 0 : 1000, settleMs: quick ? 0 : 3000 })),
    ...(only ? [] : await jsBaselines()),
    ...(only && only !== 'latency' ? [] : await latency({
      backend,
      names: ['anythread', 'em-async-run', 'em-asm'],  // LatencyInterleaved's order
      start: m.latencyInterleaved,
      count: quick ? 50 : 2000,
      runs: quick ? 1 : 15,  // As in Node (node-run.mjs latencyRuns).
      now: () => performance.timeOrigin + performance.now(),  // NowMs's clock
      log,
    })),
    ...(only && only !== 'backpressure' ? [] : await backpressure({
      backend,
      // Emscripten's per-call paths as they are: their queue holds 127
      // calls and blocks when full (node-run.mjs).
      impls: [
        { name: 'anythread', start: (cb, p, n) => m.anythread(cb, p, n, false, 1024, true) },
        { name: 'em-async-run', start: (cb, p, n) => m.emPerCall(cb, p, n, 'async-run') },
        { name: 'em-asm', start: (cb, p, n) => m.emPerCall(cb, p, n, 'em-asm') },
      ],
      runs: quick ? 1 : 3,
      total,
      log,
    })),
  ];
  records.push(...(await steadyAllocations({ m, backend, log })));
  window.__benchResults = records;
}

main().catch((err) => {
  log(`error: ${err.message}`);
  window.__benchError = String(err && err.stack || err);
});
