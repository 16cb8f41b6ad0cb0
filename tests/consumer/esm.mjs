// A consumer's ES module: the package installed from its tarball.
import { callThreadsafeFunction, backend } from 'anythread';

const values = [];
callThreadsafeFunction((err, value) => {
  if (err) throw err;
  values.push(value);
});
process.on('exit', () => {
  const sorted = [...values].sort((a, b) => a - b);
  console.log(JSON.stringify({ backend, count: values.length, complete: sorted.every((v, i) => v === i + 1) }));
});
