import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { task, tailCall, inject, type TailCall } from '../../src/spec/index.js';
import { Engine, EventBus, ResourceManager, type EngineEvent } from '../../src/runtime/index.js';
import { CancelledError, CascadeError, ErrorCode } from '../../src/errors.js';

const N = 1_000_000;

function stackDepth(): number {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Infinity;
  const depth = (new Error().stack ?? '').split('\n').length;
  Error.stackTraceLimit = limit;
  return depth;
}

// A real full GC, so heap growth measures retained memory, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('VM mode [VM-1..5]', () => {
  it('runs 1,000,000 sync iterations in constant stack and flat memory', async () => {
    const depths: number[] = [];
    const agent = task(({ n, acc, tag }: { n: number; acc: number; tag: string }) => {
      // both probes are after a yield to the event loop, so both start from the same base
      if (n === 100_000 || n === N - 10) depths.push(stackDepth());
      return n === N ? { acc, tag } : tailCall({ n: n + 1, acc: acc + 1 });
    });
    const engine = new Engine();
    await engine.run(agent({ n: 0, acc: 0, tag: 'w' }), { vm: true }); // warm up
    const before = heapAfterGc();
    expect(await engine.run(agent({ n: 0, acc: 0, tag: 't' }), { vm: true })).toEqual({
      acc: N,
      tag: 't',
    });
    const growth = heapAfterGc() - before;
    expect(depths[2]).toBe(depths[3]); // [VM-1] same depth at iteration 100,000 and 999,990
    // [VM-2] no per-iteration retention: 1M leaked argument objects would be >= 30 MB
    expect(growth).toBeLessThan(4 * 1024 * 1024);
  });

  it('runs 1,000,000 async iterations in constant stack and flat memory', async () => {
    const depths: number[] = [];
    const agent = task(async ({ n }: { n: number }): Promise<number | TailCall> => {
      await Promise.resolve();
      if (n === 10 || n === N - 10) depths.push(stackDepth());
      return n === N ? n : tailCall({ n: n + 1 });
    });
    const engine = new Engine();
    const before = heapAfterGc();
    expect(await engine.run(agent({ n: 0 }), { vm: true })).toBe(N);
    const growth = heapAfterGc() - before;
    expect(depths[0]).toBe(depths[1]);
    expect(growth).toBeLessThan(4 * 1024 * 1024);
  });

  it('tailCall(other, args) switches task (mutual recursion) and positional lists', async () => {
    const ping = task((n: number, log: string[]): unknown =>
      n === 0 ? log.join('') : tailCall(pong, [n - 1, log.length < 4 ? [...log, 'i'] : log]),
    );
    const pong = task((n: number, log: string[]): unknown =>
      n === 0 ? log.join('') : tailCall(ping, [n - 1, log.length < 4 ? [...log, 'o'] : log]),
    );
    expect(await new Engine().run(ping(100_001, []), { vm: true })).toBe('ioio');
    const count = task((n: number, step: number): unknown =>
      n <= 0 ? 'ok' : tailCall([n - step, step]),
    );
    expect(await new Engine().run(count(1000, 3), { vm: true })).toBe('ok');
  });

  it('a sync agent yields to the event loop (it does not starve timers) [VM-3]', async () => {
    let timerFired = false;
    let firedAt = -1;
    setTimeout(() => (timerFired = true), 1);
    const agent = task(({ n }: { n: number }): unknown => {
      if (timerFired && firedAt < 0) firedAt = n;
      return n === 300_000 ? firedAt : tailCall({ n: n + 1 });
    });
    const at = await new Engine({ yieldEvery: 256 }).run(agent({ n: 0 }), { vm: true });
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(300_000);
  });

  it('acquires constraints per iteration from a shared manager [VM-4]', async () => {
    const rm = new ResourceManager({ cpu_slot: 5 });
    let inside = 0;
    let peak = 0;
    const agent = task(async ({ n }: { n: number }): Promise<number | TailCall> => {
      inside++;
      peak = Math.max(peak, inside);
      await new Promise((r) => setImmediate(r));
      inside--;
      return n === 0 ? 1 : tailCall({ n: n - 1 });
    });
    const engine = new Engine({ resourceManager: rm });
    const done = await Promise.all(
      Array.from({ length: 50 }, () =>
        engine.run(agent({ n: 100 }).withConstraints({ cpu_slot: 1 }), { vm: true }),
      ),
    );
    expect(done).toHaveLength(50);
    expect(peak).toBe(5);
    expect(rm.inUse.cpu_slot).toBe(0);
  });

  it('acquires constraints per iteration on the graph path too (upstream argument) [VM-4]', async () => {
    const rm = new ResourceManager({ cpu_slot: 1 });
    const order: string[] = [];
    const start = task((id: string) => id);
    const agent = task(async ({ id, n }: { id: string; n: number }): Promise<string | TailCall> => {
      order.push(id);
      await new Promise((r) => setImmediate(r));
      return n === 0 ? id : tailCall({ n: n - 1 });
    });
    const engine = new Engine({ resourceManager: rm });
    const runs = ['a', 'b'].map((id) =>
      engine.run(agent({ id: start(id), n: 20 }).withConstraints({ cpu_slot: 1 }), { vm: true }),
    );
    expect(await Promise.all(runs)).toEqual(['a', 'b']);
    const switches = order.filter((id, i) => i > 0 && id !== order[i - 1]).length;
    expect(switches).toBeGreaterThan(5); // they take turns, one iteration at a time
    expect(rm.inUse.cpu_slot).toBe(0);
  });

  it('emits run and attempt events once and nothing per iteration [ENG-EVT-3] [ATT-5]', async () => {
    const bus = new EventBus<EngineEvent>();
    const types: string[] = [];
    bus.on((e) => types.push(e.type));
    const agent = task(({ n }: { n: number }) => (n === 0 ? 'z' : tailCall({ n: n - 1 })));
    await new Engine({ bus }).run(agent({ n: 1000 }), { vm: true });
    expect(types).toEqual([
      'RunStarted',
      'TaskExecutionStarted',
      'TaskExecutionFinished',
      'RunFinished',
    ]);
  });

  it('stops on abort with CancelledError and RunFinished cancelled [VM-5]', async () => {
    const bus = new EventBus<EngineEvent>();
    const finished: EngineEvent[] = [];
    bus.onType('RunFinished', (e) => finished.push(e));
    const ac = new AbortController();
    let iterations = 0;
    const forever = task(({ n }: { n: number }): unknown => {
      iterations++;
      return tailCall({ n: n + 1 });
    });
    const p = new Engine({ bus }).run(forever({ n: 0 }), { vm: true, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(iterations).toBeGreaterThan(0);
    expect(finished).toMatchObject([{ type: 'RunFinished', status: 'cancelled' }]);
  });

  it('a failing iteration fails the run with TASK_FAILED; retry restarts the agent', async () => {
    let runs = 0;
    const agent = task(({ n }: { n: number }): unknown => {
      if (n === 0) runs++;
      if (n === 5 && runs < 2) throw new Error('iteration 5');
      return n === 10 ? 'ok' : tailCall({ n: n + 1 });
    });
    const engine = new Engine();
    const err = (await engine
      .run(agent({ n: 0 }), { vm: true })
      .catch((e: unknown) => e)) as CascadeError;
    expect(err.code).toBe(ErrorCode.TASK_FAILED);
    expect((err.cause as Error).message).toBe('iteration 5');
    runs = 0;
    expect(await engine.run(agent({ n: 0 }).withRetry({ maxAttempts: 2 }), { vm: true })).toBe(
      'ok',
    );
  });

  it('resolves injects once per VM run; upstream LazyResults go through the graph', async () => {
    const agent = task(({ n, signal }: { n: number; signal: AbortSignal }): unknown =>
      n === 0 ? signal.aborted : tailCall({ n: n - 1 }),
    );
    const engine = new Engine();
    expect(await engine.run(agent({ n: 10, signal: inject('signal') }), { vm: true })).toBe(false);
    const start = task(() => 50)();
    expect(await engine.run(agent({ n: start, signal: inject('signal') }), { vm: true })).toBe(
      false,
    );
  });
});
