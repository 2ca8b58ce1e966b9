/** param() and env(): typed inputs resolved when a run starts. [INPUT-1] [INPUT-2] */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  Engine,
  ErrorCode,
  InputError,
  env,
  inject,
  param,
  task,
  type LazyResult,
} from '../../src/index.js';

const echo = task((...values: unknown[]) => values, { name: 'echo' });

describe('param', () => {
  it('types flow from the declared type or the default', () => {
    expectTypeOf(param('n', { type: 'integer' })).toEqualTypeOf<LazyResult<number>>();
    expectTypeOf(param('n', { default: 3 })).toEqualTypeOf<LazyResult<number>>();
    expectTypeOf(param('on', { default: false })).toEqualTypeOf<LazyResult<boolean>>();
    expectTypeOf(param('s')).toEqualTypeOf<LazyResult<string>>();
    expectTypeOf(param('x', { type: 'number', required: false })).toEqualTypeOf<
      LazyResult<number | undefined>
    >();
    expectTypeOf(param('x', { type: 'number', default: 1, required: false })).toEqualTypeOf<
      LazyResult<number>
    >();
    expectTypeOf(param('s', { required: false })).toEqualTypeOf<LazyResult<string | undefined>>();
    expectTypeOf(env('E', { required: false })).toEqualTypeOf<LazyResult<string | undefined>>();
    expectTypeOf(env('E', { type: 'boolean' })).toEqualTypeOf<LazyResult<boolean>>();
    expectTypeOf(env('E', { default: 'x' })).toEqualTypeOf<LazyResult<string>>();
    const twice = task((n: number) => n * 2);
    twice(param('n', { type: 'number' })); // compiles: LazyResult<number> fits a number
    // @ts-expect-error a string param does not fit a number parameter
    twice(param('s', { type: 'string' }));
  });

  it('resolves from the run params, parses text, and falls back to the default', async () => {
    const engine = new Engine();
    const t = echo(param('a', { type: 'integer' }), param('b', { default: 1.5 }), param('c'));
    expect(await engine.run(t, { params: { a: 4, c: 'x' } })).toEqual([4, 1.5, 'x']);
    expect(await engine.run(t, { params: { a: '12', b: '2.5', c: 'y' } })).toEqual([12, 2.5, 'y']);
  });

  it('a missing required param fails the run before any task runs, naming it', async () => {
    let calls = 0;
    const first = task(() => ++calls, { name: 'first' });
    const use = task((_a: number, n: string) => n, { name: 'use' });
    const error = await new Engine()
      .run(use(first(), param('city', { description: 'where' })))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((error as InputError).details).toMatchObject({ input: 'city', source: 'param' });
    expect((error as Error).message).toBe('param "city" is required (string) and was not given');
    expect(calls).toBe(0);
  });

  it.each([
    ['integer', '1.5', /must be an integer, got "1.5"/],
    ['integer', 2.5, /must be an integer, got 2.5/],
    ['number', 'abc', /must be a number, got "abc"/],
    ['number', true, /must be a number, got true/],
    ['boolean', 'maybe', /must be true or false/],
    ['json', '{bad', /must be JSON/],
  ] as const)('a %s param given %j is an InputError', async (type, value, message) => {
    const t = echo(param('v', { type }));
    await expect(new Engine().run(t, { params: { v: value } })).rejects.toThrow(message);
  });

  it('an optional param without a value resolves to undefined', async () => {
    const t = echo(param('x', { type: 'number', required: false }));
    expect(await new Engine().run(t)).toEqual([undefined]);
  });

  it('bad declarations throw at once', () => {
    expect(() => param('1bad')).toThrow(/param name/);
    expect(() => param('n', { type: 'integer', default: 1.5 })).toThrow(/must be an integer/);
    // @ts-expect-error an unknown type
    expect(() => param('n', { type: 'date' })).toThrow(/must be one of/);
    expect(() => param('n', { default: { a: 1 } as unknown as string })).toThrow(/give `type`/);
  });

  it('is resolved once per run however many tasks read it, in VM mode too', async () => {
    const n = param('n', { type: 'integer' });
    const add = task((a: number, b: number) => a + b);
    expect(await new Engine().run(add(n, add(n, n)), { params: { n: 2 } })).toBe(6);
    const agent = task((k: number) => k * 10);
    expect(await new Engine().run(agent(n), { vm: true, params: { n: 3 } })).toBe(30);
  });
});

describe('env', () => {
  it('reads the run env (default process.env) and parses by type', async () => {
    const t = echo(env('WORKERS', { type: 'integer', default: 4 }), env('NAME'));
    expect(await new Engine().run(t, { env: { WORKERS: '8', NAME: 'n' } })).toEqual([8, 'n']);
    expect(await new Engine().run(t, { env: { NAME: 'm' } })).toEqual([4, 'm']);
    process.env.CASCADE_TEST_INPUT = 'from-process';
    try {
      expect(await new Engine().run(echo(env('CASCADE_TEST_INPUT')))).toEqual(['from-process']);
    } finally {
      delete process.env.CASCADE_TEST_INPUT;
    }
  });

  it('a missing variable is an InputError naming it; a bad value too', async () => {
    await expect(new Engine().run(echo(env('NOPE_X')), { env: {} })).rejects.toThrow(
      'env "NOPE_X" is required (string) and was not given',
    );
    await expect(
      new Engine().run(echo(env('N', { type: 'number' })), { env: { N: 'x' } }),
    ).rejects.toMatchObject({ details: { input: 'N', source: 'env', value: 'x' } });
  });

  it('sits beside other injects', async () => {
    const t = echo(env('A', { default: 'a' }), inject('params'));
    expect(await new Engine().run(t, { params: { p: 1 }, env: {} })).toEqual(['a', { p: 1 }]);
  });
});
