// Node's backend choice for the ES module entry (package.json "imports":
// #anythread-backend): native first, then wasm; ANYTHREAD_BACKEND forces one.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { loadBinding, loadModule } = require('./loader.js');
const { createApi } = require('./api.js');

export async function loadApi(options) {
  const { binding, info } = await loadBinding(options);
  return createApi(binding, info);
}

export { loadModule };
