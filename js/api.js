'use strict';
// The public API, built once over whichever binding loaded, so both backends
// present exactly the same functions.

// Every function the module exports (one list for every entry point). A
// binding missing one was built from other sources.
const EXPORTS = Object.freeze(require('./exports.json'));

function createApi(binding, backendInfo) {
  const api = { backend: backendInfo.name, backendInfo };
  for (const name of EXPORTS) {
    if (typeof binding[name] !== 'function') {
      throw new Error(
        `anythread: the ${backendInfo.name} binding lacks ${name}(); it was built from other sources. Rebuild with \`npm run build\`.`,
      );
    }
    api[name] = binding[name];
  }
  return Object.freeze(api);
}

module.exports = { createApi, EXPORTS };
