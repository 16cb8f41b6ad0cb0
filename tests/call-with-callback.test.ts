// Scenario: a CalleeHandled call with no payload, made from the JS thread,
// whose result goes to a C++ consumer that expects a given string.
import { describe, expect, test } from 'vitest';
import { api, backends, recorder } from './helpers/backends';

describe.each(backends)('%s', (backend) => {
  test('the callback receives exactly (null), after the call returned', async () => {
    const { tsfnCallWithCallback } = await api(backend);
    const rec = recorder(1);
    const cb = (...args: unknown[]) => {
      rec.callback(...args);
      return 'ReturnFromJavaScriptRawCallback';
    };
    expect(tsfnCallWithCallback(cb as never)).toBeUndefined();
    expect(rec.calls).toHaveLength(0);
    expect(await rec.done).toEqual([[null]]);
  });


});
