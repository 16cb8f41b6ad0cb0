// Scenario: the package as users get it: `npm pack`, installed from the
// tarball in temporary folders outside the repository, used from Node (ES
// module and CommonJS, each backend forced) and from a Vite-built page in
// headless Chromium, with and without cross-origin isolation.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright';
import { launchChromium, serve } from './helpers/browser';
import { root, run } from './helpers/node';

let work: string;
let tarball: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'anythread-consumer-'));
  const packed = await run('npm', ['pack', '--silent', '--pack-destination', work], { timeoutMs: 60_000 });
  expect(packed.code, packed.stderr).toBe(0);
  tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
  expect(fs.existsSync(tarball)).toBe(true);
}, 90_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A fresh project folder with the tarball installed (no network needed:
 * the package has no runtime dependencies). */
async function project(name: string, files: Record<string, string>) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, version: '1.0.0' }));
  for (const [file, source] of Object.entries(files)) fs.copyFileSync(source, path.join(dir, file));
  const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], {
    cwd: dir,
    timeoutMs: 120_000,
  });
  expect(installed.code, installed.stderr).toBe(0);
  return dir;
}

describe('the packed package', () => {
  test('contains what a user needs and nothing else', async () => {
    const listed = await run('tar', ['-tzf', tarball]);
    const files = listed.stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const needed of [
      'package.json', 'README.md', 'LICENSE', 'js/index.mjs', 'js/index.js', 'js/index.d.ts',
      'js/index.d.mts', 'dist/native/anythread.node', 'dist/wasm/anythread.js',
      'dist/wasm/anythread.wasm', 'dist/wasm/anythread.worker.js', 'dist/web/anythread.mjs',
      'dist/web/anythread.wasm', 'dist/web/anythread.worker.js',
      'shared/include/anythread/anythread.hpp', 'cmake/AnythreadModule.cmake', 'cmake/ViteIgnore.cmake',
      'CMakeLists.txt',
    ]) {
      expect(files, needed).toContain(needed);
    }
    for (const file of files) {
      expect(file).not.toMatch(/^(tests|build|node_modules|examples|bench|scripts|\.ci)\//);
    }
  });

  describe('from Node', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await project('consumer-node', {
        'esm.mjs': path.join(root, 'tests/consumer/esm.mjs'),
        'cjs.cjs': path.join(root, 'tests/consumer/cjs.cjs'),
      });
    }, 150_000);

    test.each([
      ['esm.mjs', 'native'],
      ['esm.mjs', 'wasm'],
      ['cjs.cjs', 'native'],
      ['cjs.cjs', 'wasm'],
    ])('%s with ANYTHREAD_BACKEND=%s: 100 values, then exits by itself', async (script, backend) => {
      const r = await run(process.execPath, [script], {
        cwd: dir,
        env: { ANYTHREAD_BACKEND: backend },
        timeoutMs: 20_000,
      });
      expect(r.timedOut).toBe(false);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ backend, count: 100, complete: true });
    });
  });

  // examples/existing-module, copied out as a user's own project: its
  // CMakeLists.txt finds anythread in node_modules (not this repository)
  // and links anythread::anythread; both builds, then its own script.
  describe('from C++: a module of your own, built on the installed package', () => {
    let dir: string;
    beforeAll(async () => {
      const example = path.join(root, 'examples/existing-module');
      dir = await project('consumer-cpp', Object.fromEntries(
        ['CMakeLists.txt', 'addon.cc', 'bindings.cc', 'logstream.hpp', 'node.mjs']
          .map((file) => [file, path.join(example, file)]),
      ));
      // Its build tools, as `npm install --save-dev node-addon-api
      // node-api-headers` gives them (our pinned ones; no network here).
      for (const tool of ['node-addon-api', 'node-api-headers']) {
        fs.symlinkSync(path.join(root, 'node_modules', tool), path.join(dir, 'node_modules', tool), 'dir');
      }
      // A Node-API project says so (cmake-js then takes node-api-headers
      // instead of downloading Node's).
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, binary: { napi_versions: [8] } }));
      const native = await run(process.execPath, [
        path.join(root, 'node_modules/cmake-js/bin/cmake-js'), 'build', '--directory', dir,
        '--out', path.join(dir, 'build/native'), '--generator', 'Ninja', '--log-level', 'warn',
      ], { cwd: dir, timeoutMs: 240_000 });
      expect(native.code, native.stderr + native.stdout).toBe(0);
      const env = { NODE_PATH: '/usr/share/nodejs' };  // Debian's emcc (TOOLCHAIN.md quirk 1)
      const configured = await run('emcmake', [
        'cmake', '-S', dir, '-B', path.join(dir, 'build/wasm'), '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release',
      ], { cwd: dir, env, timeoutMs: 120_000 });
      expect(configured.code, configured.stderr + configured.stdout).toBe(0);
      const wasm = await run('cmake', ['--build', path.join(dir, 'build/wasm')], { cwd: dir, env, timeoutMs: 300_000 });
      expect(wasm.code, wasm.stderr + wasm.stdout).toBe(0);
    }, 700_000);

    test('the build found anythread in node_modules', () => {
      const cache = fs.readFileSync(path.join(dir, 'build/native/CMakeCache.txt'), 'utf8');
      expect(cache).toContain(path.join(dir, 'node_modules/anythread'));
      expect(cache).not.toContain(root + path.sep + 'shared');
    });

    test.each(['native', 'wasm'])('%s: its own script gets every line, then exits by itself', async (backend) => {
      const r = await run(process.execPath, ['node.mjs', backend, '3', '500'], { cwd: dir, timeoutMs: 30_000 });
      expect(r.timedOut).toBe(false);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${backend}: 1500 lines from 3 threads in [\\d.]+ ms; last: thread \\d line 499\\n$`));
    });
  });

  describe('from a Vite app in Chromium', () => {
    let dist: string;
    let browser: Browser;
    beforeAll(async () => {
      const dir = await project('consumer-vite', {
        'index.html': path.join(root, 'tests/consumer/vite-app/index.html'),
        'main.js': path.join(root, 'tests/consumer/vite-app/main.js'),
      });
      // Our own pinned Vite, run on the consumer's folder.
      const built = await run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
        cwd: dir,
        timeoutMs: 120_000,
      });
      expect(built.code, built.stderr + built.stdout).toBe(0);
      dist = path.join(dir, 'dist');
      browser = await launchChromium();
    }, 240_000);
    afterAll(async () => {
      await browser?.close();
    });

    async function statusOf(isolated: boolean) {
      const server = await serve(dist, isolated);
      const page = await browser.newPage();
      try {
        await page.goto(server.url);
        await page.waitForFunction(
          () => /^(done|error)/.test(document.getElementById('status')?.textContent ?? ''),
          undefined,
          { timeout: 30_000 },
        );
        return await page.textContent('#status');
      } finally {
        await page.close();
        await server.close();
      }
    }

    test('served cross-origin isolated: 100 callbacks from worker threads arrive', async () => {
      expect(await statusOf(true)).toBe('done: 100 callbacks, sum 5050, backend wasm');
    });

    test('served without the headers: the clear isolation error', async () => {
      const text = await statusOf(false);
      expect(text).toContain('error: ERR_ANYTHREAD_NOT_ISOLATED');
      expect(text).toContain('Cross-Origin-Opener-Policy: same-origin');
      expect(text).toContain('Cross-Origin-Embedder-Policy: require-corp');
    });
  });
});
