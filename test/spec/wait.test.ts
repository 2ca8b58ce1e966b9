import { describe, expect, it } from 'vitest';
import { task, tailCall, waitUntil, Wait } from '../../src/spec/index.js';
import { Engine, Scheduler } from '../../src/runtime/index.js';
import { DirectChannel, EMPTY } from '../../src/messaging/index.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('Wait re-aimed with for / until', () => {
  it('for() and until() change the one object and validate like waitFor / waitUntil', () => {
    const clock = new Scheduler({ clock: 'virtual' }).clock;
    const inbox = new DirectChannel<number>({ owner: 'w', capacity: 2, clock });
    const w = waitUntil(clock, 5);
    expect(w.for(inbox, 7)).toBe(w);
    expect([w.source, w.clock, w.deadline]).toEqual([inbox, null, 7]);
    expect(w.until(clock, 9)).toBe(w);
    expect([w.source, w.clock, w.deadline]).toEqual([null, clock, 9]);
    expect(w.for(inbox).deadline).toBe(Infinity);
    expect(() => w.for({} as never, 1)).toThrow(InvalidArgumentError);
    expect(() => w.for(inbox, NaN)).toThrow(InvalidArgumentError);
    expect(() => w.until(clock, Infinity)).toThrow(InvalidArgumentError);
    expect(w).toBeInstanceOf(Wait);
  });

  it('a synchronous agent may return the same Wait every step [WAIT-1, WAIT-2]', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const clock = scheduler.clock;
    const inbox = new DirectChannel<number>({ owner: 'w', capacity: 4, clock });
    const wait = waitUntil(clock, 0);
    const log: string[] = [];
    const agent = task(({ sum, phase }: { sum: number; phase: number }): unknown => {
      const now = clock.now();
      if (phase === 0) {
        if (now < 100) return wait.until(clock, 100); // sleep first
        return tailCall({ phase: 1 });
      }
      const msg = inbox.tryRecv();
      if (msg === EMPTY) {
        if (now >= 300) return sum; // no more messages before the deadline
        return wait.for(inbox, 300);
      }
      log.push(`${msg}@${now}`);
      return tailCall({ sum: sum + msg });
    });
    const run = new Engine().run(agent({ sum: 0, phase: 0 }), { vm: true });
    await scheduler.runUntil(150);
    inbox.send(1);
    inbox.send(2);
    await scheduler.runUntil(200);
    inbox.send(4);
    await scheduler.runUntil(1000);
    expect(await run).toBe(7);
    expect(log).toEqual(['1@150', '2@150', '4@200']);
  });
});
