import { describe, expect, it } from 'vitest';
import { task, inject, resource } from '../../src/spec/index.js';
import { Engine, EventBus, ResourceManager, type EngineEvent } from '../../src/runtime/index.js';
import { CancelledError, ErrorCode } from '../../src/errors.js';

describe('cancellation [ENG-5]', () => {
  it('running tasks see the signal; the run rejects CancelledError with RunFinished cancelled', async () => {
    const bus = new EventBus<EngineEvent>();
    const events: EngineEvent[] = [];
    bus.on((e) => events.push(e));
    let sawAbort = false;
    let laterRan = false;
    const wait = task(
      (signal: AbortSignal) =>
        new Promise<number>((resolve) => {
          signal.addEventListener('abort', () => {
            sawAbort = true;
            resolve(0);
          });
        }),
    );
    const later = task((_x: number) => {
      laterRan = true;
      return 1;
    });
    const ac = new AbortController();
    const p = new Engine({ bus }).run(later(wait(inject('signal'))), { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('user stop')), 10);
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).code).toBe(ErrorCode.CANCELLED);
    expect(sawAbort).toBe(true);
    expect(laterRan).toBe(false); // nothing new starts after cancellation
    expect(events.at(-1)).toMatchObject({ type: 'RunFinished', status: 'cancelled' });
  });

  it('an already-aborted signal runs nothing', async () => {
    let ran = false;
    const t = task(() => (ran = true));
    const ac = new AbortController();
    ac.abort();
    await expect(new Engine().run(t(), { signal: ac.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(ran).toBe(false);
  });

  it('stops a retry delay and a resource wait at once, and tears resources down', async () => {
    const log: string[] = [];
    const res = resource('conn', () => ({ value: 1, teardown: () => void log.push('down') }), {
      scope: 'run',
    });
    const rm = new ResourceManager({ slot: 1 });
    rm.tryAcquire({ slot: 1 }); // held elsewhere: the task will wait
    const blocked = task((_c: number) => 1);
    const failing = task((_c: number) => {
      throw new Error('again');
    });
    const join = task((..._x: unknown[]) => 0);
    const engine = new Engine({ resourceManager: rm, resources: [res] });
    const ac = new AbortController();
    const t0 = performance.now();
    const p = engine.run(
      join(
        blocked(inject('conn')).withConstraints({ slot: 1 }),
        failing(inject('conn')).withRetry({ maxAttempts: 3, delay: 60_000 }),
      ),
      { signal: ac.signal },
    );
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(log).toEqual(['down']);
    expect(rm.waiting).toBe(0);
    expect(rm.inUse.slot).toBe(1); // only the outside holder
  });
});
