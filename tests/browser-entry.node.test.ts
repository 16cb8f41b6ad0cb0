// Scenario: what the `browser` condition reaches must not need Node: no
// `node:` modules and no require() anywhere in the browser entry's files.
import { expect, test } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { root } from './helpers/node';

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

test('package.json routes browsers to the ES module entry and the browser backend', () => {
  expect(pkg.exports['.'].browser).toBe('./js/index.mjs');
  expect(pkg.imports['#anythread-backend'].browser).toBe('./js/backend-browser.mjs');
  expect(pkg.exports['.'].node).toEqual({ import: './js/index.mjs', require: './js/index.js' });
  expect(Object.keys(pkg.exports['.'])[0]).toBe('types');
});

test.each(['js/index.mjs', 'js/backend-browser.mjs', 'js/wasm-exports.mjs', 'dist/web/anythread.mjs'])(
  '%s uses no Node built-in',
  (file) => {
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    expect(source).not.toMatch(/\bnode:[a-z_]+/);
    expect(source).not.toMatch(/\brequire\s*\(/);
    expect(source).not.toMatch(/from\s+['"](fs|path|os|worker_threads|child_process)['"]/);
  },
);

// Emscripten's pthread worker imports its main script from a URL sent at run
// time; the build marks that import (cmake/ViteIgnore.cmake), so Vite's dev
// server does not warn about it when it serves the build from outside
// node_modules. Our module and a user's (examples/progress) are built alike;
// a web build of the user's own (examples/existing-module) asks for it with
// anythread_vite_ignore_worker().
test.each([
  'dist/web/anythread.worker.js',
  'examples/progress/dist/web/progress.worker.js',
  'examples/existing-module/dist/web/logstream.worker.js',
])(
  '%s marks every dynamic import Vite cannot analyze',
  (file) => {
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    const imports = [...source.matchAll(/\bimport\(\s*([^)]*)\)/g)].map((m) => m[1]);
    expect(imports).toContain('/* @vite-ignore */ e.data.urlOrBlob');
    for (const specifier of imports) {
      expect(specifier).toMatch(/^(["'][^"']+["']|\/\* @vite-ignore \*\/ .+)$/);
    }
  },
);
