/**
 * DirectChannel as a WaitSource [DCH-7]: park / unpark with a hand-written Waker, outside any
 * engine. Also the argument checks of waitFor / waitUntil [WAIT-1, WAIT-2].
 */
import { describe, expect, it } from 'vitest';
import { CascadeError, ErrorCode, InvalidArgumentError } from '../../src/errors.js';
import { Scheduler } from '../../src/runtime/index.js';
import { DirectChannel, EMPTY } from '../../src/messaging/index.js';
import { Wait, waitFor, waitUntil, type Waker } from '../../src/spec/index.js';

function balanced<T>(ch: DirectChannel<T>): void {
  const s = ch.stats;
  expect(s.sent).toBe(s.delivered + s.dropped + s.rejected + ch.size); // [DCH-3]
}

/** A Waker that counts its wakes. */
function countingWaker(): Waker & { wakes: number } {
  const w = {
    wakes: 0,
    wake: (): void => {
      w.wakes++;
    },
  };
  return w;
}

const flushMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('DirectChannel.park / unpark [DCH-7]', () => {
  it('does not park when a message is buffered, when closed, or when the deadline is past', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4, clock: scheduler.clock });
    const w = countingWaker();

    ch.send(1);
    expect(ch.park(w, Infinity)).toBe(false); // [WAIT-1] ready already
    expect(ch.hasWaiter).toBe(false);
    expect(ch.tryRecv()).toBe(1);

    await scheduler.runUntil(100);
    expect(ch.park(w, 100)).toBe(false); // deadline === now
    expect(ch.park(w, 50)).toBe(false); // deadline in the past
    expect(ch.hasWaiter).toBe(false);
    expect(scheduler.pending).toBe(0); // no timer armed for a wait that never started

    expect(ch.park(w, 101)).toBe(true);
    expect(ch.hasWaiter).toBe(true);
    ch.unpark(w);

    ch.close();
    expect(ch.park(w, Infinity)).toBe(false); // closed: ready
    expect(ch.hasWaiter).toBe(false);
    await flushMicrotasks();
    expect(w.wakes).toBe(0); // none of these parked, so none wakes
    balanced(ch);
  });

  it('parks on an empty open channel (no deadline) and sets hasWaiter', () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const w = countingWaker();
    expect(ch.hasWaiter).toBe(false);
    expect(ch.park(w, Infinity)).toBe(true);
    expect(ch.hasWaiter).toBe(true);
    ch.unpark(w);
    expect(ch.hasWaiter).toBe(false);
  });

  it('a send wakes from a microtask, exactly once, and leaves the message for tryRecv [WAIT-3]', async () => {
    const ch = new DirectChannel<string>({ owner: 'a', capacity: 4 });
    const w = countingWaker();
    expect(ch.park(w, Infinity)).toBe(true);

    expect(ch.send('m1')).toBe(true);
    expect(w.wakes).toBe(0); // not inside send
    expect(ch.hasWaiter).toBe(false); // the waiter is settled at the send
    expect(ch.size).toBe(1); // the message is buffered, not handed over
    expect(ch.send('m2')).toBe(true); // a second send before the wake does not wake again

    await Promise.resolve();
    expect(w.wakes).toBe(1);
    await flushMicrotasks();
    expect(w.wakes).toBe(1);

    expect(ch.tryRecv()).toBe('m1');
    expect(ch.tryRecv()).toBe('m2');
    expect(ch.tryRecv()).toBe(EMPTY);
    ch.send('m3'); // nobody parked: no wake
    await flushMicrotasks();
    expect(w.wakes).toBe(1);
    balanced(ch);
  });

  it('close wakes a parked waker from a microtask, once', async () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const w = countingWaker();
    expect(ch.park(w, Infinity)).toBe(true);
    ch.close();
    expect(w.wakes).toBe(0);
    expect(ch.hasWaiter).toBe(false);
    ch.close(); // idempotent
    await flushMicrotasks();
    expect(w.wakes).toBe(1);
    expect(ch.tryRecv()).toBe(EMPTY);
  });

  it('unpark with another waker is a no-op; with the parked one it forgets it', async () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const parked = countingWaker();
    const other = countingWaker();
    expect(ch.park(parked, Infinity)).toBe(true);

    ch.unpark(other);
    expect(ch.hasWaiter).toBe(true);
    ch.unpark({ wake: parked.wake }); // same function, different waker object: still a no-op
    expect(ch.hasWaiter).toBe(true);

    ch.unpark(parked);
    expect(ch.hasWaiter).toBe(false);
    ch.unpark(parked); // twice: a no-op
    ch.send(1);
    await flushMicrotasks();
    expect(parked.wakes).toBe(0);
    expect(other.wakes).toBe(0);
    expect(ch.tryRecv()).toBe(1);
    balanced(ch);
  });

  it('unpark cancels the deadline timer', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4, clock: scheduler.clock });
    const w = countingWaker();
    expect(ch.park(w, 50)).toBe(true);
    expect(scheduler.pending).toBe(1);
    ch.unpark(w);
    expect(scheduler.pending).toBe(0);
    await scheduler.runUntil(100);
    expect(w.wakes).toBe(0);
  });

  it('the deadline wakes exactly once, at the deadline, from the clock timer [WAIT-1]', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4, clock: scheduler.clock });
    const wokeAt: number[] = [];
    const w: Waker = { wake: () => wokeAt.push(scheduler.clock.now()) };
    expect(ch.park(w, 40)).toBe(true);
    expect(scheduler.pending).toBe(1);

    await scheduler.runUntil(39);
    expect(wokeAt).toEqual([]);
    expect(ch.hasWaiter).toBe(true);

    await scheduler.runUntil(40);
    expect(wokeAt).toEqual([40]);
    expect(ch.hasWaiter).toBe(false);
    expect(scheduler.pending).toBe(0);

    await scheduler.runUntil(1000);
    ch.send(1); // the waiter is gone: a later send does not wake it again
    await flushMicrotasks();
    expect(wokeAt).toEqual([40]);
    expect(ch.tryRecv()).toBe(1);
    balanced(ch);
  });

  it('a message before the deadline wakes once and cancels the deadline timer', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4, clock: scheduler.clock });
    const w = countingWaker();
    expect(ch.park(w, 40)).toBe(true);
    await scheduler.runUntil(10);
    ch.send(7);
    expect(scheduler.pending).toBe(0); // [DCH-4] the timer is cancelled at the send
    await flushMicrotasks();
    expect(w.wakes).toBe(1);
    await scheduler.runUntil(100);
    expect(w.wakes).toBe(1); // the deadline does not wake a second time
    expect(scheduler.stats.fired).toBe(0);
    expect(ch.tryRecv()).toBe(7);
    balanced(ch);
  });

  it('re-parks after a wake, many times, with balanced counters', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({
      owner: 'a',
      capacity: 2,
      overflow: 'reject',
      clock: scheduler.clock,
    });
    const w = countingWaker();
    const got: number[] = [];
    for (let i = 0; i < 20; i++) {
      expect(ch.park(w, scheduler.clock.now() + 5)).toBe(true);
      if (i % 2 === 0) {
        ch.send(i);
        ch.send(i + 100);
        expect(ch.send(i + 200)).toBe(false); // full: rejected
        await flushMicrotasks();
      } else {
        await scheduler.runUntil(scheduler.clock.now() + 5); // times out
      }
      expect(w.wakes).toBe(i + 1);
      got.push(...ch.drain());
      balanced(ch);
    }
    expect(got).toEqual(Array.from({ length: 10 }, (_, k) => [2 * k, 2 * k + 100]).flat());
    expect(ch.stats.rejected).toBe(10);
    expect(scheduler.pending).toBe(0);
  });

  it('a NaN deadline throws InvalidArgumentError and parks nothing', () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const w = countingWaker();
    expect(() => ch.park(w, NaN)).toThrow(InvalidArgumentError);
    expect(ch.hasWaiter).toBe(false);
  });

  it('one receiver: park while a recv waits, or twice, throws CHANNEL_BUSY', async () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const pending = ch.recv();
    const w = countingWaker();
    let err: unknown;
    try {
      ch.park(w, Infinity);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CascadeError);
    expect((err as CascadeError).code).toBe(ErrorCode.CHANNEL_BUSY);
    ch.send(3);
    expect(await pending).toBe(3); // the recv is untouched
    await flushMicrotasks();
    expect(w.wakes).toBe(0);

    expect(ch.park(w, Infinity)).toBe(true);
    expect(() => ch.park(countingWaker(), Infinity)).toThrow(
      expect.objectContaining({ code: ErrorCode.CHANNEL_BUSY }) as Error,
    );
    expect(() => ch.recv()).toThrow(
      expect.objectContaining({ code: ErrorCode.CHANNEL_BUSY }) as Error,
    );
    ch.unpark(w);
  });
});

describe('waitFor / waitUntil arguments', () => {
  it('build a Wait holding the source or the clock and the deadline', () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const a = waitFor(ch);
    expect(a).toBeInstanceOf(Wait);
    expect(a.source).toBe(ch);
    expect(a.clock).toBeNull();
    expect(a.deadline).toBe(Infinity);
    expect(waitFor(ch, 12).deadline).toBe(12);
    const b = waitUntil(scheduler.clock, 30);
    expect(b.source).toBeNull();
    expect(b.clock).toBe(scheduler.clock);
    expect(b.deadline).toBe(30);
  });

  it('throw InvalidArgumentError naming the bad source, clock or deadline', () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const cases: [string, () => unknown, string][] = [
      ['waitFor({})', () => waitFor({} as never), 'source'],
      ['waitFor(null)', () => waitFor(null as never), 'source'],
      ['waitFor(ch, NaN)', () => waitFor(ch, NaN), 'deadline'],
      ['waitUntil(clock, Infinity)', () => waitUntil(scheduler.clock, Infinity), 'deadline'],
      ['waitUntil(clock, NaN)', () => waitUntil(scheduler.clock, NaN), 'deadline'],
      ['waitUntil(null, 1)', () => waitUntil(null as never, 1), 'clock'],
      ['waitUntil({}, 1)', () => waitUntil({} as never, 1), 'clock'],
    ];
    for (const [name, fn, option] of cases) {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).code, name).toBe(ErrorCode.INVALID_ARGUMENT);
      expect((err as InvalidArgumentError).details.option, name).toBe(option);
    }
  });
});
