// ES module entry, for Node and browsers alike. The backend comes from
// #anythread-backend (package.json "imports"): in Node, native first, then
// wasm (ANYTHREAD_BACKEND forces one); in browsers, the wasm build.
import { loadApi, loadModule } from '#anythread-backend';

const api = await loadApi();

// Resolves with the API on the backend `options` asks for (the one already
// loaded when there are no options).
export async function load(options) {
  return options === undefined ? api : loadApi(options);
}
export { loadModule };
export const backend = api.backend;
export const backendInfo = api.backendInfo;
export const callThreadsafeFunction = api.callThreadsafeFunction;
export const callThreadsafeFunctionFatal = api.callThreadsafeFunctionFatal;
export const threadsafeFunctionThrowError = api.threadsafeFunctionThrowError;
export const threadsafeFunctionFatalMode = api.threadsafeFunctionFatalMode;
export const threadsafeFunctionFatalNativeError = api.threadsafeFunctionFatalNativeError;
export const callLongThreadsafeFunction = api.callLongThreadsafeFunction;
export const threadsafeFunctionThrowErrorWithStatus = api.threadsafeFunctionThrowErrorWithStatus;
export const threadsafeFunctionBuildThrowErrorWithStatus = api.threadsafeFunctionBuildThrowErrorWithStatus;
export const threadsafeFunctionFatalModeError = api.threadsafeFunctionFatalModeError;
export const threadsafeFunctionClosureCapture = api.threadsafeFunctionClosureCapture;
export const tsfnCallWithCallback = api.tsfnCallWithCallback;
export const tsfnAsyncCall = api.tsfnAsyncCall;
export const acceptThreadsafeFunction = api.acceptThreadsafeFunction;
export const acceptThreadsafeFunctionFatal = api.acceptThreadsafeFunctionFatal;
export const acceptThreadsafeFunctionTupleArgs = api.acceptThreadsafeFunctionTupleArgs;
export const acceptThreadsafeFunctionTupleNoFnArgs = api.acceptThreadsafeFunctionTupleNoFnArgs;
export const tsfnReturnPromise = api.tsfnReturnPromise;
export const tsfnReturnPromiseTimeout = api.tsfnReturnPromiseTimeout;
export const callAsyncWithUnknownReturnValue = api.callAsyncWithUnknownReturnValue;
export const tsfnThrowFromJs = api.tsfnThrowFromJs;
export const tsfnThrowFromJsCatch = api.tsfnThrowFromJsCatch;
export const tsfnThrowFromJsCatchHandled = api.tsfnThrowFromJsCatchHandled;
export const tsfnThrowFromJsCatchRecover = api.tsfnThrowFromJsCatchRecover;
export const tsfnThrowFromJsCatchDropInThread = api.tsfnThrowFromJsCatchDropInThread;
export const tsfnThrowFromJsCallbackContainsTsfn = api.tsfnThrowFromJsCallbackContainsTsfn;
export const spawnThreadInThread = api.spawnThreadInThread;
export const tsfnInEither = api.tsfnInEither;
export const tsfnWeak = api.tsfnWeak;
export const buildThreadsafeFunctionFromFunction = api.buildThreadsafeFunctionFromFunction;
export const buildThreadsafeFunctionFromFunctionCalleeHandle = api.buildThreadsafeFunctionFromFunctionCalleeHandle;
export const receiveObjectOnlyFromJs = api.receiveObjectOnlyFromJs;
export const callbackReturnPromise = api.callbackReturnPromise;
export const testWorkers = api.testWorkers;
export const testThreadsafeFunction = api.testThreadsafeFunction;
export const testTsfnError = api.testTsfnError;
export const A = api.A;
export const tsfnCallSync = api.tsfnCallSync;
export const tsfnQueueStatuses = api.tsfnQueueStatuses;
export const tsfnBlockingOnJsThread = api.tsfnBlockingOnJsThread;
export const tsfnAbort = api.tsfnAbort;
export default api;
