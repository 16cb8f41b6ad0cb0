// Strings from threads, as log lines are streamed (not one of issue #5's
// scenarios; bench/NOTES.md has the figures): 1,000,000 short strings in
// total from 1 and 2 producer threads, one call per string, delivered one
// JS call per string or, batched, in arrays of strings (one JS call per
// drain). Beside a baseline that allocates a std::string per call:
// node-addon-api's TypedThreadSafeFunction natively, per-call
// emscripten_async_run_in_main_runtime_thread (embind's conversion) in
// wasm. Medians of 5 runs, alternated. In Chromium each implementation
// runs in a page of its own, as bench/run.mjs runs throughput there.
//   node bench/strings.mjs native|wasm|chromium   (after npm run bench, or
//   NODE_PATH=/usr/share/nodejs bash scripts/build-bench.sh)
import { fileURLToPath } from 'node:url';
import { loadModule } from 'anythread';
import { startChromiumBench } from './chromium-pages.mjs';
import { throughput, timeUntilSeen } from './scenarios.mjs';

const which = process.argv[2] ?? 'native';
if (!['native', 'wasm', 'chromium'].includes(which)) throw new RangeError('backend must be native, wasm or chromium');
const backend = which === 'chromium' ? 'wasm-chromium' : which;
const total = 1_000_000;
const log = (line) => process.stderr.write(`${line}\n`);
const names = ['anythread', 'anythread-batched', backend === 'native' ? 'napi-typed' : 'em-async-run'];
const baseline = names[2];
let impls = [];
let chromium;
if (which === 'chromium') {
  chromium = await startChromiumBench();
} else {
  const dir = fileURLToPath(new URL('./dist', import.meta.url));
  const { exports: m } = await loadModule({ name: 'anythread_bench', dir, order: [backend] });
  const impl = (name, batched, start) => ({
    name,
    once: (p) => timeUntilSeen((cb) => start(cb, p, total), total, { batched, strings: true }),
  });
  impls = [
    impl(names[0], false, (cb, p, n) => m.anythreadStrings(cb, p, n, false)),
    impl(names[1], true, (cb, p, n) => m.anythreadStrings(cb, p, n, true)),
    backend === 'native'
      ? impl(baseline, false, (cb, p, n) => m.napiTypedStrings(cb, p, n))
      : impl(baseline, false, (cb, p, n) => m.emPerCallStrings(cb, p, n)),
  ];
}
let records;
try {
  for (const name of chromium ? names : []) impls.push(await chromium.servePage({ serve: name, strings: '' }, name));
  records = await throughput({ backend, impls, producers: [1, 2], runs: 5, total, log, settleEach: which === 'chromium' });
} finally {
  await chromium?.close();
}
const M = (x) => (x / 1e6).toFixed(2);
console.log(`| backend | impl | producers | median (min-max) | / anythread per item | / ${baseline} |`);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of records) {
  const of = (name) => records.find((x) => x.impl === name && x.producers === r.producers).median;
  console.log(`| ${backend} | ${r.impl} | ${r.producers} | ${M(r.median)} M/s (${M(r.min)}-${M(r.max)}) | ${(r.median / of('anythread')).toFixed(2)} | ${(r.median / of(baseline)).toFixed(2)} |`);
}
