// `npm run bench`: every scenario on the native backend in Node, the wasm
// backend in Node and the wasm backend in headless Chromium, each against its
// baselines in the same run; writes bench/results.json and bench/RESULTS.md.
// `--quick`: tiny sizes, one run each, results printed only (a smoke test).
// `--render`: no run; RESULTS.md written again from the committed
// results.json and the current BOUNDS.md (after an edit of either's prose).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChromiumBench } from './chromium-pages.mjs';
import { codeLine, codeMeasured } from './code-identity.mjs';
import { record, throughput, TOTAL } from './scenarios.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const render = process.argv.includes('--render');
const log = (line) => process.stderr.write(`${line}\n`);

function runNodeBackend(backend) {
  return new Promise((resolve, reject) => {
    const args = [path.join(here, 'node-run.mjs'), backend, ...(quick ? ['--quick'] : [])];
    const child = spawn(process.execPath, ['--expose-gc', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${backend} benchmark exited with ${code}`));
      resolve(JSON.parse(out));
    });
  });
}

// Chromium: the throughput scenario runs each implementation in a page of
// its own, and the pages take turns run by run as the implementations do
// in Node (scenarios.mjs, throughput). In one page they slowed each other
// down: lent batches with 1 producer measured 34-44 M/s in a page alone or
// beside the other anythread forms, 27.5 M/s beside the per-call
// Emscripten baselines, whose million proxied calls leave the page's heap
// to collect (bench/NOTES.md). The other scenarios run in one more page.
async function runBrowser() {
  const { browser, launch, query, servePage, close } = await startChromiumBench({ quick, plugins: [residentSetPlugin] });
  try {
    const rest = await runPage(browser, query({ throughput: 'elsewhere' }));
    const impls = [];
    for (const impl of rest.impls) impls.push({ ...impl, ...(await servePage({ serve: impl.name }, impl.name)) });
    const records = await throughput({
      backend: 'wasm-chromium', impls, runs: quick ? 1 : 5, total: quick ? 20_000 : TOTAL, log,
      warmUpMs: quick ? 0 : 1000, settleMs: quick ? 0 : 3000, settleEach: true,
    });
    for (const impl of impls) await impl.page.close();
    const memory = await memoryInChromium(launch, query);
    return { records: [...records, ...rest.records, ...memory], version: browser.version() };
  } finally {
    await close();
  }
}

// Memory in Chromium, as in Node (node-run.mjs): the resident set's growth
// while every call sits in the queue, per call, and the peak. A page cannot
// read a resident set, so the page asks this process by a synchronous
// request (/__bench/rss), which blocks its main thread without running any
// task: nothing drains while the set is read. The answer lists every
// renderer of the browser the measurement runs in (Chromium's
// SystemInfo.getProcessInfo, then /proc/PID/status); the page's is the one
// that grew by the queued calls (the others are idle). Each run is a new
// browser, as each Node run is a new process, so no memory freed by an
// earlier run is reused.
let renderers = async () => [];
const residentSetPlugin = {
  name: 'bench-resident-set',
  configureServer(server) {
    server.middlewares.use('/__bench/rss', async (req, res) => {
      const out = [];
      for (const pid of await renderers()) {
        try {
          const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
          const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)[1]) * 1024;
          out.push({ pid, rss: kib('VmRSS'), hwm: kib('VmHWM') });
        } catch {}  // A process that has gone.
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(out));
    });
  },
};

async function memoryInChromium(launch, query) {
  const perCall = [];
  const peaks = [];
  let allocations;
  for (let r = 0; r < (quick ? 1 : 3); r++) {
    const browser = await launch();
    try {
      const cdp = await browser.newBrowserCDPSession();
      renderers = async () => (await cdp.send('SystemInfo.getProcessInfo')).processInfo
        .filter((p) => p.type === 'renderer').map((p) => p.id);
      const got = await runPage(browser, query({ memory: 'anythread' }));
      perCall.push(got.memory.perCall);
      peaks.push(got.memory.peak);
      allocations ??= got.memory.allocations;
    } finally {
      renderers = async () => [];
      await browser.close();
    }
  }
  const backend = 'wasm-chromium';
  const total = quick ? 20_000 : TOTAL;
  const out = [
    record('memory-queued', backend, 'anythread', 1, 'bytes/call', perCall),
    record('memory-peak-rss', backend, 'anythread', 1, 'bytes', peaks),
    record('allocations-unbounded', backend, 'anythread', 1, 'allocs/call', [allocations / total]),
  ];
  log(`${backend} memory anythread: ${out[0].median.toFixed(1)} bytes per queued call; allocations: ${allocations} per ${total} unbounded`);
  return out;
}

// Loads `url` and waits for its records (window.__benchResults), printing
// its log as it goes. Returns them with the page's list of implementations.
async function runPage(browser, url) {
  const page = await browser.newPage();
  let printed = 0;
  await page.goto(url);
  const poll = setInterval(async () => {
    try {
      const text = await page.textContent('#log');
      const lines = text.split('\n');
      for (; printed < lines.length; printed++) if (lines[printed] !== 'loading') log(lines[printed]);
    } catch {}
  }, 1000);
  try {
    await page.waitForFunction(() => window.__benchResults || window.__benchError, undefined, {
      timeout: 20 * 60_000,
    });
  } finally {
    clearInterval(poll);
  }
  const error = await page.evaluate(() => window.__benchError);
  if (error) throw new Error(`browser benchmark: ${error}`);
  const out = await page.evaluate(() => ({
    records: window.__benchResults, impls: window.__benchImpls, memory: window.__benchMemory,
  }));
  await page.close();
  return out;
}

const fmt = (r) => {
  if (r.unit === 'calls/s') return `${(r.median / 1e6).toFixed(2)} M/s (${(r.min / 1e6).toFixed(2)}–${(r.max / 1e6).toFixed(2)})`;
  if (r.unit === 'us') return `${r.median.toFixed(1)} µs (${r.min.toFixed(1)}–${r.max.toFixed(1)})`;
  if (r.unit === 'bytes') return `${(r.median / 2 ** 20).toFixed(0)} MiB`;
  if (r.unit === 'bytes/call') return `${r.median.toFixed(1)} B (${r.min.toFixed(1)}–${r.max.toFixed(1)})`;
  // Allocations per call: a ring's few growths over a million calls show
  // as such (0.000023), not as 0.0000.
  const n = (x) => (x > 0 && x < 0.001 ? x.toPrecision(2) : x.toFixed(4));
  if (r.runs > 1) return `${n(r.median)} (${n(r.min)}–${n(r.max)})`;
  return n(r.median);
};

function find(records, scenario, backend, impl, producers) {
  return records.find((r) => r.scenario === scenario && r.backend === backend && r.impl === impl &&
    (producers === undefined || r.producers === producers));
}

function table(records, scenario, backend) {
  const rows = records.filter((r) => r.scenario === scenario && r.backend === backend);
  if (!rows.length) return '';
  // Records of one implementation by payload size (allocations) get a
  // payload column, and compare with no other implementation.
  if (rows.some((r) => r.payloadBytes !== undefined)) {
    const lines = ['| impl | producers | payload | median (min–max) over rounds |', '| --- | --- | --- | --- |'];
    for (const r of rows) lines.push(`| ${r.impl} | ${r.producers} | ${r.payloadBytes} bytes | ${fmt(r)} |`);
    return lines.join('\n');
  }
  const lines = ['| impl | producers | median (min–max) | anythread / impl |', '| --- | --- | --- | --- |'];
  for (const r of rows) {
    const ours = find(records, scenario, backend, 'anythread', r.producers) ??
      find(records, scenario, backend, 'anythread', 1);
    const ratio = ours && r.impl !== 'anythread' && r.median > 0 ? (ours.median / r.median).toFixed(2) : '';
    const stalled = r.stalledRuns ? ` **stalled ${r.stalledRuns}/${r.runs} runs**` : '';
    lines.push(`| ${r.impl} | ${r.producers || 'JS thread'} | ${fmt(r)}${stalled} | ${ratio} |`);
  }
  return lines.join('\n');
}

function targets(records) {
  const out = [];
  const check = (label, value, goal, higherIsBetter = true) => {
    if (value === undefined || Number.isNaN(value)) return out.push(`| ${label} | n/a | ${goal} | not measured |`);
    const met = higherIsBetter ? value >= goal : value <= goal;
    const how = met ? 'met' : `missed by ${(higherIsBetter ? goal - value : value - goal).toFixed(2)}`;
    out.push(`| ${label} | ${value.toFixed(2)} | ${higherIsBetter ? '≥' : '≤'} ${goal} | ${how} |`);
  };
  const ratio = (backend, a, b, p, scenario = 'throughput') => {
    const x = find(records, scenario, backend, a, p);
    const y = find(records, scenario, backend, b, p);
    return x && y ? x.median / y.median : undefined;
  };
  for (const p of [1, 2]) {
    check(`native, per item, ${p} producer(s): anythread / napi-typed`, ratio('native', 'anythread', 'napi-typed', p), 3);
    check(`native, per item, ${p} producer(s): anythread / napi-lambda`, ratio('native', 'anythread', 'napi-lambda', p), 4);
    for (const impl of ['anythread-batched', 'anythread-batched-lent']) {
      check(`native, batched, ${p} producer(s): ${impl} / napi-typed`, ratio('native', impl, 'napi-typed', p), 8);
    }
  }
  for (const backend of ['wasm', 'wasm-chromium']) {
    for (const p of [1, 2, 4]) {
      check(`${backend}, per item, ${p} producer(s): anythread / em-async-run`, ratio(backend, 'anythread', 'em-async-run', p), 10);
      for (const impl of ['anythread-batched', 'anythread-batched-lent']) {
        check(`${backend}, batched, ${p} producer(s): ${impl} / em-async-run`, ratio(backend, impl, 'em-async-run', p), 15);
      }
    }
  }
  // Latency: the mean of the runs' own ratios, with its 95% interval
  // (pairedRatio in scenarios.mjs): a miss is a miss only if the whole
  // interval lies above 1; an interval across 1 is reported as such.
  for (const [backend, base] of [['native', 'napi-typed'], ['wasm', 'em-async-run'], ['wasm-chromium', 'em-async-run']]) {
    for (const s of ['latency-p50', 'latency-p99']) {
      const label = `${backend}, ${s}: anythread / ${base} (lower is better; mean of per-run ratios, 95% interval)`;
      const paired = find(records, s, backend, 'anythread')?.paired;
      if (!paired || paired.vs !== base) {
        out.push(`| ${label} | n/a | ≤ 1 | not measured |`);
        continue;
      }
      const interval = Number.isFinite(paired.low) ? ` (${paired.low.toFixed(3)}–${paired.high.toFixed(3)})` : '';
      const by = `missed by ${((paired.mean - 1) * 100).toFixed(1)}%`;
      const how = paired.mean <= 1
        ? 'met'
        : !Number.isFinite(paired.low)
          ? `${by} (one run: no interval)`
          : paired.low <= 1
            ? `not shown worse: the interval includes 1 (${paired.below1} of ${paired.runs} runs below 1)`
            : `${by} (the interval lies above 1; ${paired.below1} of ${paired.runs} runs below 1)`;
      out.push(`| ${label} | ${paired.mean.toFixed(3)}${interval} | ≤ 1 | ${how} |`);
    }
  }
  for (const backend of ['native', 'wasm', 'wasm-chromium']) {
    const bp = find(records, 'backpressure', backend, 'anythread');
    if (bp) check(`${backend}, backpressure: stalled runs of anythread`, bp.stalledRuns, 0, false);
  }
  for (const backend of ['native', 'wasm', 'wasm-chromium']) {
    // Every round counts: the largest of them is held to the goal.
    for (const a of records.filter((r) => r.scenario === 'allocations-steady' && r.backend === backend)) {
      check(`${backend}, producer-path heap allocations per call (steady state, ${a.payloadBytes}-byte payload; most in a round)`,
        a.max, 0.01, false);
    }
  }
  return ['| target | measured | goal | verdict |', '| --- | --- | --- | --- |', ...out].join('\n');
}

function emccVersion() {
  try {
    return execFileSync('emcc', ['--version'], { env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } })
      .toString().split('\n')[0];
  } catch {
    return 'unknown';
  }
}

let records = [];
let env;
if (render) {
  ({ env, records } = JSON.parse(fs.readFileSync(path.join(here, 'results.json'), 'utf8')));
} else {
  const code = codeMeasured(here);
  log(`measuring:${codeLine(code).replace('\n- Code:', '')}`);
  records.push(...(await runNodeBackend('native')));
  records.push(...(await runNodeBackend('wasm')));
  const browser = await runBrowser();
  records.push(...browser.records);

  const cpus = os.cpus();
  env = {
    date: new Date().toISOString(),
    machine: `${cpus[0]?.model ?? 'unknown CPU'} x ${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`,
    node: process.version,
    chromium: browser.version,
    emscripten: emccVersion(),
    ...(code ? { code } : {}),
  };
}

const sections = [
  ['Throughput (a): 1,000,000 calls in total, the callback only counts', 'throughput'],
  ['Idle latency (b), p50: one call per 1 ms, 2,000 calls, call to callback', 'latency-p50'],
  ['Idle latency (b), p99', 'latency-p99'],
  ['Backpressure (c): max_queue_size 1024, blocking calls, 2 producers', 'backpressure'],
  ['Memory (d): resident memory per queued call, 1,000,000 calls queued before the JS thread drains', 'memory-queued'],
  ['Memory (d): peak resident set of the process (in Chromium, of the page\'s renderer)', 'memory-peak-rss'],
  ['Heap allocations per call on the producer path, steady state (bounded queue of 1024; three rounds of 1024 calls, drained between rounds)', 'allocations-steady'],
  ['Heap allocations per call on the producer path, 1,000,000 calls into an unbounded queue (ring growth)', 'allocations-unbounded'],
];
let md = `# Benchmark results

Written by \`npm run bench\` (bench/run.mjs) from one real run; every ratio
compares implementations measured in that same run. Medians of several runs
(min–max in brackets). Backends: \`native\` (Node-API addon in Node),
\`wasm\` (Emscripten build in Node), \`wasm-chromium\` (Emscripten build in
headless Chromium).

- Date: ${env.date}
- Machine: ${env.machine}
- Node ${env.node}, Chromium ${env.chromium}, ${env.emscripten}${codeLine(env.code)}

## Targets

${targets(records)}

The latency targets compare, run by run, anythread with the baseline
measured beside it (one producer thread calls both in turn), and give the
mean of those ratios with its 95% interval; in \`results.json\`
anythread's latency records carry it as \`paired\` (\`vs\`, \`mean\`,
\`low\`, \`high\`, \`runs\`, \`below1\`). The tables below give each
implementation's median over the runs, and the ratio of those medians.

`;
for (const [title, scenario] of sections) {
  md += `## ${title}\n\n`;
  for (const backend of ['native', 'wasm', 'wasm-chromium']) {
    const t = table(records, scenario, backend);
    if (t) md += `### ${backend}\n\n${t}\n\n`;
  }
}
md += fs.readFileSync(path.join(here, 'BOUNDS.md'), 'utf8');
// A quick run's figures mean nothing: its tables are only made (so that a
// smoke run exercises them), not written over the committed ones.
if (quick) {
  log(targets(records));
  log(`bench --quick: ${records.length} records, all scenarios ran; ${md.split('\n').length} lines of tables made, not written.`);
  process.exit(0);
}
if (!render) fs.writeFileSync(path.join(here, 'results.json'), `${JSON.stringify({ env, records }, null, 2)}\n`);
fs.writeFileSync(path.join(here, 'RESULTS.md'), md);
log(render ? 'rendered bench/RESULTS.md from bench/results.json' : 'wrote bench/results.json and bench/RESULTS.md');
