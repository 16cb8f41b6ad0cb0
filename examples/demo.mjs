// `npm start`: the seed example on each backend. 100 native threads each call
// a JS callback once with n; the C++ converter adds 1; JS sees 1..100.
import { load } from 'anythread';

function runOnce(api) {
  return new Promise((resolve, reject) => {
    const values = [];
    const start = process.hrtime.bigint();
    const timer = setTimeout(() => reject(new Error(`only ${values.length} of 100 calls arrived`)), 20_000);
    api.callThreadsafeFunction((err, value) => {
      if (err) return reject(err);
      values.push(value);
      if (values.length === 100) {
        clearTimeout(timer);
        resolve({ values, ms: Number(process.hrtime.bigint() - start) / 1e6 });
      }
    });
  });
}

let failed = false;
for (const backend of ['native', 'wasm']) {
  try {
    const api = await load({ order: [backend] });
    const { values, ms } = await runOnce(api);
    const sorted = [...values].sort((a, b) => a - b);
    const complete = sorted.every((v, i) => v === i + 1);
    const sum = values.reduce((a, b) => a + b, 0);
    console.log(
      `${api.backend.padEnd(6)}  ${values.length} callbacks from 100 threads in ${ms.toFixed(1)} ms; ` +
        `values 1..100 ${complete ? 'complete' : 'INCOMPLETE'}, sum ${sum}; ` +
        `arrival order starts ${values.slice(0, 8).join(', ')}, ...`,
    );
    if (!complete || sum !== 5050) failed = true;
  } catch (err) {
    failed = true;
    console.error(`${backend}: ${err.message}`);
  }
}
process.exitCode = failed ? 1 : 0;
