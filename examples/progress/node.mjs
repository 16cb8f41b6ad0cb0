// Run the progress module from Node: node examples/progress/node.mjs
// (ANYTHREAD_BACKEND=wasm to use the wasm build).
import { fileURLToPath } from 'node:url';
import { loadModule } from 'anythread';
import { expectedChecksum } from './checksum.mjs';

const dir = fileURLToPath(new URL('./dist', import.meta.url));
const { exports, backend } = await loadModule({ name: 'progress', dir });
const size = 4 << 20;
let last = 0;
const checksum = await exports.processBuffer(size, { chunkSize: 64 << 10, threads: 4 }, (err, done, total) => {
  if (done - last >= total / 4 || done === total) {
    console.log(`${backend}: ${done}/${total} chunks`);
    last = done;
  }
});
console.log(`${backend}: checksum ${checksum} (expected ${expectedChecksum(size)})`);
