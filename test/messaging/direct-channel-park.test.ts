/**
 * DirectChannel as a WaitSource [DCH-7]: park / unpark with a hand-written Waker, outside any
 * engine. The channel only says when it is ready; the deadline of `waitFor(channel, deadline)`
 * is the waiting fiber's own timer on `channel.clock` (covered in test/runtime/vm-wait.test.ts),
 * so here a park arms no timer. Also the argument checks of waitFor / waitUntil [WAIT-1, WAIT-2].
 */
import { describe, expect, it } from 'vitest';
import { CascadeError, ClosedError, ErrorCode, InvalidArgumentError } from '../../src/errors.js';
import { Scheduler } from '../../src/runtime/index.js';
import { ReadyQueue } from '../../src/runtime/ready-queue.js';
import { DirectChannel, EMPTY, TIMED_OUT } from '../../src/messaging/index.js';
import { Wait, waitFor, waitUntil, type Waker } from '../../src/spec/index.js';

function balanced<T>(ch: DirectChannel<T>): void {
  const s = ch.stats;
  expect(s.sent).toBe(s.delivered + s.dropped + s.rejected + s.discarded + ch.size); // [DCH-3]
}

/** A Waker that counts its wakes; `wake` reads `this`, so it fails unless called as a method. */
class CountingWaker implements Waker {
  wakes = 0;
  wake(): void {
    this.wakes++;
  }
}

const flushMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('DirectChannel.park / unpark [DCH-7]', () => {
  it('does not park when a message is buffered or the channel is closed', async () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const w = new CountingWaker();

    ch.send(1);
    expect(ch.park(w)).toBe(false); // [WAIT-1] ready already
    expect(ch.hasWaiter).toBe(false);
    expect(ch.unpark(w)).toBe(false); // it never parked
    expect(ch.tryRecv()).toBe(1);

    expect(ch.park(w)).toBe(true); // empty and open: parks
    expect(ch.unpark(w)).toBe(true);

    ch.close();
    expect(ch.park(w)).toBe(false); // closed: ready
    expect(ch.hasWaiter).toBe(false);
    await flushMicrotasks();
    expect(w.wakes).toBe(0); // none of these stayed parked, so none wakes
    balanced(ch);
  });

  it('parks on an empty open channel and sets hasWaiter', () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const w = new CountingWaker();
    expect(ch.hasWaiter).toBe(false);
    expect(ch.park(w)).toBe(true);
    expect(ch.hasWaiter).toBe(true);
    expect(ch.unpark(w)).toBe(true);
    expect(ch.hasWaiter).toBe(false);
  });

  it('a park on a virtual-clock channel arms no timer; time passing does not wake it', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4, clock: scheduler.clock });
    const w = new CountingWaker();
    expect(ch.park(w)).toBe(true);
    expect(scheduler.pending).toBe(0); // the deadline is the waiting fiber's timer, not ours

    await scheduler.runUntil(1_000_000);
    await flushMicrotasks();
    expect(w.wakes).toBe(0); // only a message or close readies the channel
    expect(ch.hasWaiter).toBe(true);
    expect(scheduler.stats.fired).toBe(0);

    ch.send(5);
    expect(scheduler.pending).toBe(0);
    await flushMicrotasks();
    expect(w.wakes).toBe(1);
    expect(ch.tryRecv()).toBe(5);
    balanced(ch);
  });

  it('clock is the clock given, else a wall clock', () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4, clock: scheduler.clock });
    expect(ch.clock).toBe(scheduler.clock);

    const wall = new DirectChannel<number>({ owner: 'b', capacity: 4 }).clock;
    expect(typeof wall.now).toBe('function');
    expect(typeof wall.createTimer).toBe('function');
    const before = performance.now();
    const t = wall.now();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(performance.now());
  });

  it('a send wakes from a microtask, exactly once, as a method, and leaves the message for tryRecv [WAIT-3]', async () => {
    const ch = new DirectChannel<string>({ owner: 'a', capacity: 4 });
    const w = new CountingWaker();
    expect(ch.park(w)).toBe(true);

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

  it('the wake goes through the ready queue given to the channel', async () => {
    const ready = new ReadyQueue();
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4, ready });
    const w = new CountingWaker();
    expect(ch.park(w)).toBe(true);
    expect(ready.size).toBe(0);
    ch.send(1);
    expect(ready.size).toBe(1); // [RDY-1] queued, not run
    await flushMicrotasks();
    expect(ready.size).toBe(0);
    expect(w.wakes).toBe(1);
  });

  it('close wakes a parked waker from a microtask, once', async () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const w = new CountingWaker();
    expect(ch.park(w)).toBe(true);
    ch.close();
    expect(w.wakes).toBe(0);
    expect(ch.hasWaiter).toBe(false);
    ch.close(); // idempotent
    await flushMicrotasks();
    expect(w.wakes).toBe(1);
    expect(ch.tryRecv()).toBe(EMPTY);
  });

  it('unpark: false for another waker or nothing parked; true (once) for the parked one', async () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const parked = new CountingWaker();
    const other = new CountingWaker();
    expect(ch.unpark(parked)).toBe(false); // nothing parked

    expect(ch.park(parked)).toBe(true);
    expect(ch.unpark(other)).toBe(false);
    expect(ch.hasWaiter).toBe(true);
    // same method, different waker object: still not the parked one
    expect(ch.unpark({ wake: parked.wake.bind(parked) })).toBe(false);
    expect(ch.hasWaiter).toBe(true);

    expect(ch.unpark(parked)).toBe(true);
    expect(ch.hasWaiter).toBe(false);
    expect(ch.unpark(parked)).toBe(false); // twice: no longer parked
    ch.send(1);
    await flushMicrotasks();
    expect(parked.wakes).toBe(0); // an unparked waker is not woken
    expect(other.wakes).toBe(0);
    expect(ch.tryRecv()).toBe(1);
    balanced(ch);
  });

  it('unpark after a send readied the waker returns false; the wake still arrives once [WAIT-3]', async () => {
    const ready = new ReadyQueue();
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4, ready });
    const w = new CountingWaker();
    expect(ch.park(w)).toBe(true);
    ch.send(9);
    expect(ch.unpark(w)).toBe(false); // readied already: its wake is queued
    expect(ready.size).toBe(1); // unpark did not take the queued wake back
    expect(ch.hasWaiter).toBe(false);
    expect(w.wakes).toBe(0);

    await flushMicrotasks();
    expect(w.wakes).toBe(1);
    await flushMicrotasks();
    expect(w.wakes).toBe(1);
    expect(ch.tryRecv()).toBe(9);
    balanced(ch);
  });

  it('unpark after close readied the waker returns false; the wake still arrives once', async () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const w = new CountingWaker();
    expect(ch.park(w)).toBe(true);
    ch.close();
    expect(ch.unpark(w)).toBe(false);
    await flushMicrotasks();
    expect(w.wakes).toBe(1);
  });

  it('re-parks after a wake, many times, with balanced counters', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({
      owner: 'a',
      capacity: 2,
      overflow: 'reject',
      clock: scheduler.clock,
    });
    const w = new CountingWaker();
    const got: number[] = [];
    for (let i = 0; i < 20; i++) {
      expect(ch.park(w)).toBe(true);
      if (i % 2 === 0) {
        ch.send(i);
        ch.send(i + 100);
        expect(ch.send(i + 200)).toBe(false); // full: rejected
        await flushMicrotasks();
        expect(w.wakes).toBe(i / 2 + 1);
        got.push(...ch.drain());
      } else {
        expect(ch.unpark(w)).toBe(true); // as a fiber does when its own deadline fires
        await scheduler.runUntil(scheduler.clock.now() + 5);
        await flushMicrotasks();
        expect(w.wakes).toBe((i + 1) / 2); // no wake for an unparked waiter
      }
      expect(ch.hasWaiter).toBe(false);
      balanced(ch);
    }
    expect(got).toEqual(Array.from({ length: 10 }, (_, k) => [2 * k, 2 * k + 100]).flat());
    expect(ch.stats.rejected).toBe(10);
    expect(scheduler.pending).toBe(0);
  });

  it('one receiver: park while a recv waits, or twice, throws CHANNEL_BUSY', async () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const pending = ch.recv();
    const w = new CountingWaker();
    let err: unknown;
    try {
      ch.park(w);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CascadeError);
    expect((err as CascadeError).code).toBe(ErrorCode.CHANNEL_BUSY);
    ch.send(3);
    expect(await pending).toBe(3); // the recv is untouched
    await flushMicrotasks();
    expect(w.wakes).toBe(0);

    expect(ch.park(w)).toBe(true);
    expect(() => ch.park(new CountingWaker())).toThrow(
      expect.objectContaining({ code: ErrorCode.CHANNEL_BUSY }) as Error,
    );
    expect(() => ch.park(w)).toThrow(
      expect.objectContaining({ code: ErrorCode.CHANNEL_BUSY }) as Error,
    ); // the same waker twice, too
    expect(() => ch.recv()).toThrow(
      expect.objectContaining({ code: ErrorCode.CHANNEL_BUSY }) as Error,
    );
    expect(ch.hasWaiter).toBe(true); // the first park still holds
    expect(ch.unpark(w)).toBe(true);
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

describe('DirectChannel.mute / unmute [DCH-8]', () => {
  it('counts and keeps nothing sent while muted; unmute returns the count since mute', () => {
    const ch = new DirectChannel<number>({ owner: 'm', capacity: 4 });
    ch.send(1); // buffered before the mute: stays
    ch.mute();
    ch.mute(); // idempotent: the count still starts at the first mute
    expect(ch.muted).toBe(true);
    for (let i = 0; i < 10; i++) expect(ch.send(100 + i)).toBe(true); // past capacity: no drop
    expect(ch.size).toBe(1);
    expect(ch.stats.discarded).toBe(10);
    expect(ch.stats.dropped).toBe(0);
    balanced(ch);
    expect(ch.unmute()).toBe(10);
    expect(ch.muted).toBe(false);
    expect(ch.unmute()).toBe(0); // not muted
    ch.send(2);
    expect(ch.drain()).toEqual([1, 2]);
    ch.mute();
    ch.send(3);
    expect(ch.unmute()).toBe(1); // only this mute's discards
    expect(ch.stats.discarded).toBe(11);
    balanced(ch);
  });

  it('a parked receiver is not woken by muted sends, but by close and by sends after unmute', async () => {
    const ready = new ReadyQueue();
    const ch = new DirectChannel<number>({ owner: 'm', capacity: 4, ready });
    const w = new CountingWaker();
    ch.mute();
    expect(ch.park(w)).toBe(true); // nothing buffered: it parks even while muted
    ch.send(1);
    await flushMicrotasks();
    expect(w.wakes).toBe(0);
    expect(ch.hasWaiter).toBe(true);
    expect(ch.unmute()).toBe(1);
    ch.send(2);
    await flushMicrotasks();
    expect(w.wakes).toBe(1);
    expect(ch.tryRecv()).toBe(2);

    ch.mute();
    expect(ch.park(w)).toBe(true);
    ch.close();
    await flushMicrotasks();
    expect(w.wakes).toBe(2);
    expect(() => ch.send(3)).toThrow(ClosedError); // closed wins over muted
    balanced(ch);
  });

  it('a waiting recv gets nothing while muted and times out; the message is counted', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({ owner: 'm', capacity: 4, clock: s.clock });
    ch.mute();
    const got = ch.recv({ timeout: 10 });
    ch.send(1);
    await s.runUntil(20);
    expect(await got).toBe(TIMED_OUT);
    expect(ch.stats.discarded).toBe(1);
    balanced(ch);
  });
});
