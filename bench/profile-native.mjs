// A profiling target (bench/NOTES.md): one implementation's throughput,
// native, repeated. Arguments: producers (2), impl (anythread | batched | lent |
// many | many-batched | many-lent (CallMany, blocks of 1000) | napi-typed), calls per run (1,000,000), runs (10). Under perf:
//   perf record -g node --perf-basic-prof bench/profile-native.mjs 2
// Under callgrind (instructions, reproducible on a busy machine):
//   valgrind --tool=callgrind node bench/profile-native.mjs 1 anythread 200000 1
import { fileURLToPath } from 'node:url';
import { loadModule } from 'anythread';
import { timeUntilSeen } from './scenarios.mjs';

const producers = Number(process.argv[2] ?? 2);
const impl = process.argv[3] ?? 'anythread';
const total = Number(process.argv[4] ?? 1_000_000);
const runs = Number(process.argv[5] ?? 10);
const starts = {
  anythread: (m) => (cb) => m.anythread(cb, producers, total, false),
  batched: (m) => (cb) => m.anythread(cb, producers, total, true),
  lent: (m) => (cb) => m.anythread(cb, producers, total, 'lent'),
  many: (m) => (cb) => m.anythread(cb, producers, total, false, 0, false, 1000),
  'many-batched': (m) => (cb) => m.anythread(cb, producers, total, true, 0, false, 1000),
  'many-lent': (m) => (cb) => m.anythread(cb, producers, total, 'lent', 0, false, 1000),
  'napi-typed': (m) => (cb) => m.napiTyped(cb, producers, total),
};
if (!starts[impl]) throw new TypeError(`impl must be one of ${Object.keys(starts).join(', ')}`);
const dir = fileURLToPath(new URL('./dist', import.meta.url));
const { exports: m } = await loadModule({ name: 'anythread_bench', dir, order: ['native'] });
for (let r = 0; r < runs; r++) {
  const ms = await timeUntilSeen(starts[impl](m), total, { batched: impl !== 'anythread' && impl !== 'many' && impl !== 'napi-typed' });
  console.log(`${impl}, ${producers} producer(s): ${((total / ms) * 1000 / 1e6).toFixed(2)} M/s`);
}
