'use strict';
// Picks a binding: native first, then wasm; ANYTHREAD_BACKEND=native|wasm
// forces one. The loader only picks; the API is written once (api.js).
const path = require('node:path');
const fs = require('node:fs');
const { loadWasmModule } = require('./wasm-binding.js');
const { EXPORTS } = require('./api.js');

const BACKENDS = ['native', 'wasm'];
const DIST = path.join(__dirname, '..', 'dist');
const DEFAULT_PATHS = Object.freeze({
  native: path.join(DIST, 'native', 'anythread.node'),
  wasm: path.join(DIST, 'wasm'),
});

// The order to try, from ANYTHREAD_BACKEND (unset or empty: native, wasm).
function backendOrder(env = process.env) {
  const forced = env.ANYTHREAD_BACKEND;
  if (forced === undefined || forced === '') return { order: BACKENDS, forced: false };
  if (!BACKENDS.includes(forced)) {
    const err = new RangeError(
      `ANYTHREAD_BACKEND must be "native" or "wasm", got ${JSON.stringify(forced)}.`,
    );
    err.code = 'ERR_ANYTHREAD_BACKEND';
    throw err;
  }
  return { order: [forced], forced: true };
}

function describeArg(v) {
  return Array.isArray(v) ? 'an array' : v === null ? 'null' : `a ${typeof v}`;
}

function checkOrder(order) {
  if (!Array.isArray(order) || order.length === 0 || !order.every((b) => BACKENDS.includes(b))) {
    const err = new RangeError(`order must be a non-empty array of "native" and "wasm", got ${JSON.stringify(order)}.`);
    err.code = 'ERR_ANYTHREAD_BACKEND';
    throw err;
  }
  return order;
}

// Loads a user's module built with anythread_add_module(name ... OUTPUT_DIR
// dir): `dir/native/<name>.node` or `dir/wasm/<name>.js`, in the same order
// and with the same reporting as anythread itself. Resolves with { exports,
// backend, backendInfo }.
async function loadModule(options) {
  if (!options || typeof options.name !== 'string' || typeof options.dir !== 'string') {
    const err = new TypeError('loadModule({ name, dir }) needs the module name and its OUTPUT_DIR.');
    err.code = 'InvalidArg';
    throw err;
  }
  const paths = {
    native: path.join(options.dir, 'native', `${options.name}.node`),
    wasm: path.join(options.dir, 'wasm'),
  };
  const { binding, info } = await loadBinding({ ...options, paths, name: options.name });
  return { exports: binding, backend: info.name, backendInfo: info };
}

// What to do about each kind of failure, for the error message.
const NEXT_STEP = {
  native: 'build it with `npm run build` (needs cmake, a C++ compiler and node-addon-api), or set ANYTHREAD_BACKEND=wasm',
  wasm: 'build it with `npm run build` (needs Debian\'s emscripten), or set ANYTHREAD_BACKEND=native',
};

function loadNativeSync(file) {
  if (!fs.existsSync(file)) {
    const err = new Error(`native addon not found at ${file}`);
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return require(file);
}

const loaders = {
  native: async (paths) => loadNativeSync(paths.native),
  wasm: async (paths, name) => loadWasmModule(paths.wasm, name),
};

// A binding that loads but lacks an export was built from other sources.
function checkExports(name, binding, expected = EXPORTS) {
  const missing = expected.filter((e) => typeof (binding && binding[e]) !== 'function');
  if (missing.length) {
    throw new Error(`the ${name} binding lacks ${missing.join(', ')} (built from other sources?)`);
  }
  return binding;
}

function describe(err) {
  return err && err.message ? err.message : String(err);
}

function noBackendError(tried, failures) {
  const lines = failures.map(
    (f) => `  - ${f.name}: ${describe(f.error)}; next step: ${NEXT_STEP[f.name]}.`,
  );
  const err = new Error(
    `anythread: no usable backend (tried ${tried.join(', ')}):\n${lines.join('\n')}`,
    { cause: new AggregateError(failures.map((f) => f.error), 'every backend failed') },
  );
  err.code = 'ERR_ANYTHREAD_NO_BACKEND';
  err.attempts = failures.map((f) => ({ name: f.name, reason: describe(f.error) }));
  return err;
}

// Resolves with { binding, info }: info = { name, forced, skipped: [{ name,
// reason }] } says which backend was chosen and why earlier ones were not.
async function loadBinding(options = {}) {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const err = new TypeError(`load(options) takes an options object, got ${describeArg(options)}.`);
    err.code = 'InvalidArg';
    throw err;
  }
  const { order, forced } = options.order
    ? { order: checkOrder(options.order), forced: true }
    : backendOrder(options.env);
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  const moduleName = options.name || 'anythread';
  const expected = options.expectExports || (options.name ? [] : EXPORTS);
  const failures = [];
  for (const name of order) {
    try {
      const binding = checkExports(name, await loaders[name](paths, moduleName), expected);
      const skipped = failures.map((f) => ({ name: f.name, reason: describe(f.error) }));
      return { binding, info: Object.freeze({ name, forced, skipped }) };
    } catch (error) {
      failures.push({ name, error });
    }
  }
  throw noBackendError(order, failures);
}

// The synchronous path for CommonJS: native only (wasm instantiation is
// asynchronous). Throws the same kind of error as loadBinding.
function loadBindingSync(options = {}) {
  const { order, forced } = backendOrder(options.env);
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  if (order[0] !== 'native') {
    const err = new Error(
      'anythread: the wasm backend loads asynchronously; use `await require(\'anythread\').load()` or `import` anythread as an ES module.',
    );
    err.code = 'ERR_ANYTHREAD_ASYNC_BACKEND';
    throw err;
  }
  try {
    return { binding: checkExports('native', loadNativeSync(paths.native)), info: Object.freeze({ name: 'native', forced, skipped: [] }) };
  } catch (error) {
    throw noBackendError(['native'], [{ name: 'native', error }]);
  }
}

module.exports = { backendOrder, loadBinding, loadBindingSync, loadModule, BACKENDS, DEFAULT_PATHS };
