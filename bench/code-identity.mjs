// What a benchmark run measured: the commit, and the modules themselves.
// A module copied over by hand is newer than its sources, so ninja does not
// rebuild it, and once a run measured other code than its commit's
// (bench/NOTES.md, 2026-11-28): the hashes tell.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const MODULES = ['native/anythread_bench.node', 'wasm/anythread_bench.wasm', 'web/anythread_bench.wasm'];

/** `{ commit, uncommitted, modules }` for the bench folder `dir`: the commit
 * (12 digits, or 'unknown' outside git), whether tracked files differ from
 * it (the benchmark's own outputs aside: a run made while the last run's
 * results are not yet committed measures the same code), and the first 16
 * hex digits of the sha256 of each module in dist/. */
export function codeMeasured(dir) {
  const git = (...args) => {
    try {
      return execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      return undefined;
    }
  };
  const status = git('status', '--porcelain', '--untracked-files=no', '--', ':(top)',
    ':(top,exclude)bench/RESULTS.md', ':(top,exclude)bench/results.json');
  /** @type {Record<string, string>} */
  const modules = {};
  for (const file of MODULES) {
    const full = path.join(dir, 'dist', file);
    if (fs.existsSync(full)) {
      modules[file] = createHash('sha256').update(fs.readFileSync(full)).digest('hex').slice(0, 16);
    }
  }
  return {
    commit: git('rev-parse', '--short=12', 'HEAD') ?? 'unknown',
    uncommitted: status === undefined ? undefined : status !== '',
    modules,
  };
}

/** The RESULTS.md line for `code` (env.code), or '' for runs that did not
 * record it (those before 2026-11-28). */
export function codeLine(code) {
  if (!code) return '';
  const changes = code.uncommitted ? ' (with uncommitted changes)' : '';
  const modules = Object.entries(code.modules).map(([file, hash]) => `\`${file}\` ${hash}`).join(', ');
  return `\n- Code: commit ${code.commit}${changes}; modules measured (sha256, first 16 digits): ${modules || 'none found'}`;
}
