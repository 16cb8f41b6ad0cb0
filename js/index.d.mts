// ES module entry: native first, then wasm (ANYTHREAD_BACKEND forces one).
import type { Api, BackendInfo, BackendName, LoadOptions } from './types.js';
export type { Api, AnythreadError, BackendInfo, BackendName, LoadOptions } from './types.js';

export declare function load(options?: LoadOptions): Promise<Api>;
export declare const backend: BackendName;
export declare const backendInfo: BackendInfo;
export declare const callThreadsafeFunction: Api['callThreadsafeFunction'];
export declare const callThreadsafeFunctionFatal: Api['callThreadsafeFunctionFatal'];
export declare const threadsafeFunctionThrowError: Api['threadsafeFunctionThrowError'];
export declare const threadsafeFunctionFatalMode: Api['threadsafeFunctionFatalMode'];
export declare const threadsafeFunctionFatalNativeError: Api['threadsafeFunctionFatalNativeError'];
declare const api: Api;
export default api;
