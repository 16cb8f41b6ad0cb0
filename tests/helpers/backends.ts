// Every suite runs against every backend: `describe.each(backends)`.
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Api, BackendName } from '../../js/types';

const require = createRequire(import.meta.url);
const anythread = require('../../js/index.js') as { load(o?: object): Promise<Api> };

export const backends: BackendName[] = ['native', 'wasm'];
export const root = path.resolve(__dirname, '..', '..');

const cache = new Map<BackendName, Promise<Api>>();

/** The API on exactly this backend (no fallback). */
export function api(backend: BackendName): Promise<Api> {
  let loaded = cache.get(backend);
  if (!loaded) {
    loaded = anythread.load({ order: [backend] });
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

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs an ES module snippet in a fresh Node process, from the project root
 * (so `import 'anythread'` resolves to this package). Kills it after
 * `timeoutMs` and reports that instead of hanging. */
export function runNode(
  source: string,
  env: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<ChildResult> {
  return new Promise((resolve) => {
    const start = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - start, timedOut });
    });
  });
}
