'use strict';
// Loads the Emscripten build of a module in Node and presents its exports as
// plain JS functions, like the native addon's.
const fs = require('node:fs');
const path = require('node:path');

// Node. Resolves with the exports of `<dir>/<name>.js` (Emscripten's
// MODULARIZE factory `create_<name>`), wrapped by wasm-exports.mjs.
async function loadWasmModule(dirArg, name) {
  const dir = path.resolve(dirArg);
  const script = path.join(dir, `${name}.js`);
  const wasmPath = path.join(dir, `${name}.wasm`);
  if (!fs.existsSync(script) || !fs.existsSync(wasmPath)) {
    const err = new Error(`wasm build not found at ${script}`);
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  const factory = require(script);
  // Node 18+ has fetch, which Emscripten 3.1.6 would use on a file path
  // (TOOLCHAIN.md quirk 4): hand it the bytes instead.
  const wasmBinary = fs.readFileSync(wasmPath);
  // The module holds the event loop while it loads (wasm/src/anythread_post.js).
  const instance = await factory({
    wasmBinary,
    locateFile: (file) => path.join(dir, file),
    print: (text) => process.stdout.write(`${text}\n`),
    printErr: (text) => process.stderr.write(`${text}\n`),
  });
  const { wrapExports } = await import('./wasm-exports.mjs');
  return wrapExports(instance);
}

module.exports = { loadWasmModule };
