// Scenario: examples/existing-module, anythread inside a module built its
// own way: a node-addon-api addon (NODE_API_MODULE) and an embind module
// (EMSCRIPTEN_BINDINGS), each linking anythread::anythread, sharing one
// threaded source (logstream.hpp), loaded without anythread's JS: require()
// and the Emscripten factory in Node, the web build's factory in Chromium.
import { describe, expect, test } from 'vitest';
import { backends, isBrowser, recorder } from './helpers/backends';
import type { BackendName } from '../js/types';

type Logstream = {
  start(threads: unknown, lines: unknown, onLine: unknown): void;
};

async function loadLogstream(backend: BackendName): Promise<Logstream> {
  if (isBrowser) {
    const { loadLogstream: load } = await import('../examples/existing-module/web.mjs');
    return (await load()) as Logstream;
  }
  const { loadLogstream: load } = await import('../examples/existing-module/node.mjs');
  return (await load(backend)) as Logstream;
}

describe.each(backends)('%s', (backend) => {
  test.each([
    { threads: 1, lines: 1 },
    { threads: 4, lines: 500 },
    { threads: 16, lines: 200 },
  ])('$threads threads x $lines lines: every line once, each thread\'s in order', async (c) => {
    const logstream = await loadLogstream(backend);
    const total = c.threads * c.lines;
    const rec = recorder(total);
    expect(logstream.start(c.threads, c.lines, rec.callback)).toBeUndefined();
    const calls = await rec.done;
    expect(calls).toHaveLength(total);
    expect(calls.filter((args) => args.length !== 2 || args[0] !== null || typeof args[1] !== 'string')).toEqual([]);
    const lines = calls.map((args) => args[1] as string);
    const next = new Array(c.threads).fill(0);
    const wrong: string[] = [];
    for (const line of lines) {
      const m = /^thread (\d+) line (\d+)$/.exec(line);
      if (!m || Number(m[2]) !== next[Number(m[1])]++) wrong.push(line);
    }
    expect(wrong).toEqual([]);
    expect(next).toEqual(new Array(c.threads).fill(c.lines));
  });

  test('no lines: start returns, and no call comes', async () => {
    const logstream = await loadLogstream(backend);
    const calls: unknown[][] = [];
    logstream.start(3, 0, (...args: unknown[]) => calls.push(args));
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toEqual([]);
  });

  test.each([
    ['threads a string', ['4', 10, () => {}], TypeError, 'threads must be a number'],
    ['no threads', [0, 10, () => {}], RangeError, 'threads must be a whole number from 1 to 16'],
    ['17 threads', [17, 10, () => {}], RangeError, 'threads must be a whole number from 1 to 16'],
    ['fractional lines', [2, 1.5, () => {}], RangeError, 'lines must be a whole number from 0 to 1000000'],
    ['lines missing', [2, undefined, () => {}], TypeError, 'lines must be a number'],
    ['onLine not a function', [2, 10, {}], TypeError, 'onLine must be a function'],
    ['onLine missing', [2, 10], TypeError, 'onLine must be a function'],
  ])('%s: the module\'s own %O, nothing started', async (_label, args, kind, message) => {
    const logstream = await loadLogstream(backend);
    let thrown: unknown;
    try {
      logstream.start(...(args as [unknown, unknown, unknown]));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(kind);
    expect((thrown as Error).message).toBe(message);
    // The module still works afterwards.
    const rec = recorder(2);
    logstream.start(1, 2, rec.callback);
    expect(await rec.done).toEqual([[null, 'thread 0 line 0'], [null, 'thread 0 line 1']]);
  });
});
