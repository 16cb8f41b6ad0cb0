// Scenario: callbacks that throw (or reject) during awaited calls: the throw
// is caught on the JS thread and the promise rejects with the thrown value
// itself, whatever kind of value it is.
import { describe, expect, test } from 'vitest';
import { api, backends } from './helpers/backends';

class CustomError extends Error {
  extra = 'kept';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CustomError';
  }
}

const thrownValues: Array<[string, unknown]> = [
  ['an Error', new Error('plain')],
  ['a TypeError', new TypeError('typed')],
  ['an Error subclass with cause and extra properties', new CustomError('custom', { cause: new Error('root') })],
  ['a string', 'just a string'],
  ['a number', 42],
  ['zero', 0],
  ['null', null],
  ['undefined', undefined],
  ['false', false],
  ['a bigint', 10n],
  ['a symbol', Symbol('thrown')],
  ['an object', { reason: 'object' }],
  ['an object without prototype', Object.create(null)],
  ['an array', [1, 2]],
  ['a function', function thrownFn() {}],
];

describe.each(backends)('%s', (backend) => {
  test('tsfnThrowFromJs: resolves with the awaited return value', async () => {
    const { tsfnThrowFromJs } = await api(backend);
    const seen: unknown[][] = [];
    const value = { answer: 42 };
    const result = await tsfnThrowFromJs((...args) => {
      seen.push(args);
      return Promise.resolve(value);
    });
    expect(seen).toEqual([[null, 42]]);
    expect(result).toBe(value);
  });

  test('tsfnThrowFromJs: a TypeError from a failed property write rejects with it', async () => {
    const { tsfnThrowFromJs } = await api(backend);
    let thrown: unknown;
    const err = await tsfnThrowFromJs(() => {
      'use strict';
      const frozen = Object.freeze({ a: 1 });
      try {
        (frozen as { a: number }).a = 2;
      } catch (e) {
        thrown = e;
        throw e;
      }
    }).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toBe(thrown);
  });

  test.each(thrownValues)('tsfnThrowFromJs: a synchronous throw of %s rejects with it', async (_l, value) => {
    const { tsfnThrowFromJs } = await api(backend);
    const err = await tsfnThrowFromJs(() => {
      throw value;
    }).then(() => 'resolved', (e) => ({ e }));
    expect(err).toEqual({ e: value });
    expect((err as { e: unknown }).e).toBe(value);
  });

  test.each(thrownValues)('tsfnThrowFromJs: a rejection with %s rejects with it', async (_l, value) => {
    const { tsfnThrowFromJs } = await api(backend);
    const err = await tsfnThrowFromJs(() => Promise.reject(value)).then(
      () => 'resolved',
      (e) => ({ e }),
    );
    expect((err as { e: unknown }).e).toBe(value);
  });

  test('tsfnThrowFromJsCatch (Fatal) and ...Handled (CalleeHandled): a throw rejects, never fatal', async () => {
    const { tsfnThrowFromJsCatch, tsfnThrowFromJsCatchHandled } = await api(backend);
    const fatalArgs: unknown[][] = [];
    const handledArgs: unknown[][] = [];
    const e1 = new Error('fatal strategy');
    const e2 = new Error('handled strategy');
    await expect(
      tsfnThrowFromJsCatch((...a) => {
        fatalArgs.push(a);
        throw e1;
      }),
    ).rejects.toBe(e1);
    await expect(
      tsfnThrowFromJsCatchHandled((...a) => {
        handledArgs.push(a);
        throw e2;
      }),
    ).rejects.toBe(e2);
    expect(fatalArgs).toEqual([['foo']]);
    expect(handledArgs).toEqual([[null, 'foo']]);
    await expect(tsfnThrowFromJsCatch(() => 'fine')).resolves.toBe('fine');
  });

  test.each(thrownValues)('tsfnThrowFromJsCatchRecover: %s comes back as itself', async (_l, value) => {
    const { tsfnThrowFromJsCatchRecover } = await api(backend);
    const seen: unknown[][] = [];
    const err = await tsfnThrowFromJsCatchRecover((...a) => {
      seen.push(a);
      throw value;
    }).then(() => 'resolved', (e) => ({ e }));
    expect(seen).toEqual([['trigger']]);
    expect((err as { e: unknown }).e).toBe(value);
    if (value instanceof CustomError) {
      const e = (err as { e: CustomError }).e;
      expect(e.extra).toBe('kept');
      expect((e.cause as Error).message).toBe('root');
      expect(e).toBeInstanceOf(CustomError);
    }
  });

  test('tsfnThrowFromJsCatchRecover: returning normally rejects with an Error', async () => {
    const { tsfnThrowFromJsCatchRecover } = await api(backend);
    await expect(tsfnThrowFromJsCatchRecover(() => 1)).rejects.toThrow(
      'expected JS callback to throw, but it returned successfully',
    );
  });

  test('tsfnThrowFromJsCatchDropInThread: the error dies on another thread; the reason survives', async () => {
    const { tsfnThrowFromJsCatchDropInThread } = await api(backend);
    const reason = await tsfnThrowFromJsCatchDropInThread((v) => {
      throw new Error(`thrown with ${v}`);
    });
    expect(reason).toBe('thrown with foo');
    // Non-Error values have a reason too: their string form.
    await expect(tsfnThrowFromJsCatchDropInThread(() => { throw 'foo!'; })).resolves.toBe('foo!');
    await expect(tsfnThrowFromJsCatchDropInThread(() => { throw Symbol('foo'); })).resolves.toBe('Symbol(foo)');
  });

});
