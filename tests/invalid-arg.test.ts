// Scenario: every export given something that is not a function.
import { describe, expect, test } from 'vitest';
import { api, backends } from './helpers/backends';
import api_ from '../js/api.js';
const { EXPORTS } = api_ as { EXPORTS: readonly string[] };

const notFunctions: Array<[string, unknown[]]> = [
  ['no argument', []],
  ['undefined', [undefined]],
  ['null', [null]],
  ['a number', [42]],
  ['NaN', [NaN]],
  ['a string', ['callback']],
  ['an object', [{ call() {} }]],
  ['an array', [[() => {}]]],
  ['a symbol', [Symbol('f')]],
  ['a bigint', [10n]],
  ['a boolean', [true]],
];

describe.each(backends)('%s', (backend) => {
  describe.each(EXPORTS as string[])('%s', (name) => {
    test.each(notFunctions)('throws TypeError InvalidArg for %s', async (_label, args) => {
      const mod = (await api(backend)) as unknown as Record<string, (...a: unknown[]) => unknown>;
      let thrown: unknown;
      try {
        mod[name](...args);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as { code: string }).code).toBe('InvalidArg');
      expect((thrown as Error).message).toMatch(/must be a function/);
    });
  });
});
