// The module in Node, loaded the way its own code always loaded it: the
// addon with require(), the wasm build through its Emscripten factory. No
// anythread JS is involved.
//   node examples/existing-module/node.mjs [native|wasm] [threads] [lines]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const dist = new URL('./dist/', import.meta.url);

/** `{ start(threads, lines, onLine) }` on `backend` ('native' or 'wasm'). */
export async function loadLogstream(backend) {
  if (backend === 'native') return require(fileURLToPath(new URL('native/logstream.node', dist)));
  if (backend !== 'wasm') throw new RangeError(`backend must be 'native' or 'wasm', not ${backend}`);
  const createLogstream = require(fileURLToPath(new URL('wasm/logstream.js', dist)));
  // Emscripten 3.1.6 would fetch() the .wasm by its file path under Node
  // 18+, which fails: hand it the bytes.
  const module = await createLogstream({
    wasmBinary: fs.readFileSync(new URL('wasm/logstream.wasm', dist)),
  });
  return {
    start(threads, lines, onLine) {
      const error = module.start(threads, lines, onLine);
      if (error !== undefined) throw error;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [backend = 'native', threads = '4', lines = '1000'] = process.argv.slice(2);
  const logstream = await loadLogstream(backend);
  const started = performance.now();
  let received = 0;
  let last = '';
  logstream.start(Number(threads), Number(lines), (err, line) => {
    if (err) throw err;
    received++;
    last = line;
  });
  // Nothing else holds the process: it ends once the lines have arrived and
  // the function has been released.
  process.on('exit', () => {
    const ms = (performance.now() - started).toFixed(1);
    console.log(`${backend}: ${received} lines from ${threads} threads in ${ms} ms; last: ${last}`);
  });
}
