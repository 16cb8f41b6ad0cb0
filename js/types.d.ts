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

/** Options of `load()`: the order to try, and where the artifacts are. */
export interface LoadOptions {
  order?: BackendName[];
  paths?: { native?: string; wasm?: string };
  env?: Record<string, string | undefined>;
}

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
}

/** Loads a binding (native first, then wasm, unless `options.order` or
 * ANYTHREAD_BACKEND says otherwise) and resolves with its API. */
export declare function load(options?: LoadOptions): Promise<Api>;
