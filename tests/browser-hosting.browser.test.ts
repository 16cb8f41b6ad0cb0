// Scenario (browsers only: locateFile and the page's isolation exist only
// there): the wasm build finds its .wasm and worker script through a
// user-supplied locateFile, and the page is cross-origin isolated.
import { expect, test } from 'vitest';
import { load } from '../js/index.mjs';

test('the test page is cross-origin isolated, with SharedArrayBuffer', () => {
  expect(globalThis.crossOriginIsolated).toBe(true);
  expect(typeof SharedArrayBuffer).toBe('function');
});

test('load({ locateFile }) is asked for the .wasm and the worker script, and works', async () => {
  // The test server also serves dist/web/ as-is under /hosted/ (vitest
  // config): a host other than where the bundle put them.
  const asked: string[] = [];
  const api = await load({
    locateFile: (file: string) => {
      asked.push(file);
      return new URL(`/hosted/${file}`, location.href).href;
    },
  });
  expect(api.backend).toBe('wasm');
  const values: number[] = [];
  await new Promise<void>((resolve) => {
    api.callThreadsafeFunction((err, value) => {
      values.push(value);
      if (values.length === 100) resolve();
    });
  });
  expect(values.reduce((a, b) => a + b, 0)).toBe(5050);
  expect(asked).toContain('anythread.wasm');
  expect(asked).toContain('anythread.worker.js');
});
