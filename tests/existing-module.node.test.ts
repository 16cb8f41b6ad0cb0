// Scenario: examples/existing-module's script (node.mjs) in a process of its
// own, on each backend: it loads the module its own way, streams the lines,
// and the process ends by itself once they have all arrived, with no
// anythread JS to hold or let go of the event loop (the wasm build's
// workers are unref'd, and the module holds the loop while it loads).
import { describe, expect, test } from 'vitest';
import path from 'node:path';
import { backends } from './helpers/backends';
import { root, run } from './helpers/node';

describe.each(backends)('%s', (backend) => {
  test('the example script receives every line and exits by itself', async () => {
    const r = await run(
      process.execPath,
      [path.join(root, 'examples/existing-module/node.mjs'), backend, '4', '2000'],
      { timeoutMs: 30_000 },
    );
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${backend}: 8000 lines from 4 threads in [\\d.]+ ms; last: thread \\d line 1999\\n$`));
  });
});
