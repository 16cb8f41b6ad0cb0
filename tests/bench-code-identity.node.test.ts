// Scenario: a benchmark run records what it measured (bench/code-identity.mjs):
// the commit, whether tracked files other than its own outputs differ from
// it, and a hash of each module, so that a module copied over by hand (newer
// than its sources, so never rebuilt) shows in RESULTS.md. Pure JS on a
// scratch repository: Node only.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { codeLine, codeMeasured } from '../bench/code-identity.mjs';

const scratch: string[] = [];
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anythread-code-'));
  scratch.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir })
    .toString().trim();

describe('bench code identity', () => {
  test('a repository: its commit, clean or not, and each module found', () => {
    const dir = tempDir();
    git(dir, 'init', '-q');
    fs.writeFileSync(path.join(dir, 'tracked.txt'), 'one');
    git(dir, 'add', 'tracked.txt');
    git(dir, 'commit', '-q', '-m', 'first');
    fs.mkdirSync(path.join(dir, 'dist', 'native'), { recursive: true });
    const bytes = Buffer.from('not really a module');
    fs.writeFileSync(path.join(dir, 'dist', 'native', 'anythread_bench.node'), bytes);

    const clean = codeMeasured(dir);
    expect(clean.commit).toBe(git(dir, 'rev-parse', '--short=12', 'HEAD'));
    expect(clean.commit).toMatch(/^[0-9a-f]{12}$/);
    // dist/ is untracked: building does not make the tree "changed".
    expect(clean.uncommitted).toBe(false);
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    expect(clean.modules).toEqual({ 'native/anythread_bench.node': hash });

    // Another module of other bytes: another hash, the one a run would record.
    fs.writeFileSync(path.join(dir, 'dist', 'native', 'anythread_bench.node'), 'other bytes');
    expect(codeMeasured(dir).modules['native/anythread_bench.node']).not.toBe(hash);

    fs.writeFileSync(path.join(dir, 'tracked.txt'), 'two');
    expect(codeMeasured(dir).uncommitted).toBe(true);
  });

  test("the benchmark's own outputs, changed, do not count as changed code", () => {
    const dir = tempDir();
    git(dir, 'init', '-q');
    fs.mkdirSync(path.join(dir, 'bench'));
    for (const f of ['tracked.txt', 'bench/RESULTS.md', 'bench/results.json', 'bench/NOTES.md']) {
      fs.writeFileSync(path.join(dir, f), 'one');
    }
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'first');
    // A run's results, not yet committed, before the next run on the same
    // code (measured from the bench folder, as bench/run.mjs does).
    fs.writeFileSync(path.join(dir, 'bench', 'RESULTS.md'), 'a run');
    fs.writeFileSync(path.join(dir, 'bench', 'results.json'), '{}');
    expect(codeMeasured(path.join(dir, 'bench')).uncommitted).toBe(false);
    // Any other tracked file still counts, in the bench folder or not.
    fs.writeFileSync(path.join(dir, 'bench', 'NOTES.md'), 'two');
    expect(codeMeasured(path.join(dir, 'bench')).uncommitted).toBe(true);
    git(dir, 'checkout', '-q', 'bench/NOTES.md');
    fs.writeFileSync(path.join(dir, 'tracked.txt'), 'two');
    expect(codeMeasured(path.join(dir, 'bench')).uncommitted).toBe(true);
  });

  test('outside git: the commit is unknown and nothing is claimed', () => {
    const got = codeMeasured(tempDir());
    expect(got).toEqual({ commit: 'unknown', uncommitted: undefined, modules: {} });
  });

  test('the RESULTS.md line', () => {
    expect(codeLine(undefined)).toBe('');
    expect(codeLine({ commit: 'abc', uncommitted: false, modules: { 'wasm/anythread_bench.wasm': '0123' } }))
      .toBe('\n- Code: commit abc; modules measured (sha256, first 16 digits): `wasm/anythread_bench.wasm` 0123');
    expect(codeLine({ commit: 'abc', uncommitted: true, modules: {} }))
      .toBe('\n- Code: commit abc (with uncommitted changes); modules measured (sha256, first 16 digits): none found');
  });
});
