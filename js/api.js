'use strict';
// The public API, built once over whichever binding loaded, so both backends
// present exactly the same functions.

// Every function the module exports. A binding missing one is broken.
const EXPORTS = Object.freeze([
  'callThreadsafeFunction',
  'callThreadsafeFunctionFatal',
  'threadsafeFunctionThrowError',
  'threadsafeFunctionFatalMode',
  'threadsafeFunctionFatalNativeError',
  'callLongThreadsafeFunction',
  'threadsafeFunctionThrowErrorWithStatus',
  'threadsafeFunctionBuildThrowErrorWithStatus',
  'threadsafeFunctionFatalModeError',
  'threadsafeFunctionClosureCapture',
  'tsfnCallWithCallback',
  'tsfnAsyncCall',
  'acceptThreadsafeFunction',
  'acceptThreadsafeFunctionFatal',
  'acceptThreadsafeFunctionTupleArgs',
  'acceptThreadsafeFunctionTupleNoFnArgs',
  'tsfnReturnPromise',
  'tsfnReturnPromiseTimeout',
  'callAsyncWithUnknownReturnValue',
  'tsfnThrowFromJs',
  'tsfnThrowFromJsCatch',
  'tsfnThrowFromJsCatchHandled',
  'tsfnThrowFromJsCatchRecover',
  'tsfnThrowFromJsCatchDropInThread',
  'tsfnThrowFromJsCallbackContainsTsfn',
  'spawnThreadInThread',
  'tsfnInEither',
  'tsfnWeak',
  'buildThreadsafeFunctionFromFunction',
  'buildThreadsafeFunctionFromFunctionCalleeHandle',
  'receiveObjectOnlyFromJs',
  'callbackReturnPromise',
  'testWorkers',
  'testThreadsafeFunction',
  'testTsfnError',
  'A',
  'tsfnCallSync',
  'tsfnQueueStatuses',
  'tsfnBlockingOnJsThread',
  'tsfnAbort',
]);

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
