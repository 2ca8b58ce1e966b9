import { describe, expect, it } from 'vitest';
import { task, inject, type LazyResult } from '../../src/spec/index.js';
import { Engine, EventBus, type EngineEvent } from '../../src/runtime/index.js';
import { CascadeError, ErrorCode } from '../../src/errors.js';
import { LocalBroker, LocalBus } from '../../src/messaging/index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Engine.run', () => {
  it('runs a graph and resolves the target value', async () => {
    const add = task((a: number, b: number) => a + b);
    expect(await new Engine().run(add(add(1, 2), add(3, 4)))).toBe(10);
  });

  it('substitutes LazyResults nested in arrays and named arguments [TASK-2]', async () => {
    const n = task((x: number) => x);
    const f = task(({ xs, o }: { xs: number[]; o: { k: string } }) => `${o.k}:${xs.join(',')}`);
    expect(
      await new Engine().run(f({ xs: [n(1), 2, n(3)], o: { k: n(9).runIf(true) as never } })),
    ).toBe('9:1,2,3');
  });

  it('runs only what the target needs [GRAPH-1]', async () => {
    const ran: string[] = [];
    const t = task((name: string, ..._deps: unknown[]) => {
      ran.push(name);
      return name;
    });
    const a = t('a');
    t('unneeded', a);
    await new Engine().run(t('b', a));
    expect(ran).toEqual(['a', 'b']);
  });

  it('runs independent nodes concurrently [EXE-1]', async () => {
    let running = 0;
    let peak = 0;
    const slow = task(async (i: number) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(30);
      running--;
      return i;
    });
    const all = task((xs: number[]) => xs.length);
    const t0 = performance.now();
    expect(await new Engine().run(all([slow(1), slow(2), slow(3), slow(4)]))).toBe(4);
    expect(peak).toBe(4);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('a diamond runs the shared node once', async () => {
    let calls = 0;
    const base = task(() => ++calls)();
    const inc = task((x: number) => x + 1);
    const join = task((a: number, b: number) => a + b);
    expect(await new Engine().run(join(inc(base), inc(base)))).toBe(4);
    expect(calls).toBe(1);
  });

  it('rejects TASK_FAILED with the last error as cause, and aborts siblings [EXE-3]', async () => {
    let siblingSawAbort = false;
    const boom = task(async () => {
      await sleep(5);
      throw new Error('boom');
    });
    const sibling = task(async (signal: AbortSignal) => {
      await new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => resolve(), { once: true });
        setTimeout(resolve, 5000);
      });
      siblingSawAbort = signal.aborted;
      return 1;
    });
    const join = task((..._xs: unknown[]) => 0);
    const err = await new Engine()
      .run(join(boom(), sibling(inject('signal'))))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CascadeError);
    expect((err as CascadeError).code).toBe(ErrorCode.TASK_FAILED);
    expect(((err as CascadeError).cause as Error).message).toBe('boom');
    expect(siblingSawAbort).toBe(true);
  });

  it('rejects CYCLE with the path before running anything', async () => {
    let ran = false;
    const holder: unknown[] = [];
    const a = task(
      (_x: unknown[]) => {
        ran = true;
        return 1;
      },
      { name: 'a' },
    )(holder);
    holder.push(task((x: number) => x, { name: 'b' })(a));
    const err = (await new Engine().run(a).catch((e: unknown) => e)) as CascadeError;
    expect(err.code).toBe(ErrorCode.CYCLE);
    expect(err.details.path).toEqual(['a', 'b', 'a']);
    expect(ran).toBe(false);
  });

  it('rejects a target that is not a LazyResult', async () => {
    const err = (await new Engine()
      .run(42 as unknown as LazyResult<number>)
      .catch((e: unknown) => e)) as CascadeError;
    expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
  });

  it('isolates 10,000 concurrent runs on one engine [RUN-1]', async () => {
    const bus = new EventBus<EngineEvent>();
    const finished = new Map<string, number>();
    bus.onType('RunFinished', (e) => finished.set(e.runId, (finished.get(e.runId) ?? 0) + 1));
    const engine = new Engine({ bus });
    const double = task(async (x: number) => {
      await Promise.resolve();
      return x * 2;
    });
    const add = task((a: number, b: number) => a + b);
    const runs: Promise<number>[] = [];
    for (let i = 0; i < 10_000; i++) runs.push(engine.run(add(double(i), i)));
    const results = await Promise.all(runs);
    for (let i = 0; i < 10_000; i++) expect(results[i]).toBe(3 * i);
    expect(finished.size).toBe(10_000);
    expect([...finished.values()].every((n) => n === 1)).toBe(true);
  });

  it('passes params to tasks through inject("params")', async () => {
    const p = task((params: Readonly<Record<string, unknown>>) => params.day);
    expect(await new Engine().run(p(inject('params')), { params: { day: 3 } })).toBe(3);
  });

  it('a 10,000-long chain and a 10,000-wide fan-in both complete', async () => {
    const inc = task((x: number) => x + 1);
    let l: LazyResult<number> = inc(0);
    for (let i = 1; i < 10_000; i++) l = inc(l);
    const engine = new Engine();
    expect(await engine.run(l)).toBe(10_000);
    const leaf = task((i: number) => i);
    const join = task((xs: number[]) => xs.length);
    const leaves: LazyResult<number>[] = [];
    for (let i = 0; i < 10_000; i++) leaves.push(leaf(i));
    expect(await engine.run(join(leaves))).toBe(10_000);
  });

  it('applies constraint updates arriving from a connector (LocalBus)', async () => {
    const broker = new LocalBroker();
    const engineSide = new LocalBus({ broker, name: 'engine' });
    const control = new LocalBus({ broker, name: 'control' });
    await engineSide.connect();
    await control.connect();
    const engine = new Engine({ connector: engineSide, systemResources: { cpu_slot: 1 } });
    await engine.run(task(() => 1)()); // the engine subscribes on its first run
    const topic = 'cascade/constraints/global/concurrency';
    await control.publish(topic, { kind: 'concurrency', limit: 2 });
    expect(engine.constraints?.list()).toEqual([
      { scope: 'global', kind: 'concurrency', limit: 2 },
    ]);
    engine.close();
    await control.publish(topic, { kind: 'concurrency', limit: 5 });
    expect(engine.constraints?.list()).toEqual([
      { scope: 'global', kind: 'concurrency', limit: 2 },
    ]);
    expect(engine.resourceManager.capacity).toEqual({ cpu_slot: 1 });
  });
});
