// A consumer's CommonJS script: require() gives the native backend at once;
// load() gives whichever backend is asked for (wasm included).
const anythread = require('anythread');

async function main() {
  const api = process.env.ANYTHREAD_BACKEND === 'wasm' ? await anythread.load() : anythread;
  const values = [];
  api.callThreadsafeFunction((err, value) => {
    if (err) throw err;
    values.push(value);
  });
  process.on('exit', () => {
    const sorted = [...values].sort((a, b) => a - b);
    console.log(JSON.stringify({ backend: api.backend, count: values.length, complete: sorted.every((v, i) => v === i + 1) }));
  });
}
main();
