// The wait provider on the engine's clock: virtual time takes no wall time; cancellation ends
// a wait at once. [TWAIT-1, TWAIT-2]
import { describe, expect, it } from 'vitest';
import { Engine, Scheduler, task } from '../../src/index.js';
import { ErrorCode } from '../../src/errors.js';
import { wait } from '../../src/providers/index.js';

describe('wait', () => {
  it('[TWAIT-1] waits simulated time on a VirtualClock: a day in no wall time', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const engine = new Engine({ clock: scheduler.clock });
    let started!: () => void;
    const waiting = new Promise<void>((r) => (started = r));
    engine.bus.on((e) => {
      if (e.type === 'TaskExecutionStarted' && e.taskName === 'wait') started();
    });
    const stamp = task((v: string) => `${v} at ${scheduler.clock.now()}`, { name: 'stamp' });
    const wall = performance.now();
    const run = engine.run(stamp(wait(86_400_000, 'a day later')));
    await waiting;
    await new Promise((r) => setImmediate(r));
    await scheduler.runUntil(86_400_000);
    expect(await run).toBe('a day later at 86400000');
    expect(performance.now() - wall).toBeLessThan(2000);
  });

  it('waits wall time on an engine without a clock', async () => {
    const t0 = performance.now();
    expect(await new Engine().run(wait(60))).toBeUndefined();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it('orders a step after a wait', async () => {
    const order: string[] = [];
    const step = task((name: string) => void order.push(name), { name: 'step' });
    await new Engine().run(step('second').after(wait(30).after(step('first'))));
    expect(order).toEqual(['first', 'second']);
  });

  it('[TWAIT-2] cancelling the run ends the wait at once', async () => {
    const ac = new AbortController();
    const run = new Engine().run(wait(60_000), { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const t0 = performance.now();
    const error = await run.catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.CANCELLED);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('rejects a bad duration by name', () => {
    expect(() => wait(-1)).toThrow(/wait ms/);
  });
});
