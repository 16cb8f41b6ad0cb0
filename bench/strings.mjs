// Strings from threads, as log lines are streamed (not one of issue #5's
// scenarios; bench/NOTES.md has the figures): 1,000,000 short strings in
// total from 1 and 2 producer threads, one call per string, delivered one
// JS call per string or, batched, in arrays of strings (one JS call per
// drain). Beside a baseline that allocates a std::string per call:
// node-addon-api's TypedThreadSafeFunction natively, per-call
// emscripten_async_run_in_main_runtime_thread (embind's conversion) in
// wasm. Medians of 5 runs, alternated.
//   node bench/strings.mjs native|wasm     (after npm run bench, or
//   NODE_PATH=/usr/share/nodejs bash scripts/build-bench.sh)
import { fileURLToPath } from 'node:url';
import { loadModule } from 'anythread';
import { throughput, timeUntilSeen } from './scenarios.mjs';

const backend = process.argv[2] ?? 'native';
if (backend !== 'native' && backend !== 'wasm') throw new RangeError('backend must be native or wasm');
const dir = fileURLToPath(new URL('./dist', import.meta.url));
const { exports: m } = await loadModule({ name: 'anythread_bench', dir, order: [backend] });
const total = 1_000_000;
const impl = (name, batched, start) => ({
  name,
  once: (p) => timeUntilSeen((cb) => start(cb, p, total), total, { batched, strings: true }),
});
const impls = [
  impl('anythread', false, (cb, p, n) => m.anythreadStrings(cb, p, n, false)),
  impl('anythread-batched', true, (cb, p, n) => m.anythreadStrings(cb, p, n, true)),
  backend === 'native'
    ? impl('napi-typed', false, (cb, p, n) => m.napiTypedStrings(cb, p, n))
    : impl('em-async-run', false, (cb, p, n) => m.emPerCallStrings(cb, p, n)),
];
const baseline = impls[2].name;
const log = (line) => process.stderr.write(`${line}\n`);
const records = await throughput({ backend, impls, producers: [1, 2], runs: 5, total, log });
const M = (x) => (x / 1e6).toFixed(2);
console.log(`| backend | impl | producers | median (min-max) | / anythread per item | / ${baseline} |`);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of records) {
  const of = (name) => records.find((x) => x.impl === name && x.producers === r.producers).median;
  console.log(`| ${backend} | ${r.impl} | ${r.producers} | ${M(r.median)} M/s (${M(r.min)}-${M(r.max)}) | ${(r.median / of('anythread')).toFixed(2)} | ${(r.median / of(baseline)).toFixed(2)} |`);
}
