// A profiling target (bench/NOTES.md): anythread's per-item throughput,
// native, `producers` producer threads, repeated. Run under perf:
//   perf record -g node bench/profile-native.mjs 2
import { fileURLToPath } from 'node:url';
import { loadModule } from 'anythread';
import { timeUntilSeen } from './scenarios.mjs';

const producers = Number(process.argv[2] ?? 2);
const dir = fileURLToPath(new URL('./dist', import.meta.url));
const { exports: m } = await loadModule({ name: 'anythread_bench', dir, order: ['native'] });
for (let r = 0; r < 10; r++) {
  const ms = await timeUntilSeen((cb) => m.anythread(cb, producers, 1_000_000, false), 1_000_000);
  console.log(`${(1e9 / ms / 1e6).toFixed(2)} M/s`);
}
