// The public API of anythread, identical on the native and the wasm backend.

/** Which binding serves the API. */
export type BackendName = 'native' | 'wasm';

/** Which backend was chosen, whether ANYTHREAD_BACKEND forced it, and why
 * the backends tried before it were skipped. */
export interface BackendInfo {
  readonly name: BackendName;
  readonly forced: boolean;
  readonly skipped: ReadonlyArray<{ readonly name: BackendName; readonly reason: string }>;
}

/** An Error produced by anythread: `code` is a status name (`InvalidArg`,
 * `GenericFailure`, ...) or a code chosen by the native side. */
export interface AnythreadError extends Error {
  code: string;
}

/** Options of `load()`. In Node: the order to try (else ANYTHREAD_BACKEND,
 * else native then wasm) and where the artifacts are. In browsers: where the
 * wasm build's files are, for unusual hosting. */
export interface LoadOptions {
  order?: BackendName[];
  paths?: { native?: string; wasm?: string };
  env?: Record<string, string | undefined>;
  /** Browsers: maps `anythread.wasm` / `anythread.worker.js` to their URLs. */
  locateFile?: (file: string, scriptDirectory: string) => string;
  /** Browsers: the URL pthread workers import the wasm module from. */
  mainScriptUrl?: string | URL;
}

/** A user's module built with anythread_add_module(). */
export interface LoadedModule<T = Record<string, unknown>> {
  exports: T;
  backend: BackendName;
  backendInfo: BackendInfo;
}

/** Node: loads `<dir>/native/<name>.node` or `<dir>/wasm/<name>.js` (dir is
 * the module's OUTPUT_DIR), native first unless `order` or
 * ANYTHREAD_BACKEND says otherwise. */
export interface NodeModuleOptions {
  name: string;
  dir: string;
  order?: BackendName[];
  env?: Record<string, string | undefined>;
}
/** Browsers: `factory` is the default export of `<dir>/web/<name>.mjs`;
 * `mainScriptUrl` that file's URL (needed once bundled). */
export interface BrowserModuleOptions {
  factory: (options?: object) => Promise<unknown>;
  mainScriptUrl?: string | URL;
  locateFile?: (file: string, scriptDirectory: string) => string;
}
export declare function loadModule<T = Record<string, unknown>>(
  options: NodeModuleOptions | BrowserModuleOptions,
): Promise<LoadedModule<T>>;

export interface Api {
  readonly backend: BackendName;
  readonly backendInfo: BackendInfo;
  /** CalleeHandled: 100 native threads each call once; `callback` receives
   * `(null, n + 1)` for n = 0..99, in any order. Returns at once. Throws a
   * TypeError (code `InvalidArg`) if `callback` is not a function. */
  callThreadsafeFunction(callback: (err: AnythreadError | null, value: number) => void): void;
  /** Fatal: like callThreadsafeFunction, but `callback` receives `(n + 1)`. */
  callThreadsafeFunctionFatal(callback: (value: number) => void): void;
  /** CalleeHandled: one thread calls with a native error; `callback`
   * receives exactly one argument, an Error with message `ThrowFromNative`
   * and code `GenericFailure`. */
  threadsafeFunctionThrowError(callback: (err: AnythreadError) => void): void;
  /** Fatal: one thread calls, blocking, with `true`. */
  threadsafeFunctionFatalMode(callback: (value: boolean) => void): void;
  /** Fatal: one thread calls with a native Error (message `FatalFromNative`,
   * code `GenericFailure`): `callback` never runs; the error is uncaught
   * (Node: 'uncaughtException', exit code 1 when unhandled). */
  threadsafeFunctionFatalNativeError(callback: (value: boolean) => void): void;

  /** CalleeHandled: one thread calls every 100 ms with n = 0..9, in order. */
  callLongThreadsafeFunction(callback: (err: AnythreadError | null, value: number) => void): void;
  /** CalleeHandled: one Error, code `CustomErrorStatus`, message `ThrowFromNative`. */
  threadsafeFunctionThrowErrorWithStatus(callback: (err: AnythreadError) => void): void;
  /** The same, built with the C++ builder API (CalleeHandled turned on). */
  threadsafeFunctionBuildThrowErrorWithStatus(callback: (err: AnythreadError) => void): void;
  /** Fatal: `callback(true)` must return a string; anything else is an
   * uncaught `Error: Failed to convert JavaScript value ...`. */
  threadsafeFunctionFatalModeError(callback: (value: boolean) => string): void;
  /** Fatal: `callback` receives `value` itself, from a call made on the JS thread. */
  threadsafeFunctionClosureCapture<T>(value: T, callback: (value: T) => void): void;
  /** CalleeHandled, no payload, from the JS thread: `callback(null)` must
   * return `'ReturnFromJavaScriptRawCallback'` (anything else is reported as
   * an uncaught error). */
  tsfnCallWithCallback(callback: (err: null) => string): void;
  /** Fatal: an awaited call `callback(0, 1, 2)`; resolves once it returned
   * `'ReturnFromJavaScriptRawCallback'`, rejects otherwise. */
  tsfnAsyncCall(callback: (a: number, b: number, c: number) => string): Promise<void>;
  /** CalleeHandled: one thread calls with 1. */
  acceptThreadsafeFunction(callback: (err: AnythreadError | null, value: number) => void): void;
  /** Fatal: one thread calls with 1. */
  acceptThreadsafeFunctionFatal(callback: (value: number) => void): void;
  /** CalleeHandled: `(null, 1, false, 'NAPI-RS')`. */
  acceptThreadsafeFunctionTupleArgs(
    callback: (err: AnythreadError | null, a: number, b: boolean, c: string) => void,
  ): void;
  /** CalleeHandled: `(null, [1, false, 'NAPI-RS'])`. */
  acceptThreadsafeFunctionTupleNoFnArgs(
    callback: (err: AnythreadError | null, value: [number, boolean, string]) => void,
  ): void;
  /** CalleeHandled: an awaited call with 1; resolves with the value of the
   * promise `callback` returns, plus 2. */
  tsfnReturnPromise(callback: (err: AnythreadError | null, value: number) => Promise<number>): Promise<number>;
  /** As tsfnReturnPromise, but waits at most 1 ms: rejects with Error `Timeout`. */
  tsfnReturnPromiseTimeout(
    callback: (err: AnythreadError | null, value: number) => Promise<number>,
  ): Promise<number>;
  /** CalleeHandled: awaited call with 42; resolves with 110 if `callback`
   * returned (or resolved to) an object, else 100. */
  callAsyncWithUnknownReturnValue(callback: (err: AnythreadError | null, value: number) => unknown): Promise<number>;
  /** CalleeHandled: awaited call with 42; resolves with what `callback`
   * returned (awaited); rejects with the thrown or rejected value itself. */
  tsfnThrowFromJs<R>(callback: (err: AnythreadError | null, value: number) => R | Promise<R>): Promise<R>;
  /** Fatal: awaited call with `'foo'`; a throw rejects with the thrown value. */
  tsfnThrowFromJsCatch<R>(callback: (value: string) => R | Promise<R>): Promise<R>;
  /** CalleeHandled: awaited call `(null, 'foo')`; a throw rejects with it. */
  tsfnThrowFromJsCatchHandled<R>(callback: (err: AnythreadError | null, value: string) => R | Promise<R>): Promise<R>;
  /** Fatal: awaited call with `'trigger'`; `callback` is expected to throw:
   * rejects with the thrown value itself, or with an Error if it returned. */
  tsfnThrowFromJsCatchRecover(callback: (value: string) => unknown): Promise<never>;
  /** Fatal: awaited call with `'foo'`; expects a throw; the native error is
   * destroyed on another thread; resolves with its reason. */
  tsfnThrowFromJsCatchDropInThread(callback: (value: string) => unknown): Promise<string>;
  /** CalleeHandled: resolves at once; a thread makes an awaited call with 42. */
  tsfnThrowFromJsCallbackContainsTsfn(callback: (err: AnythreadError | null, value: number) => unknown): Promise<void>;
  /** CalleeHandled: a thread spawns a thread, which calls with 42. */
  spawnThreadInThread(callback: (err: AnythreadError | null, value: number) => void): void;
  /** A function `eitherTsfn` is called (CalleeHandled) with 42 from a thread; a string does nothing. */
  tsfnInEither(pet: {
    name: string;
    kind: number;
    eitherTsfn: string | ((err: AnythreadError | null, value: number) => void);
  }): void;
  /** Fatal and weak, no payload: resolves after `callback` ran. */
  tsfnWeak(callback: () => void): Promise<void>;
  /** Three Fatal functions (default, max queue 1, weak), each called with (1, 2). */
  buildThreadsafeFunctionFromFunction(callback: (a: number, b: number) => void): void;
  /** CalleeHandled: one Error `run tsfn failed`. */
  buildThreadsafeFunctionFromFunctionCalleeHandle(callback: (err: AnythreadError | null) => void): void;
  /** CalleeHandled: `callback(null, count)` from a thread. */
  receiveObjectOnlyFromJs(options: {
    count: number;
    callback: (err: AnythreadError | null, count: number) => void;
  }): void;
  /** Calls `fn()`: a non-promise result is returned as is (cb never runs);
   * for a promise, resolves after `cb(null, value)` or `cb(error)` ran. */
  callbackReturnPromise<T>(
    fn: () => T | Promise<T>,
    cb: (err: unknown, value?: T) => void,
  ): T | Promise<void>;
  /** CalleeHandled: `amount` threads sleep 700 ms; then `callback(null)`. */
  testWorkers(amount: number, callback: (err: AnythreadError | null) => void): void;
  /** CalleeHandled: `(null, [0, 1, 2, 3])` and `(null, [3, 2, 1, 0])`, in either order. */
  testThreadsafeFunction(callback: (err: AnythreadError | null, value: number[]) => void): void;
  /** CalleeHandled: one Error `invalid`. */
  testTsfnError(callback: (err: AnythreadError | null) => void): void;
  /** `new A(cb)`: a weak Fatal function; `call()` calls it from the JS thread
   * with `'ThreadsafeFunction NonBlocking Call'` and returns the call's status. */
  A: new (callback: (value: string) => void) => { call(): StatusName };
  /** Fatal: a worker's synchronous round trip with `value`; resolves with
   * what `callback` returned (awaited), rejects with what it threw. */
  tsfnCallSync<T, R>(callback: (value: T) => R | Promise<R>, value: T): Promise<R>;
  /** Non-blocking calls from the JS thread while nothing drains: counts per status. */
  tsfnQueueStatuses(maxQueueSize: number, calls: number): QueueStatusCounts;
  /** From the JS thread, queue size 1: `['Ok', 'WouldDeadlock']`; `callback` then runs once. */
  tsfnBlockingOnJsThread(callback: (err: AnythreadError | null, value: number) => void): [StatusName, StatusName];
  /** Producers call while the function is aborted after its first delivery. */
  tsfnAbort(
    callback: (err: AnythreadError | null, value: number) => void,
    producers: number,
    callsEach: number,
  ): Promise<AbortStats>;
}

/** The statuses a call returns, as JS sees their names. */
export type StatusName =
  | 'Ok'
  | 'QueueFull'
  | 'Closing'
  | 'InvalidArg'
  | 'WouldDeadlock'
  | 'GenericFailure'
  | 'PendingException'
  | 'Timeout';

export interface QueueStatusCounts {
  ok: number;
  queueFull: number;
  closing: number;
  invalidArg: number;
  wouldDeadlock: number;
}

export interface AbortStats {
  /** Calls that returned Ok. */
  accepted: number;
  /** Accepted calls whose callback ran. */
  delivered: number;
  /** Accepted calls dropped by the abort (payload destroyed, never delivered). */
  dropped: number;
  /** Calls refused with Closing after the abort. */
  closingAfterAbort: number;
  /** Any other status, or an Ok after a Closing from the same producer: 0. */
  otherStatuses: number;
}

/** Loads a binding (native first, then wasm, unless `options.order` or
 * ANYTHREAD_BACKEND says otherwise) and resolves with its API. */
export declare function load(options?: LoadOptions): Promise<Api>;
