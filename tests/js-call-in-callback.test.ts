// A call made from the JS thread is never delivered in the turn of the event
// loop that made it (README, "Notes on semantics"), even from inside the
// callback of the call that woke an idle function: that call is handed over
// and delivered before the drain takes the queue, and the drain must not
// then deliver what the callback called. The callback's microtasks run at
// the end of its turn, so a call delivered in the same turn would arrive
// before them. On every backend.
import { describe, expect, test } from 'vitest';
import { backends } from './helpers/backends';
import { reliability } from './reliability/harness';

describe.each(backends)('%s', (backend) => {
  test('a call JS makes inside the idle call\'s callback arrives on a later turn', async () => {
    const m = await reliability(backend);
    const events: string[] = [];
    const statuses: string[] = [];
    await new Promise<void>((resolve) => {
      m.echoStart((n) => {
        events.push(`call ${n}`);
        if (n === 0) {
          statuses.push(m.echoCall(1), m.echoCall(2));
          events.push('calls made');
          queueMicrotask(() => events.push('microtasks of call 0'));
        } else if (n === 2) {
          m.echoStop();
          resolve();
        }
      });
    });
    expect(statuses).toEqual(['Ok', 'Ok']);
    expect(events).toEqual(['call 0', 'calls made', 'microtasks of call 0', 'call 1', 'call 2']);
  });

  test('echoCall rejects a number that is not a uint32 with a TypeError', async () => {
    const m = await reliability(backend);
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN, '1', undefined]) {
      expect(() => m.echoCall(bad as never)).toThrow(TypeError);
    }
  });
});
