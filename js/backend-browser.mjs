// Browsers' backend for the ES module entry (package.json "imports":
// #anythread-backend, "browser" condition): the wasm build, an ES module whose
// .wasm and .worker.js are found through import.meta.url, so bundlers (Vite)
// copy them next to the bundle. No Node built-ins are reachable from here.
import createAnythread from '../dist/web/anythread.mjs';
import { wrapExports } from './wasm-exports.mjs';
import EXPORTS from './exports.json';

const HEADERS =
  '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"';

// WebAssembly threads need SharedArrayBuffer, which browsers only give to
// cross-origin isolated pages. Say so plainly instead of failing later.
export function checkIsolation() {
  if (globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function') return;
  const err = new Error(
    `anythread: this page is not cross-origin isolated, so SharedArrayBuffer (needed by WebAssembly threads) is unavailable. Serve the page with the headers ${HEADERS}.`,
  );
  err.code = 'ERR_ANYTHREAD_NOT_ISOLATED';
  throw err;
}

const BROWSER_INFO = Object.freeze({
  name: 'wasm',
  forced: false,
  skipped: Object.freeze([{ name: 'native', reason: 'browsers cannot load native addons' }]),
});

// Instantiates an Emscripten factory built by anythread_add_module (its web/
// output). `mainScriptUrl` is where pthread workers import the module from:
// the factory's own file; after bundling, pass the URL of an unbundled copy
// (new URL('.../name.mjs', import.meta.url) does that with Vite).
export async function instantiate(factory, { mainScriptUrl, locateFile } = {}) {
  checkIsolation();
  const options = {};
  if (mainScriptUrl) options.mainScriptUrlOrBlob = String(mainScriptUrl);
  if (locateFile) options.locateFile = locateFile;
  return wrapExports(await factory(options));
}

export async function loadApi(options = {}) {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const err = new TypeError('load(options) takes an options object.');
    err.code = 'InvalidArg';
    throw err;
  }
  const binding = await instantiate(createAnythread, {
    mainScriptUrl:
      options.mainScriptUrl ?? new URL('../dist/web/anythread.mjs', import.meta.url).href,
    locateFile: options.locateFile,
  });
  const missing = EXPORTS.filter((name) => typeof binding[name] !== 'function');
  if (missing.length) {
    throw new Error(`anythread: the wasm binding lacks ${missing.join(', ')}; rebuild it.`);
  }
  return Object.freeze({ backend: 'wasm', backendInfo: BROWSER_INFO, ...binding });
}

// A user's module in the browser: pass its web/ factory (import it from
// '<OUTPUT_DIR>/web/<name>.mjs') and, when bundled, the URL of that file.
export async function loadModule({ factory, mainScriptUrl, locateFile } = {}) {
  if (typeof factory !== 'function') {
    const err = new TypeError('loadModule({ factory }) needs the module\'s Emscripten factory (its web/<name>.mjs default export).');
    err.code = 'InvalidArg';
    throw err;
  }
  const exports = await instantiate(factory, { mainScriptUrl, locateFile });
  return { exports, backend: 'wasm', backendInfo: BROWSER_INFO };
}
