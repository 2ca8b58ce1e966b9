/**
 * [EXE-10] A task with nothing to wait for before its call completes without a promise when it
 * returns a plain value. The same graphs run through the promise path (a retry policy of one
 * attempt sends a node there, and changes nothing else) must call the same functions in the
 * same order and report the same events, failures included.
 */
import { describe, expect, it } from 'vitest';
import { task, type LazyResult } from '../../src/spec/index.js';
import { Engine, EventBus, type EngineEvent } from '../../src/runtime/index.js';
import { ErrorCode } from '../../src/errors.js';

interface Trace {
  calls: string[];
  events: string[];
  outcome: unknown;
}

/** A graph built by `make(t)`, where `t` wraps each call (the fast path or the promise path). */
type Shape = (t: <T>(l: LazyResult<T>) => LazyResult<T>, calls: string[]) => LazyResult<unknown>;

async function trace(shape: Shape, promisePath: boolean): Promise<Trace> {
  const bus = new EventBus<EngineEvent>();
  const events: string[] = [];
  bus.on((e) => {
    const node = 'nodeId' in e ? ` ${e.nodeId}` : '';
    const status = 'status' in e ? ` ${e.status}` : '';
    events.push(`${e.type}${node}${status}`);
  });
  const calls: string[] = [];
  const wrap = <T>(l: LazyResult<T>): LazyResult<T> =>
    promisePath ? l.withRetry({ maxAttempts: 1 }) : l;
  let outcome: unknown;
  try {
    outcome = await new Engine({ bus }).run(shape(wrap, calls));
  } catch (error) {
    outcome = { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  return { calls, events, outcome };
}

const shapes: Record<string, Shape> = {
  'wide: 50 leaves joined': (t, calls) => {
    const leaf = task((i: number) => (calls.push(`leaf ${i}`), i), { name: 'leaf' });
    const join = task((xs: number[]) => (calls.push('join'), xs.length), { name: 'join' });
    return t(join(Array.from({ length: 50 }, (_, i) => t(leaf(i)))));
  },
  'a leaf throws: its siblings still start, the join never does': (t, calls) => {
    const leaf = task(
      (i: number) => {
        calls.push(`leaf ${i}`);
        if (i === 3) throw new Error('leaf 3 broke');
        return i;
      },
      { name: 'leaf' },
    );
    const join = task((xs: number[]) => (calls.push('join'), xs.length), { name: 'join' });
    return t(join(Array.from({ length: 8 }, (_, i) => t(leaf(i)))));
  },
  'two chains interleave': (t, calls) => {
    const step = task((tag: string, x: number) => (calls.push(`${tag}${x}`), x + 1), {
      name: 'step',
    });
    const pair = task((a: number, b: number) => (calls.push('pair'), a + b), { name: 'pair' });
    let a: LazyResult<number> = t(step('a', 0));
    let b: LazyResult<number> = t(step('b', 0));
    for (let i = 0; i < 4; i++) {
      a = t(step('a', a));
      b = t(step('b', b));
    }
    return t(pair(a, b));
  },
  'sync and async tasks mixed, with a skipped branch': (t, calls) => {
    const now = task((x: number) => (calls.push(`now ${x}`), x), { name: 'now' });
    const later = task(
      async (x: number) => {
        calls.push(`later ${x}`);
        await Promise.resolve();
        return x * 10;
      },
      { name: 'later' },
    );
    const never = task(() => (calls.push('never'), 0), { name: 'never' });
    const sum = task((...xs: unknown[]) => (calls.push('sum'), xs.length), { name: 'sum' });
    const a = t(now(1));
    const b = t(later(a));
    const c = t(now(b));
    const d = t(never().runIf(false));
    return t(sum(a, b, c, t(later(2)), d));
  },
};

describe('the synchronous call path [EXE-10]', () => {
  it.each(Object.keys(shapes))(
    '%s: the same calls, events and outcome as the promise path',
    async (name) => {
      const fast = await trace(shapes[name], false);
      const slow = await trace(shapes[name], true);
      expect(fast.calls.length).toBeGreaterThan(0);
      expect(fast).toEqual(slow);
    },
  );

  it('a failing leaf fails the run with TASK_FAILED after every started sibling was called', async () => {
    const r = await trace(
      shapes['a leaf throws: its siblings still start, the join never does'],
      false,
    );
    expect(r.outcome).toEqual({
      code: ErrorCode.TASK_FAILED,
      message: 'task leaf#3 failed after 1 attempt: Error: leaf 3 broke',
    });
    expect(r.calls).toEqual(Array.from({ length: 8 }, (_, i) => `leaf ${i}`));
  });

  it('runs a 10,000-long chain of synchronous tasks without overflowing the stack [EXE-6]', async () => {
    const inc = task((x: number) => x + 1, { name: 'inc' });
    let l: LazyResult<number> = inc(0);
    for (let i = 1; i < 10_000; i++) l = inc(l);
    expect(await new Engine().run(l)).toBe(10_000);
  });

  it('a run whose signal is already aborted calls nothing and is cancelled', async () => {
    const calls: string[] = [];
    const leaf = task(() => calls.push('leaf'), { name: 'leaf' });
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(new Engine().run(leaf(), { signal: ac.signal })).rejects.toMatchObject({
      code: ErrorCode.CANCELLED,
    });
    expect(calls).toEqual([]);
  });
});
