// Every suite runs against every backend available where it runs:
// `describe.each(backends)`. In Node: native and wasm. In the browser
// project (headless Chromium): wasm, the only backend a browser has.
import { load } from '../../js/index.mjs';
import type { Api, BackendName } from '../../js/types';

export const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
export const backends: BackendName[] = isBrowser ? ['wasm'] : ['native', 'wasm'];

const cache = new Map<BackendName, Promise<Api>>();

/** The API on exactly this backend (no fallback). */
export function api(backend: BackendName): Promise<Api> {
  let loaded = cache.get(backend);
  if (!loaded) {
    loaded = (isBrowser ? load() : load({ order: [backend] })) as Promise<Api>;
    cache.set(backend, loaded);
  }
  return loaded;
}

/** Records every call's arguments; `done` resolves once `count` calls have
 * arrived and then `settleMs` passed without more (to catch extra calls). */
export function recorder(count: number, settleMs = 100, timeoutMs = 20_000) {
  const calls: unknown[][] = [];
  let resolve!: (calls: unknown[][]) => void;
  let reject!: (err: Error) => void;
  const done = new Promise<unknown[][]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(
    () => reject(new Error(`timed out with ${calls.length} of ${count} calls`)),
    timeoutMs,
  );
  const callback = (...args: unknown[]) => {
    calls.push(args);
    if (calls.length === count) {
      setTimeout(() => {
        clearTimeout(timer);
        resolve(calls);
      }, settleMs);
    }
  };
  return { callback, calls, done };
}

/** Collects unhandled promise rejections, in Node and in browsers alike. */
export function watchUnhandledRejections() {
  const seen: unknown[] = [];
  if (isBrowser) {
    const onEvent = (e: PromiseRejectionEvent) => seen.push(e.reason);
    window.addEventListener('unhandledrejection', onEvent);
    return { seen, stop: () => window.removeEventListener('unhandledrejection', onEvent) };
  }
  const onReject = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', onReject);
  return { seen, stop: () => process.off('unhandledRejection', onReject) };
}
