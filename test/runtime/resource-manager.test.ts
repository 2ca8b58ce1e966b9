import { describe, expect, it } from 'vitest';
import { task } from '../../src/spec/index.js';
import { Engine, ResourceManager } from '../../src/runtime/index.js';
import { CancelledError, CascadeError, ErrorCode } from '../../src/errors.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ResourceManager', () => {
  it('grants all or nothing [RM-1]', async () => {
    const rm = new ResourceManager({ cpu: 2, gpu: 1 });
    expect(rm.tryAcquire({ cpu: 1, gpu: 1 })).toBe(true);
    expect(rm.tryAcquire({ cpu: 1, gpu: 1 })).toBe(false);
    expect(rm.inUse).toEqual({ cpu: 1, gpu: 1 }); // the failed request took nothing
    rm.release({ cpu: 1, gpu: 1 });
    expect(rm.available).toEqual({ cpu: 2, gpu: 1 });
    await rm.acquire({ cpu: 2 });
    expect(rm.inUse.cpu).toBe(2);
  });

  it('is strict FIFO: a big request at the head is not overtaken [RM-2]', async () => {
    const rm = new ResourceManager({ cpu: 4 });
    await rm.acquire({ cpu: 3 });
    const order: string[] = [];
    const big = rm.acquire({ cpu: 4 }).then(() => order.push('big'));
    const small = rm.acquire({ cpu: 1 }).then(() => order.push('small'));
    await tick();
    expect(order).toEqual([]); // 1 cpu is free, but small waits behind big
    expect(rm.tryAcquire({ cpu: 1 })).toBe(false); // tryAcquire does not jump the queue
    expect(rm.waiting).toBe(2);
    rm.release({ cpu: 3 });
    await big;
    expect(order).toEqual(['big']);
    rm.release({ cpu: 4 });
    await small;
    expect(order).toEqual(['big', 'small']);
  });

  it('rejects an infeasible request at once, naming resource and amounts [RM-3]', async () => {
    const rm = new ResourceManager({ cpu: 2 });
    const err = (await rm.acquire({ cpu: 3 }).catch((e: unknown) => e)) as CascadeError;
    expect(err.code).toBe(ErrorCode.INFEASIBLE_CONSTRAINT);
    expect(err.details).toEqual({ resource: 'cpu', requested: 3, capacity: 2 });
    expect(() => rm.tryAcquire({ gpu: 1 })).toThrow(/gpu: 1 can never be met \(capacity 0\)/);
  });

  it('setCapacity / updateResource at run time wake or reject waiters', async () => {
    const rm = new ResourceManager({ cpu: 2 });
    await rm.acquire({ cpu: 1 });
    const two = rm.acquire({ cpu: 2 });
    await tick();
    expect(rm.waiting).toBe(1);
    rm.updateResource('cpu', 3); // now it fits: 1 + 2 <= 3
    await two;
    expect(rm.inUse.cpu).toBe(3);
    const four = rm.acquire({ cpu: 3 });
    rm.setCapacity({ cpu: 2 }); // 3 can never fit any more
    const err = (await four.catch((e: unknown) => e)) as CascadeError;
    expect(err.code).toBe(ErrorCode.INFEASIBLE_CONSTRAINT);
    expect(rm.available.cpu).toBe(-1);
  });

  it('an aborted waiter leaves the queue and the next one proceeds', async () => {
    const rm = new ResourceManager({ cpu: 2 });
    await rm.acquire({ cpu: 1 });
    const ac = new AbortController();
    const blocked = rm.acquire({ cpu: 2 }, ac.signal);
    const next = rm.acquire({ cpu: 1 });
    ac.abort();
    await expect(blocked).rejects.toBeInstanceOf(CancelledError);
    await next;
    expect(rm.inUse.cpu).toBe(2);
    expect(rm.waiting).toBe(0);
  });

  it('validates amounts', () => {
    expect(() => new ResourceManager({ cpu: -1 })).toThrow(/capacity.cpu/);
    const rm = new ResourceManager({ cpu: 1 });
    expect(() => rm.release({ cpu: 1 })).toThrow(/only 0 in use/);
  });

  it('200 engines sharing one manager { cpu_slot: 10 }: never more than 10 held, all finish', async () => {
    const rm = new ResourceManager({ cpu_slot: 10 });
    let inside = 0;
    let peak = 0;
    let maxHeld = 0;
    const work = task(async (i: number) => {
      inside++;
      peak = Math.max(peak, inside);
      maxHeld = Math.max(maxHeld, rm.inUse.cpu_slot);
      await new Promise((r) => setTimeout(r, 1));
      inside--;
      return i;
    });
    const join = task((xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const engines = Array.from({ length: 200 }, () => new Engine({ resourceManager: rm }));
    const results = await Promise.all(
      engines.map((engine, e) =>
        engine.run(join([0, 1, 2].map((k) => work(e * 3 + k).withConstraints({ cpu_slot: 1 })))),
      ),
    );
    expect(results).toEqual(engines.map((_, e) => 9 * e + 3));
    expect(peak).toBeLessThanOrEqual(10);
    expect(peak).toBe(10); // the limit was actually reached
    expect(maxHeld).toBeLessThanOrEqual(10);
    expect(rm.inUse.cpu_slot).toBe(0);
  });

  it('a task constraint above the capacity fails the run with INFEASIBLE_CONSTRAINT', async () => {
    const engine = new Engine({ systemResources: { cpu_slot: 2 } });
    const t = task(() => 1);
    const err = (await engine
      .run(t().withConstraints({ cpu_slot: 3 }).withRetry({ maxAttempts: 5 }))
      .catch((e: unknown) => e)) as CascadeError;
    expect(err.code).toBe(ErrorCode.INFEASIBLE_CONSTRAINT);
    expect(err.details.resource).toBe('cpu_slot');
  });
});

describe('ResourceManager.release', () => {
  it('rejects a negative or NaN amount, naming it, and keeps its books', () => {
    const rm = new ResourceManager({ cpu_slot: 2 });
    expect(rm.tryAcquire({ cpu_slot: 1 })).toBe(true);
    expect(() => rm.release({ cpu_slot: -1 })).toThrow(/release\.cpu_slot/);
    expect(() => rm.release({ cpu_slot: Number.NaN })).toThrow(/release\.cpu_slot/);
    expect(rm.inUse.cpu_slot).toBe(1);
    rm.release({ cpu_slot: 1 });
    expect(rm.inUse.cpu_slot).toBe(0);
  });
});
