import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { task, type LazyResult } from '../../src/spec/index.js';
import { Engine, EventBus, type EngineEvent } from '../../src/runtime/index.js';
import { CascadeError, ErrorCode } from '../../src/errors.js';

function recorder(): { engine: Engine; events: EngineEvent[] } {
  const bus = new EventBus<EngineEvent>();
  const events: EngineEvent[] = [];
  bus.on((e) => events.push(e));
  return { engine: new Engine({ bus }), events };
}

describe('withRetry', () => {
  it('retries until success, reporting TaskRetrying with attempt and delay', async () => {
    let calls = 0;
    const flaky = task(() => {
      if (++calls < 3) throw new Error(`fail ${calls}`);
      return 'ok';
    });
    const { engine, events } = recorder();
    const t0 = performance.now();
    expect(await engine.run(flaky().withRetry({ maxAttempts: 3, delay: 10, backoff: 2 }))).toBe(
      'ok',
    );
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25); // 10 + 20 ms
    const retrying = events.filter((e) => e.type === 'TaskRetrying');
    expect(retrying.map((e) => [e.attempt, e.delayMs])).toEqual([
      [1, 10],
      [2, 20],
    ]);
    expect(calls).toBe(3);
  });

  it('rejects TASK_FAILED with the last error once attempts are exhausted', async () => {
    let calls = 0;
    const bad = task(() => {
      throw new Error(`fail ${++calls}`);
    });
    const err = (await new Engine()
      .run(bad().withRetry({ maxAttempts: 2 }))
      .catch((e: unknown) => e)) as CascadeError;
    expect(err.code).toBe(ErrorCode.TASK_FAILED);
    expect((err.cause as Error).message).toBe('fail 2');
    expect(err.details.attempts).toBe(2);
  });
});

describe('withCache', () => {
  it('memory: keyed by task and resolved arguments; failures are not cached [CACHE-1]', async () => {
    let calls = 0;
    const sq = task((x: number) => {
      calls++;
      return x * x;
    });
    const id = task((x: number) => x);
    const { engine, events } = recorder();
    expect(await engine.run(sq(3).withCache('memory'))).toBe(9);
    expect(await engine.run(sq(id(3)).withCache('memory'))).toBe(9); // same resolved args
    expect(calls).toBe(1);
    expect(await engine.run(sq(4).withCache('memory'))).toBe(16);
    expect(calls).toBe(2);
    expect(events.some((e) => e.type === 'TaskExecutionFinished' && e.status === 'cached')).toBe(
      true,
    );
    let fails = 0;
    const failing = task((x: number) => {
      if (++fails === 1) throw new Error('once');
      return x;
    });
    await expect(engine.run(failing(1).withCache('memory'))).rejects.toThrow();
    expect(await engine.run(failing(1).withCache('memory'))).toBe(1);
  });

  it('memory: honours ttlMs [CACHE-2]', async () => {
    let calls = 0;
    const f = task(() => ++calls);
    const engine = new Engine();
    await engine.run(f().withCache({ kind: 'memory', ttlMs: 20 }));
    await engine.run(f().withCache({ kind: 'memory', ttlMs: 20 }));
    expect(calls).toBe(1);
    await new Promise((r) => setTimeout(r, 40));
    await engine.run(f().withCache({ kind: 'memory', ttlMs: 20 }));
    expect(calls).toBe(2);
  });

  it('file: skips the task when the file exists and yields its path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cascade-cache-'));
    try {
      let calls = 0;
      const render = task(async (name: string) => {
        calls++;
        const p = join(dir, `${name}.txt`);
        await writeFile(p, name);
        return p;
      });
      const policy = { kind: 'file' as const, path: (name: string) => join(dir, `${name}.txt`) };
      const engine = new Engine();
      const p1 = await engine.run(render('a').withCache(policy));
      const p2 = await engine.run(render('a').withCache(policy));
      expect(p2).toBe(p1);
      expect(calls).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('runIf', () => {
  it('skips on false, skips dependents with a reason, target resolves undefined [EXE-2]', async () => {
    const ran: string[] = [];
    const t = task((name: string, ..._d: unknown[]) => {
      ran.push(name);
      return name;
    });
    const isProd = task(() => false)();
    const deploy = t('deploy').runIf(isProd);
    const notify = t('notify', deploy);
    const { engine, events } = recorder();
    expect(await engine.run(notify)).toBeUndefined();
    expect(ran).toEqual([]);
    const skipped = events.filter((e) => e.type === 'TaskSkipped');
    expect(skipped.map((e) => e.reason)).toEqual([
      expect.stringMatching(/^condition task#\d+ is false$/),
      expect.stringMatching(/^upstream task#\d+ was skipped$/),
    ]);
    expect(await engine.run(t('x').runIf(true))).toBe('x');
    expect(await engine.run(t('y').runIf(false))).toBeUndefined();
  });

  it('skips a 10,000-long chain without overflowing [EXE-6]', async () => {
    const inc = task((x: number | undefined) => (x ?? 0) + 1);
    let l: LazyResult<number | undefined> = inc(0).runIf(false);
    for (let i = 0; i < 10_000; i++) l = inc(l);
    expect(await new Engine().run(l)).toBeUndefined();
  });
});

describe('after', () => {
  it('orders without passing data', async () => {
    const order: string[] = [];
    const step = task(async (name: string, ms: number) => {
      await new Promise((r) => setTimeout(r, ms));
      order.push(name);
    });
    const first = step('first', 30);
    await new Engine().run(step('second', 0).after(first));
    expect(order).toEqual(['first', 'second']);
  });
});

describe('map', () => {
  it('runs once per element, zipping lists, with fixed named args', async () => {
    const f = task(({ x, y, k }: { x: number; y: number; k: number }) => (x + y) * k);
    const list = task(() => [1, 2, 3])();
    expect(await new Engine().run(f.map({ x: list, y: [10, 20, 30] }, { k: 2 }))).toEqual([
      22, 44, 66,
    ]);
  });

  it('each element has its own retries and events', async () => {
    const seen = new Map<number, number>();
    const f = task(({ x }: { x: number }) => {
      const n = (seen.get(x) ?? 0) + 1;
      seen.set(x, n);
      if (x === 2 && n === 1) throw new Error('first try of 2');
      return x;
    });
    const { engine, events } = recorder();
    expect(await engine.run(f.map({ x: [1, 2, 3] }).withRetry({ maxAttempts: 2 }))).toEqual([
      1, 2, 3,
    ]);
    const retry = events.find((e) => e.type === 'TaskRetrying');
    expect(retry?.nodeId).toMatch(/#\d+\[1\]$/);
  });

  it('rejects lists of different lengths', async () => {
    const f = task(({ x, y }: { x: number; y: number }) => x + y);
    const err = (await new Engine()
      .run(f.map({ x: [1, 2], y: [1] }))
      .catch((e: unknown) => e)) as CascadeError;
    expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
  });
});
