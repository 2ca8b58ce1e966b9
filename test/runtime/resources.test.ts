import { describe, expect, it } from 'vitest';
import { task, inject, resource, type TaskContext } from '../../src/spec/index.js';
import { Engine } from '../../src/runtime/index.js';
import { CascadeError, ErrorCode } from '../../src/errors.js';

function tracked(scope: 'run' | 'task'): {
  log: string[];
  def: ReturnType<typeof resource<{ id: number }>>;
} {
  const log: string[] = [];
  let n = 0;
  const def = resource(
    'db',
    () => {
      const id = ++n;
      log.push(`setup ${id}`);
      return { value: { id }, teardown: () => void log.push(`teardown ${id}`) };
    },
    { scope },
  );
  return { log, def };
}

describe('resources', () => {
  it('run scope: one setup per run shared by tasks, torn down at the end [RES-1]', async () => {
    const { log, def } = tracked('run');
    const engine = new Engine({ resources: [def] });
    const use = task((db: { id: number }, x: number) => db.id * 10 + x);
    const join = task((a: number, b: number) => a + b);
    expect(await engine.run(join(use(inject('db'), 1), use(inject('db'), 2)))).toBe(23);
    expect(log).toEqual(['setup 1', 'teardown 1']);
    await engine.run(use(inject('db'), 0));
    expect(log).toEqual(['setup 1', 'teardown 1', 'setup 2', 'teardown 2']);
  });

  it('task scope: one setup per attempt, torn down right after it [RES-2]', async () => {
    const { log, def } = tracked('task');
    const engine = new Engine({ resources: [def] });
    let calls = 0;
    const use = task((db: { id: number }) => {
      log.push(`use ${db.id}`);
      if (++calls === 1) throw new Error('retry me');
      return db.id;
    });
    expect(await engine.run(use(inject('db')).withRetry({ maxAttempts: 2 }))).toBe(2);
    expect(log).toEqual(['setup 1', 'use 1', 'teardown 1', 'setup 2', 'use 2', 'teardown 2']);
  });

  it('tears down on failure', async () => {
    const { log, def } = tracked('run');
    const fail = task((_db: unknown) => {
      throw new Error('x');
    });
    await expect(new Engine({ resources: [def] }).run(fail(inject('db')))).rejects.toThrow();
    expect(log).toEqual(['setup 1', 'teardown 1']);
  });

  it('tears down on cancellation', async () => {
    const { log, def } = tracked('run');
    const wait = task(
      (_db: unknown, signal: AbortSignal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    );
    const ac = new AbortController();
    const p = new Engine({ resources: [def] }).run(wait(inject('db'), inject('signal')), {
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(), 10);
    const err = (await p.catch((e: unknown) => e)) as CascadeError;
    expect(err.code).toBe(ErrorCode.CANCELLED);
    expect(log).toEqual(['setup 1', 'teardown 1']);
  });

  it('teardowns run newest first and a throwing one does not stop the others [RES-3]', async () => {
    const log: string[] = [];
    const a = resource('a', () => ({ value: 1, teardown: () => void log.push('a') }));
    const b = resource('b', () => ({
      value: 2,
      teardown: () => {
        log.push('b');
        throw new Error('b teardown');
      },
    }));
    const sum = task((x: number, y: number) => x + y);
    const engine = new Engine({ resources: [a, b] });
    expect(await engine.run(sum(inject('a'), inject('b')))).toBe(3);
    expect(log).toEqual(['b', 'a']);
  });

  it('an unknown resource fails the run before any task runs, naming it [RES-4]', async () => {
    let ran = false;
    const pre = task(() => {
      ran = true;
      return 1;
    })();
    const use = task((_x: number, _db: unknown) => 1);
    const err = (await new Engine()
      .run(use(pre, inject('nope')))
      .catch((e: unknown) => e)) as CascadeError;
    expect(err.code).toBe(ErrorCode.UNKNOWN_RESOURCE);
    expect(err.details.name).toBe('nope');
    expect(err.message).toContain('nope');
    expect(ran).toBe(false);
  });

  it('injects a definition directly, and built-ins signal/params/context', async () => {
    const def = resource('direct', async () => Promise.resolve('v'));
    const f = task(
      (v: string, ctx: TaskContext, p: Readonly<Record<string, unknown>>) =>
        `${v}:${ctx.taskName}:${ctx.attempt}:${String(p.k)}:${ctx.signal.aborted}`,
      { name: 'f' },
    );
    expect(
      await new Engine().run(f(inject(def), inject('context'), inject('params')), {
        params: { k: 7 },
      }),
    ).toBe('v:f:1:7:false');
  });
});
