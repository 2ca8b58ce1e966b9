import { describe, expect, expectTypeOf, it } from 'vitest';
import { task, inject, tailCall, TailCall, LazyResult, resource } from '../../src/spec/index.js';
import { ErrorCode } from '../../src/errors.js';

describe('task() [TASK-1..3]', () => {
  it('calling a factory runs nothing and records the call [LAZY-1]', () => {
    let calls = 0;
    const t = task((a: number) => {
      calls++;
      return a * 2;
    });
    const l = t(2).withRetry({ maxAttempts: 3 }).withCache('memory');
    expect(calls).toBe(0);
    expect(l).toBeInstanceOf(LazyResult);
    expect(l.args).toEqual([2]);
    expect(l.retry).toEqual({ maxAttempts: 3, delay: 0, backoff: 1 });
  });

  it('chaining returns new LazyResults and leaves the original alone [LAZY-2]', () => {
    const t = task((a: number) => a, { name: 'ident' });
    const a = t(1);
    const b = a.withConstraints({ cpu_slot: 1 });
    const c = b.runIf(true).after(a);
    expect(a.constraints).toBeNull();
    expect(b.constraints).toEqual({ cpu_slot: 1 });
    expect(c.condition).toBe(true);
    expect(c.afterList).toEqual([a]);
    expect(b.afterList).toEqual([]);
    expect(c.name).toBe('ident');
  });

  it('names tasks by option, else by function name', () => {
    function fetchPage(): number {
      return 1;
    }
    expect(task(fetchPage).taskName).toBe('fetchPage');
    expect(task(fetchPage, { name: 'x' }).taskName).toBe('x');
  });

  it('validates policies at once, naming the option [POL-1]', () => {
    const t = task(() => 1);
    const codeOf = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return [
          (e as { code: string }).code,
          (e as { details: { option: string } }).details.option,
        ];
      }
      return null;
    };
    expect(codeOf(() => t().withRetry({ maxAttempts: 0 }))).toEqual([
      ErrorCode.INVALID_ARGUMENT,
      'retry.maxAttempts',
    ]);
    expect(codeOf(() => t().withRetry({ maxAttempts: 2, backoff: 0.5 }))).toEqual([
      ErrorCode.INVALID_ARGUMENT,
      'retry.backoff',
    ]);
    expect(codeOf(() => t().withConstraints({ cpu_slot: -1 }))).toEqual([
      ErrorCode.INVALID_ARGUMENT,
      'constraints.cpu_slot',
    ]);
    expect(codeOf(() => t().withCache({ kind: 'file', path: '' }))).toEqual([
      ErrorCode.INVALID_ARGUMENT,
      'cache.path',
    ]);
    expect(codeOf(() => resource('signal', () => 1))).toEqual([
      ErrorCode.INVALID_ARGUMENT,
      'resource name',
    ]);
  });

  it('types follow the function [TASK-3]', () => {
    const t = task((a: number): Promise<string> => Promise.resolve(`x${a}`));
    expectTypeOf(t).parameter(0).toEqualTypeOf<number | LazyResult<number>>();
    expectTypeOf(t(1)).toEqualTypeOf<LazyResult<string>>();
    const num = task(() => 2)();
    expectTypeOf(t(num)).toEqualTypeOf<LazyResult<string>>();
    expectTypeOf(t(1).runIf(true)).toEqualTypeOf<LazyResult<string | undefined>>();

    const named = task(({ a, b }: { a: number; b: string[] }) => a + b.length);
    const n = task(() => 1)();
    const s = task(() => 'a')();
    // LazyResults nested in plain objects and arrays
    expectTypeOf(named({ a: n, b: [s, 'b'] })).toEqualTypeOf<LazyResult<number>>();
    // @ts-expect-error a LazyResult<string> where a number is expected
    named({ a: s, b: [] });
    // @ts-expect-error wrong primitive
    t('1');
    expectTypeOf(named.map({ a: [1, 2] }, { b: [] })).toEqualTypeOf<LazyResult<number[]>>();
    // tail calls are not part of the result type
    const agent = task(({ n }: { n: number }) => (n > 0 ? tailCall({ n: n - 1 }) : 'done'));
    expectTypeOf(agent({ n: 3 })).toEqualTypeOf<LazyResult<'done'>>();
    // an untyped inject fits any parameter; a typed one must match
    t(inject('x'));
    // @ts-expect-error inject<string> where a number is expected
    t(inject<string>('x'));
  });
});

describe('tailCall [TAIL-1..3]', () => {
  it('encodes named changes, a positional list, or a switch of task', () => {
    const other = task((a: number, b: number) => a + b);
    const named = tailCall({ n: 1 });
    expect(named).toBeInstanceOf(TailCall);
    expect([named.target, named.named, named.list]).toEqual([null, { n: 1 }, null]);
    expect(tailCall([1, 2]).list).toEqual([1, 2]);
    const sw = tailCall(other, [1, 2]);
    expect(sw.target).toBe(other.def);
    expect(sw.list).toEqual([1, 2]);
    expect(tailCall(other, { x: 1 }).list).toEqual([{ x: 1 }]);
    expect(() => tailCall(3 as unknown as object)).toThrow(/tailCall/);
  });
});
