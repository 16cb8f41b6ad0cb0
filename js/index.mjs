// ES module entry: native first, then wasm (ANYTHREAD_BACKEND forces one).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { loadBinding } = require('./loader.js');
const { createApi } = require('./api.js');

const { binding, info } = await loadBinding();
const api = createApi(binding, info);

export async function load(options) {
  const loaded = await loadBinding(options);
  return createApi(loaded.binding, loaded.info);
}
export const backend = api.backend;
export const backendInfo = api.backendInfo;
export const callThreadsafeFunction = api.callThreadsafeFunction;
export const callThreadsafeFunctionFatal = api.callThreadsafeFunctionFatal;
export const threadsafeFunctionThrowError = api.threadsafeFunctionThrowError;
export const threadsafeFunctionFatalMode = api.threadsafeFunctionFatalMode;
export const threadsafeFunctionFatalNativeError = api.threadsafeFunctionFatalNativeError;
export default api;
