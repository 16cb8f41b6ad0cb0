// Scenario: calls arriving one at a time (callLongThreadsafeFunction: one
// call per 100 ms, numbers, CalleeHandled) take the idle path: one direct
// call per wake-up. A callback that throws there is reported as an uncaught
// exception, and the calls after it are still delivered, in order. Checked
// in a child process ('uncaughtException' is process-level behaviour).
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { runNode } from './helpers/node';

describe.each(backends)('%s', (backend) => {
  test('a throw from an idle call is uncaught; later calls still arrive', async () => {
    const r = await runNode(
      `import { callLongThreadsafeFunction } from 'anythread';
       const seen = [];
       process.on('uncaughtException', (e) => console.log('reported:', e.message, 'after', seen.join(',')));
       callLongThreadsafeFunction((err, n) => {
         seen.push(err === null ? n : 'error');
         if (n === 3) throw new Error('thrown at 3');
         if (n === 9) console.log('seen', seen.join(','));
       });`,
      { ANYTHREAD_BACKEND: backend },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'reported: thrown at 3 after 0,1,2,3',
      'seen 0,1,2,3,4,5,6,7,8,9',
    ]);
  });
});
