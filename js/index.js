'use strict';
// CommonJS entry: the native backend, synchronously. `load()` resolves with
// the API on any backend (wasm included), as the ES module entry does.
const { loadBinding, loadBindingSync, loadModule } = require('./loader.js');
const { createApi, EXPORTS } = require('./api.js');

async function load(options) {
  const { binding, info } = await loadBinding(options);
  return createApi(binding, info);
}

let api;
let loadError;
try {
  const { binding, info } = loadBindingSync();
  api = createApi(binding, info);
} catch (err) {
  loadError = err;
}

const exportsObject = { load, loadModule };
if (api) {
  Object.assign(exportsObject, api);
} else {
  // Loading the package never throws; using it without a backend does, with
  // the reason and the next step.
  exportsObject.backend = undefined;
  exportsObject.backendInfo = undefined;
  for (const name of EXPORTS) {
    exportsObject[name] = () => {
      throw loadError;
    };
  }
}
module.exports = exportsObject;
