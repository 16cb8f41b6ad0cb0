// Scenario: how the loader picks a backend, reports its choice, and fails.
import { describe, expect, test } from 'vitest';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backends } from './helpers/backends';
import { root, runNode } from './helpers/node';

const require = createRequire(import.meta.url);
const loader = require('../js/loader.js');
const anythread = require('../js/index.js');

const missing = path.join(root, 'no-such-dir');

describe('loader', () => {
  test.each(backends)('ANYTHREAD_BACKEND=%s forces that backend (ESM import)', async (name) => {
    const r = await runNode(
      `import { backend, backendInfo, callThreadsafeFunction } from 'anythread';
       let n = 0;
       callThreadsafeFunction((err, v) => {
         if (++n === 100) console.log(JSON.stringify({ backend, backendInfo, n }));
       });`,
      { ANYTHREAD_BACKEND: name },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.backend).toBe(name);
    expect(out.backendInfo).toEqual({ name, forced: true, skipped: [] });
    expect(out.n).toBe(100);
  });

  test('unforced, native comes first', async () => {
    const { binding, info } = await loader.loadBinding({ env: {} });
    expect(info).toEqual({ name: 'native', forced: false, skipped: [] });
    expect(typeof binding.callThreadsafeFunction).toBe('function');
  });

  test('falls back to wasm when native cannot load, and says why', async () => {
    const { info } = await loader.loadBinding({ env: {}, paths: { native: path.join(missing, 'x.node') } });
    expect(info.name).toBe('wasm');
    expect(info.forced).toBe(false);
    expect(info.skipped).toHaveLength(1);
    expect(info.skipped[0].name).toBe('native');
    expect(info.skipped[0].reason).toContain('native addon not found');
  });

  test('when nothing loads, one Error lists every attempt, cause and next step', async () => {
    const err = await loader
      .loadBinding({ env: {}, paths: { native: path.join(missing, 'x.node'), wasm: missing } })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ERR_ANYTHREAD_NO_BACKEND');
    expect(err.message).toContain('tried native, wasm');
    expect(err.message).toMatch(/- native: native addon not found.*next step: build it/);
    expect(err.message).toMatch(/- wasm: wasm build not found.*next step: build it/);
    expect(err.cause).toBeInstanceOf(AggregateError);
    expect(err.cause.errors).toHaveLength(2);
    expect(err.attempts.map((a: { name: string }) => a.name)).toEqual(['native', 'wasm']);
  });

  test('a present but broken native binary is skipped with its own error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anythread-'));
    const broken = path.join(dir, 'anythread.node');
    fs.writeFileSync(broken, 'not an ELF file');
    try {
      const err = await loader
        .loadBinding({ order: ['native'], paths: { native: broken } })
        .then(() => null, (e: unknown) => e);
      expect(err.code).toBe('ERR_ANYTHREAD_NO_BACKEND');
      expect(err.attempts[0].reason).toMatch(/invalid ELF header|file too short/);
      const { info } = await loader.loadBinding({ env: {}, paths: { native: broken } });
      expect(info.name).toBe('wasm');
      expect(info.skipped[0].reason).toMatch(/invalid ELF header|file too short/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // A wasm build that fails to compile: the load rejects with the engine's
  // error, and the process exits by itself (the pthread pool's workers,
  // never loaded, had held it for ever).
  test('a present but broken wasm build is refused with its own error, and the process exits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anythread-'));
    try {
      for (const file of ['anythread.js', 'anythread.worker.js', 'package.json']) {
        fs.copyFileSync(path.join(root, 'dist/wasm', file), path.join(dir, file));
      }
      const wasm = fs.readFileSync(path.join(root, 'dist/wasm/anythread.wasm'));
      fs.writeFileSync(path.join(dir, 'anythread.wasm'), wasm.subarray(0, 1000));
      const r = await runNode(
        `import { createRequire } from 'node:module';
         const loader = createRequire(${JSON.stringify(path.join(root, 'js/'))})('./loader.js');
         loader.loadBinding({ order: ['wasm'], paths: { wasm: ${JSON.stringify(dir)} } }).then(
           () => console.log('loaded'),
           (e) => console.log(JSON.stringify({ code: e.code, reason: e.attempts[0].reason })));`,
      );
      expect(r.timedOut).toBe(false);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
      expect(out.code).toBe('ERR_ANYTHREAD_NO_BACKEND');
      expect(out.reason).toContain('CompileError');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file that loads but is not an anythread binding is refused', async () => {
    const err = await loader
      .loadBinding({ order: ['native'], paths: { native: path.join(root, 'package.json') } })
      .then(() => null, (e: unknown) => e);
    expect(err.code).toBe('ERR_ANYTHREAD_NO_BACKEND');
    expect(err.attempts[0].reason).toContain('lacks callThreadsafeFunction');
  });

  test.each(['', undefined])('ANYTHREAD_BACKEND=%j means the default order', (value) => {
    expect(loader.backendOrder({ ANYTHREAD_BACKEND: value })).toEqual({
      order: ['native', 'wasm'],
      forced: false,
    });
  });

  test.each(['NATIVE', 'browser', 'native,wasm'])('ANYTHREAD_BACKEND=%s is a RangeError', (value) => {
    expect(() => loader.backendOrder({ ANYTHREAD_BACKEND: value })).toThrow(RangeError);
    try {
      loader.backendOrder({ ANYTHREAD_BACKEND: value });
    } catch (err) {
      expect((err as { code: string }).code).toBe('ERR_ANYTHREAD_BACKEND');
      expect((err as Error).message).toContain(JSON.stringify(value));
    }
  });

  test('an invalid ANYTHREAD_BACKEND fails the ESM import with that RangeError', async () => {
    const r = await runNode(
      `import('anythread').then(() => console.log('loaded'), (e) => console.log(e.name, e.code));`,
      { ANYTHREAD_BACKEND: 'gpu' },
    );
    expect(r.stdout.trim()).toBe('RangeError ERR_ANYTHREAD_BACKEND');
  });

  test('require() gives the native backend synchronously', () => {
    expect(anythread.backend).toBe('native');
    expect(typeof anythread.callThreadsafeFunction).toBe('function');
    expect(typeof anythread.load).toBe('function');
  });

  test('require() with ANYTHREAD_BACKEND=wasm points to load(), which works', async () => {
    const r = await runNode(
      `import { createRequire } from 'node:module';
       const a = createRequire(import.meta.url)('anythread');
       try { a.callThreadsafeFunction(() => {}); } catch (e) { console.log(e.code); }
       const api = await a.load();
       console.log(api.backend);`,
      { ANYTHREAD_BACKEND: 'wasm' },
    );
    expect(r.stdout.trim().split('\n')).toEqual(['ERR_ANYTHREAD_ASYNC_BACKEND', 'wasm']);
    expect(r.code).toBe(0);
  });

  // js/index.mjs and js/index.d.mts name each export by hand (an ES module's
  // named exports are static): neither may miss one that js/exports.json,
  // the list both backends register, has.
  test('the ES entry exports every function in js/exports.json, each the API\'s own, and its types declare each', async () => {
    const names: string[] = JSON.parse(fs.readFileSync(path.join(root, 'js', 'exports.json'), 'utf8'));
    const esm = (await import('../js/index.mjs')) as unknown as Record<string, unknown> & {
      load(): Promise<Record<string, unknown>>;
    };
    const api = await esm.load();
    const declarations = fs.readFileSync(path.join(root, 'js', 'index.d.mts'), 'utf8');
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(typeof api[name], name).toBe('function');
      expect(esm[name], name).toBe(api[name]);
      expect(declarations, name).toContain(`export declare const ${name}: Api['${name}'];`);
    }
  });

  test('both backends present exactly the same functions', async () => {
    const [n, w] = await Promise.all(backends.map((b) => anythread.load({ order: [b] })));
    expect(Object.keys(n).sort()).toEqual(Object.keys(w).sort());
  });
});
