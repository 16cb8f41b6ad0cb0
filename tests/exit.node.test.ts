// Scenario: a Node process uses a backend, gets its callbacks, and must exit
// by itself (pthread workers and doorbells must not hold the event loop).
// Uncaught JS exceptions in a callback behave like any uncaught exception.
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { runNode } from './helpers/node';

describe.each(backends)('%s', (backend) => {
  const env = { ANYTHREAD_BACKEND: backend };

  test('a script exits by itself within 5 s once the work is done', async () => {
    const r = await runNode(
      `import { callThreadsafeFunction, threadsafeFunctionFatalMode, backend } from 'anythread';
       let n = 0, sum = 0;
       callThreadsafeFunction((err, v) => { n++; sum += v; });
       threadsafeFunctionFatalMode((v) => console.log('fatal', v));
       process.on('exit', () => console.log(backend, n, sum));`,
      env,
      10_000,
    );
    expect(r.timedOut).toBe(false);
    expect(r.ms).toBeLessThan(5_000);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([`${backend} 100 5050`, 'fatal true'].sort());
  });

  test('the process stays alive until every queued call was delivered', async () => {
    // Nothing else holds the loop: only the open threadsafe function does.
    const r = await runNode(
      `import { callThreadsafeFunctionFatal } from 'anythread';
       let n = 0;
       callThreadsafeFunctionFatal(() => { n++; });
       process.on('exit', () => console.log(n));`,
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('100');
  });

  test('a throwing callback is an uncaught exception: exit code 1', async () => {
    const r = await runNode(
      `import { threadsafeFunctionFatalMode } from 'anythread';
       threadsafeFunctionFatalMode(() => { throw new Error('boom from callback'); });`,
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('boom from callback');
  });

  test("an 'uncaughtException' handler sees the thrown value and the rest still arrives", async () => {
    const r = await runNode(
      `import { callThreadsafeFunctionFatal } from 'anythread';
       const seen = [];
       let n = 0;
       process.on('uncaughtException', (e) => seen.push(e.message));
       callThreadsafeFunctionFatal((v) => { n++; if (v % 10 === 0) throw new Error('x' + v); });
       process.on('exit', () => console.log(JSON.stringify({ n, seen: seen.sort() })));`,
      env,
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.n).toBe(100);
    expect(out.seen).toEqual(
      Array.from({ length: 10 }, (_, i) => 'x' + (i + 1) * 10).sort(),
    );
  });
});
