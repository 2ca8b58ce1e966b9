/**
 * DirectChannel [DCH-1..6]: ring order and zero-copy, lazy storage, the three overflow
 * policies and balanced counters, recv with timeouts and deadlines on the scheduler's virtual
 * clock and on wall time, abort, close, the single-receiver rule, and the sampling probe with
 * failing connectors.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CancelledError, ClosedError, ErrorCode } from '../../src/errors.js';
import { Scheduler } from '../../src/runtime/scheduler.js';
import { SeededRng } from '../../src/runtime/rng.js';
import type { Connector } from '../../src/messaging/index.js';
import {
  DirectChannel,
  EMPTY,
  LocalBroker,
  LocalBus,
  TIMED_OUT,
} from '../../src/messaging/index.js';
import { thrownCode } from './connector.conformance.js';

function balanced<T>(ch: DirectChannel<T>): void {
  const s = ch.stats;
  expect(s.sent).toBe(s.delivered + s.dropped + s.rejected + s.discarded + ch.size); // [DCH-3]
}

describe('DirectChannel', () => {
  it('rejects bad options, naming them', () => {
    const code = (o: object): unknown =>
      thrownCode(() => new DirectChannel({ owner: 'x', capacity: 4, ...o }));
    for (const o of [{ capacity: 0 }, { capacity: 1.5 }, { owner: '' }, { overflow: 'drop' }]) {
      expect(code(o), JSON.stringify(o)).toBe(ErrorCode.INVALID_ARGUMENT);
    }
    const probe = { connector: new LocalBus(), rng: new SeededRng(1) };
    expect(code({ probe: { ...probe, sampleRate: 1.5 } })).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(code({ probe: { ...probe, sampleRate: NaN } })).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(code({ owner: 'a/+', probe: { ...probe, sampleRate: 0.1 } })).toBe(
      ErrorCode.INVALID_TOPIC,
    );
  });

  it('[DCH-2] delivers in send order, zero-copy, across ring wrap-around and growth', () => {
    const ch = new DirectChannel<{ n: number }>({ owner: 'a', capacity: 16 });
    const sent: { n: number }[] = [];
    const got: { n: number }[] = [];
    let n = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < (round % 10) + 1; i++) {
        const m = { n: n++ };
        sent.push(m);
        expect(ch.send(m)).toBe(true);
      }
      for (let i = 0; i < (round % 3) + 1; i++) {
        const m = ch.tryRecv();
        if (m !== EMPTY) got.push(m);
      }
      if (ch.size > 6) got.push(...ch.drain());
    }
    got.push(...ch.drain());
    expect(got.length).toBe(sent.length);
    got.forEach((m, i) => expect(m).toBe(sent[i])); // the same objects, in order
    expect(ch.tryRecv()).toBe(EMPTY);
    balanced(ch);
  });

  it('grows storage lazily by doubling up to capacity; idle channels allocate none', () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 100 });
    expect(ch.storageSize).toBe(0);
    const sizes: number[] = [];
    for (let i = 0; i < 100; i++) {
      ch.send(i);
      if (sizes.at(-1) !== ch.storageSize) sizes.push(ch.storageSize);
    }
    expect(sizes).toEqual([0, 4, 8, 16, 32, 64, 100]); // a lone message needs no storage
    expect(ch.drain()).toEqual(Array.from({ length: 100 }, (_, i) => i));

    const before = process.memoryUsage().heapUsed;
    const idle: DirectChannel<number>[] = [];
    for (let i = 0; i < 100_000; i++)
      idle.push(new DirectChannel({ owner: `c${i}`, capacity: 4096 }));
    const perChannel = (process.memoryUsage().heapUsed - before) / idle.length;
    expect(idle.every((c) => c.storageSize === 0)).toBe(true);
    expect(perChannel).toBeLessThan(1024); // a full buffer would be 32 KiB each
  });

  it('[DCH-1] drop-newest loses the new message and returns false', () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 3 });
    expect([1, 2, 3, 4, 5].map((n) => ch.send(n))).toEqual([true, true, true, false, false]);
    expect(ch.drain()).toEqual([1, 2, 3]);
    expect(ch.stats).toMatchObject({ sent: 5, delivered: 3, dropped: 2, rejected: 0 });
    balanced(ch);
  });

  it('[DCH-1] drop-oldest with capacity 1 replaces the lone message', () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 1, overflow: 'drop-oldest' });
    expect([1, 2, 3].map((n) => ch.send(n))).toEqual([true, true, true]);
    expect(ch.size).toBe(1);
    expect(ch.tryRecv()).toBe(3);
    expect(ch.tryRecv()).toBe(EMPTY);
    expect(ch.send(4)).toBe(true);
    expect(ch.drain()).toEqual([4]);
    expect(ch.stats).toMatchObject({ sent: 4, delivered: 2, dropped: 2 });
    balanced(ch);
  });

  it('keeps order when a lone message moves into the ring (interleaved send / tryRecv)', () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 16 });
    const got: number[] = [];
    let next = 0;
    // patterns of 1, 2 and 3 sends between receives cross the lone-message and ring paths
    for (const burst of [1, 2, 1, 3, 1, 1, 2, 3, 3, 1]) {
      for (let k = 0; k < burst; k++) ch.send(next++);
      const m = ch.tryRecv();
      if (m !== EMPTY) got.push(m);
    }
    got.push(...ch.drain());
    expect(got).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(ch.stats.dropped).toBe(0);
    balanced(ch);
  });

  it('[DCH-1] drop-oldest loses the oldest message and accepts the new one', () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 3, overflow: 'drop-oldest' });
    expect([1, 2, 3, 4, 5].map((n) => ch.send(n))).toEqual([true, true, true, true, true]);
    expect(ch.tryRecv()).toBe(3);
    ch.send(6);
    ch.send(7);
    expect(ch.drain()).toEqual([4, 5, 6, 7].slice(1)); // 4 was evicted by 7
    expect(ch.stats).toMatchObject({ sent: 7, delivered: 4, dropped: 3 });
    balanced(ch);
  });

  it('[DCH-1] reject refuses without losing anything, counted apart from drops', () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 2, overflow: 'reject' });
    expect([1, 2, 3].map((n) => ch.send(n))).toEqual([true, true, false]);
    expect(ch.tryRecv()).toBe(1);
    expect(ch.send(3)).toBe(true); // the sender retries
    expect(ch.drain()).toEqual([2, 3]);
    expect(ch.stats).toMatchObject({ sent: 4, delivered: 3, dropped: 0, rejected: 1 });
    balanced(ch);
  });

  it('recv resolves at once when a message is buffered, and hands over directly when waiting', async () => {
    const ch = new DirectChannel<string>({ owner: 'a', capacity: 4 });
    ch.send('buffered');
    await expect(ch.recv()).resolves.toBe('buffered');
    const p = ch.recv();
    expect(ch.hasWaiter).toBe(true);
    expect(ch.send('direct')).toBe(true);
    await expect(p).resolves.toBe('direct');
    expect(ch.storageSize).toBe(0); // only one message was ever buffered: no ring needed
    expect(ch.hasWaiter).toBe(false);
    balanced(ch);
  });

  it('allows one waiting receiver: a second concurrent recv throws CHANNEL_BUSY', async () => {
    const ch = new DirectChannel<number>({ owner: 'fly-1', capacity: 4 });
    const first = ch.recv();
    expect(thrownCode(() => ch.recv())).toBe(ErrorCode.CHANNEL_BUSY);
    ch.send(1);
    await expect(first).resolves.toBe(1);
    const again = ch.recv(); // free again once the first settled
    ch.send(2);
    await expect(again).resolves.toBe(2);
  });

  it('recv({ timeout }) and recv({ deadline }) use the given clock (virtual time)', async () => {
    const scheduler = new Scheduler({ clock: 'virtual', seed: 1 });
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4, clock: scheduler.clock });
    let result: unknown = 'pending';
    void ch.recv({ timeout: 100 }).then((r) => (result = r));
    await scheduler.runUntil(99);
    expect(result).toBe('pending');
    await scheduler.runUntil(100);
    expect(result).toBe(TIMED_OUT);
    expect(scheduler.clock.now()).toBe(100);

    let late: unknown = 'pending';
    void ch.recv({ deadline: 250, timeout: 1000 }).then((r) => (late = r)); // the earlier wins
    await scheduler.runUntil(249);
    expect(late).toBe('pending');
    await scheduler.runUntil(250);
    expect(late).toBe(TIMED_OUT);
    await expect(ch.recv({ deadline: 10 })).resolves.toBe(TIMED_OUT); // already past
    expect(ch.stats.delivered).toBe(0);
  });

  it('[DCH-4] a message before the deadline cancels the timer', async () => {
    const scheduler = new Scheduler({ clock: 'virtual', seed: 1 });
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4, clock: scheduler.clock });
    const p = ch.recv({ timeout: 1000 });
    await scheduler.runUntil(10);
    ch.send(7);
    await expect(p).resolves.toBe(7);
    await scheduler.runUntil(5000);
    expect(scheduler.stats.fired).toBe(0); // the cancelled timer never fired [CLK-3]
    // A later send is buffered, not handed to a stale waiter.
    ch.send(8);
    expect(ch.size).toBe(1);
  });

  it('times out on wall time with no clock (real timers)', async () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const t0 = performance.now();
    await expect(ch.recv({ timeout: 30 })).resolves.toBe(TIMED_OUT);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    const t1 = performance.now();
    setTimeout(() => ch.send(5), 10);
    await expect(ch.recv({ deadline: performance.now() + 2000 })).resolves.toBe(5);
    expect(performance.now() - t1).toBeLessThan(1000);
  });

  it('recv rejects with CancelledError when its signal aborts, and drops its listener', async () => {
    const ch = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const ac = new AbortController();
    const p = ch.recv({ signal: ac.signal });
    expect(getEventListeners(ac.signal, 'abort').length).toBe(1);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    await expect(ch.recv({ signal: ac.signal })).rejects.toBeInstanceOf(CancelledError); // already aborted
    ch.send(1); // the aborted recv did not consume it
    expect(ch.tryRecv()).toBe(1);

    const ac2 = new AbortController();
    const q = ch.recv({ signal: ac2.signal, timeout: 5000 });
    ch.send(2);
    await expect(q).resolves.toBe(2);
    expect(getEventListeners(ac2.signal, 'abort').length).toBe(0);
  });

  it('[DCH-5] close wakes the waiter with ClosedError; buffered messages stay receivable', async () => {
    const ch = new DirectChannel<number>({ owner: 'fly-9', capacity: 4 });
    const waiting = ch.recv({ timeout: 10_000 });
    ch.close();
    await expect(waiting).rejects.toBeInstanceOf(ClosedError);
    await expect(waiting).rejects.toThrow(/fly-9/);
    expect(() => ch.send(1)).toThrow(ClosedError);
    expect(ch.closed).toBe(true);
    ch.close(); // idempotent

    const ch2 = new DirectChannel<number>({ owner: 'b', capacity: 4 });
    ch2.send(1);
    ch2.send(2);
    ch2.close();
    await expect(ch2.recv()).resolves.toBe(1);
    expect(ch2.drain()).toEqual([2]);
    expect(ch2.tryRecv()).toBe(EMPTY);
    await expect(ch2.recv()).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('DirectChannel probe [DCH-6]', () => {
  it('publishes a seeded sample of sent messages to debug/sample/<owner>', async () => {
    const broker = new LocalBroker();
    const bus = new LocalBus({ broker });
    await bus.connect();
    const seen: Array<[string, unknown]> = [];
    bus.subscribe('debug/sample/#', (t, p) => void seen.push([t, p]));
    const run = (seed: number): { sampled: number; msgs: unknown[] } => {
      seen.length = 0;
      const ch = new DirectChannel<{ i: number }>({
        owner: 'fly-3',
        capacity: 8,
        overflow: 'drop-oldest',
        probe: { connector: bus, sampleRate: 0.25, rng: new SeededRng(seed) },
      });
      for (let i = 0; i < 10_000; i++) ch.send({ i });
      expect(seen.every(([t]) => t === 'debug/sample/fly-3')).toBe(true);
      return { sampled: ch.stats.sampled, msgs: seen.map(([, p]) => p) };
    };
    const a = run(7);
    expect(a.sampled).toBe(a.msgs.length);
    expect(a.sampled).toBeGreaterThan(2300);
    expect(a.sampled).toBeLessThan(2700);
    expect(run(7)).toEqual(a); // same seed, same sample
    expect(run(8).msgs).not.toEqual(a.msgs);
  });

  it('counts a throwing connector and never fails the send', () => {
    let calls = 0;
    const throwing: Connector = {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      subscribe: () => ({ unsubscribe: () => {} }),
      publish: () => {
        calls++;
        throw new Error('broker down');
      },
    };
    const ch = new DirectChannel<number>({
      owner: 'a',
      capacity: 4,
      probe: { connector: throwing, sampleRate: 1, rng: new SeededRng(1) },
    });
    expect(ch.send(1)).toBe(true);
    expect(ch.send(2)).toBe(true);
    expect(ch.drain()).toEqual([1, 2]);
    expect(calls).toBe(2);
    expect(ch.stats).toMatchObject({ sampled: 2, probeFailures: 2 });
  });

  it('counts a rejecting connector (asynchronously) and never fails the send', async () => {
    // A real connector whose publish rejects: a LocalBus would throw at the call, so this
    // one models a network connector whose transport fails after the call returned.
    const rejecting: Connector = {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      subscribe: () => ({ unsubscribe: () => {} }),
      publish: () => Promise.reject(new Error('socket closed')),
    };
    const ch = new DirectChannel<number>({
      owner: 'a',
      capacity: 4,
      probe: { connector: rejecting, sampleRate: 1, rng: new SeededRng(1) },
    });
    const p = ch.recv();
    expect(ch.send(1)).toBe(true);
    await expect(p).resolves.toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(ch.stats).toMatchObject({ sampled: 1, probeFailures: 1 });
  });

  it('samples nothing at rate 0 and everything at rate 1', async () => {
    const bus = new LocalBus({ broker: new LocalBroker() });
    await bus.connect();
    const mk = (rate: number): DirectChannel<number> =>
      new DirectChannel({
        owner: 'z',
        capacity: 2,
        probe: { connector: bus, sampleRate: rate, rng: new SeededRng(3) },
      });
    const zero = mk(0);
    const one = mk(1);
    for (let i = 0; i < 100; i++) {
      zero.send(i);
      one.send(i);
    }
    expect(zero.stats.sampled).toBe(0);
    expect(one.stats.sampled).toBe(100); // dropped messages are sampled too: they were sent
  });
});

describe('DirectChannel.recvUntil', () => {
  it('resolves a message sent before the deadline, or TIMED_OUT at the deadline, on the scheduler clock', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    const ch = new DirectChannel<number>({ owner: 'u', capacity: 4, clock: s.clock });
    const first = ch.recvUntil(100);
    s.clock.setTimer(40, () => ch.send(7));
    await s.runUntil(50);
    expect(await first).toBe(7);
    let at = -1;
    const second = ch.recvUntil(120).then((v) => {
      at = s.clock.now();
      return v;
    });
    await s.runUntil(500);
    expect(await second).toBe(TIMED_OUT);
    expect(at).toBe(120);
    expect(s.pending).toBe(0);
  });
});
