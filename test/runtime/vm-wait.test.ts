/**
 * waitFor / waitUntil through the real Engine in VM mode [VM-5, VM-6, WAIT-1..3, DCH-7]: an
 * agent parks on a DirectChannel or a virtual clock, with no promise, and the next iteration
 * runs with unchanged arguments when the wait ends. Covers wake order, deadlines, close,
 * cancellation, constraints, the graph path, async steps, the single-receiver rule and a
 * quick scale check.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { tailCall, task, waitFor, waitUntil } from '../../src/spec/index.js';
import { Engine, ResourceManager, Scheduler } from '../../src/runtime/index.js';
import { DirectChannel, EMPTY } from '../../src/messaging/index.js';
import { CancelledError, CascadeError, ErrorCode } from '../../src/errors.js';

type Inbox<T> = DirectChannel<T>;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Let the event loop turn until `cond` holds (fails the test if it never does). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await nextTurn();
  }
  throw new Error(`never: ${what}`);
}

/** The state of a promise, readable synchronously. */
function track<T>(p: Promise<T>): {
  status: 'pending' | 'resolved' | 'rejected';
  value?: T;
  error?: unknown;
} {
  const s: { status: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = {
    status: 'pending',
  };
  p.then(
    (value) => {
      s.status = 'resolved';
      s.value = value;
    },
    (error: unknown) => {
      s.status = 'rejected';
      s.error = error;
    },
  );
  return s;
}

function codeOf(e: unknown): unknown {
  return (e as { code?: unknown } | undefined)?.code;
}

/** Receive numbers until 0 arrives; resolves with their weighted sum (order matters). */
const summer = task(
  ({ inbox, got, log }: { inbox: Inbox<number>; got: number[]; log: string[] }): unknown => {
    const m = inbox.tryRecv();
    if (m === EMPTY) {
      log.push('park');
      return waitFor(inbox);
    }
    log.push(`recv ${m}`);
    if (m === 0) return got.reduce((acc, x, i) => acc + x * (i + 1), 0);
    return tailCall({ got: [...got, m] });
  },
);

describe('waitFor(channel) in VM mode [VM-6, DCH-7]', () => {
  it('parks until a send, receives in order, and resumes only after send returns [WAIT-3]', async () => {
    const inbox = new DirectChannel<number>({ owner: 'summer', capacity: 16 });
    const log: string[] = [];
    const run = track(new Engine().run(summer({ inbox, got: [], log }), { vm: true }));
    await until(() => inbox.hasWaiter, 'parked');
    expect(log).toEqual(['park']);

    inbox.send(3);
    log.push('after send 3'); // the wake is deferred: this runs before the agent's next step
    inbox.send(1);
    log.push('after send 1');
    await until(() => inbox.hasWaiter, 'parked again');
    expect(log).toEqual(['park', 'after send 3', 'after send 1', 'recv 3', 'recv 1', 'park']);

    inbox.send(5);
    log.push('after send 5');
    inbox.send(0);
    log.push('after send 0');
    await until(() => run.status !== 'pending', 'run settled');
    expect(run).toMatchObject({ status: 'resolved', value: 3 * 1 + 1 * 2 + 5 * 3 });
    expect(log.slice(6)).toEqual(['after send 5', 'after send 0', 'recv 5', 'recv 0']);
    expect(inbox.hasWaiter).toBe(false);
  });

  it('is never woken inside another agent step: a sender agent finishes its step first [WAIT-3]', async () => {
    const inbox = new DirectChannel<number>({ owner: 'summer', capacity: 16 });
    const log: string[] = [];
    const engine = new Engine();
    const receiver = engine.run(summer({ inbox, got: [], log }), { vm: true });
    await until(() => inbox.hasWaiter, 'parked');
    const sender = task(({ to, n }: { to: Inbox<number>; n: number }): unknown => {
      to.send(n);
      log.push(`sent ${n}`);
      return n === 0 ? 'sent all' : tailCall({ n: n - 1 });
    });
    expect(await engine.run(sender({ to: inbox, n: 2 }), { vm: true })).toBe('sent all');
    expect(await receiver).toBe(2 * 1 + 1 * 2);
    // the three sends happen in one synchronous run of the sender; the receiver's steps follow
    expect(log).toEqual(['park', 'sent 2', 'sent 1', 'sent 0', 'recv 2', 'recv 1', 'recv 0']);
  });

  it('a message already buffered does not park (the next step runs at once) [WAIT-1]', async () => {
    const inbox = new DirectChannel<number>({ owner: 'summer', capacity: 16 });
    for (const n of [4, 2, 0]) inbox.send(n);
    const log: string[] = [];
    expect(await new Engine().run(summer({ inbox, got: [], log }), { vm: true })).toBe(4 + 2 * 2);
    expect(log).toEqual(['recv 4', 'recv 2', 'recv 0']);
  });

  it('close() wakes a parked agent', async () => {
    const inbox = new DirectChannel<string>({ owner: 'c', capacity: 4 });
    let steps = 0;
    const agent = task(({ box }: { box: Inbox<string> }): unknown => {
      steps++;
      const m = box.tryRecv();
      if (m !== EMPTY) return tailCall({});
      return box.closed ? `closed after ${steps} steps` : waitFor(box);
    });
    const run = track(new Engine().run(agent({ box: inbox }), { vm: true }));
    await until(() => inbox.hasWaiter, 'parked');
    inbox.send('x');
    await until(() => steps === 3 && inbox.hasWaiter, 'parked again');
    inbox.close();
    expect(run.status).toBe('pending'); // not inside close either
    await until(() => run.status !== 'pending', 'run settled');
    expect(run).toMatchObject({ status: 'resolved', value: 'closed after 4 steps' });
  });
});

describe('deadlines on the virtual clock [WAIT-1, WAIT-2]', () => {
  /** Collect messages until 'stop'; records every timeout it sees. */
  function timedAgent(clock: { now(): number }, counter: { steps: number }) {
    return task(
      ({
        inbox,
        deadline,
        got,
      }: {
        inbox: Inbox<string>;
        deadline: number;
        got: string[];
      }): unknown => {
        counter.steps++;
        const m = inbox.tryRecv();
        if (m === 'stop') return got;
        if (m !== EMPTY) return tailCall({ got: [...got, m], deadline: Infinity });
        if (clock.now() >= deadline) {
          return tailCall({ got: [...got, `timeout at ${clock.now()}`], deadline: Infinity });
        }
        return waitFor(inbox, deadline);
      },
    );
  }

  /** A timed agent on a virtual clock, parked on its inbox with `deadline`. */
  async function startTimed(deadline: number) {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const clock = scheduler.clock;
    const inbox = new DirectChannel<string>({ owner: 't', capacity: 4, clock });
    const counter = { steps: 0 };
    const agent = timedAgent(clock, counter);
    const run = track(new Engine().run(agent({ inbox, deadline, got: [] }), { vm: true }));
    await until(() => inbox.hasWaiter, 'parked');
    return { scheduler, inbox, counter, run };
  }

  it('waitFor(inbox, deadline) times out exactly at the deadline with an empty inbox', async () => {
    const { scheduler, inbox, counter, run } = await startTimed(100);
    expect(counter.steps).toBe(1);
    expect(scheduler.pending).toBe(1);

    await scheduler.runUntil(99);
    expect(counter.steps).toBe(1);
    await scheduler.runUntil(100);
    // woken at 100: sees the timeout (step 2), then parks with no deadline (step 3)
    expect(counter.steps).toBe(3);
    expect(inbox.hasWaiter).toBe(true);
    expect(scheduler.pending).toBe(0);

    await scheduler.runUntil(10_000);
    expect(counter.steps).toBe(3);
    inbox.send('stop');
    await until(() => run.status !== 'pending', 'run settled');
    expect(run).toMatchObject({ status: 'resolved', value: ['timeout at 100'] });
    expect(counter.steps).toBe(4);
  });

  it('a message before the deadline wakes early, and the deadline does not wake it again', async () => {
    const { scheduler, inbox, counter, run } = await startTimed(100);

    await scheduler.runUntil(30);
    inbox.send('early');
    await until(() => counter.steps === 3 && inbox.hasWaiter, 'parked again');
    expect(scheduler.pending).toBe(0); // the woken agent cancelled its deadline timer

    await scheduler.runUntil(1000); // past the old deadline
    expect(counter.steps).toBe(3); // no second wake
    expect(scheduler.stats.fired).toBe(0);

    inbox.send('stop');
    await until(() => run.status !== 'pending', 'run settled');
    expect(run).toMatchObject({ status: 'resolved', value: ['early'] });
    expect(counter.steps).toBe(4);
  });

  it('waitUntil(clock, t) wakes exactly at t; a past deadline does not park', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const clock = scheduler.clock;
    const deadlines = [10, 25, 25, 5, 40];
    const seenAt: number[] = [];
    let step = 0;
    const ticker = task((): unknown => {
      seenAt.push(clock.now());
      const i = step++;
      return i === deadlines.length ? seenAt : waitUntil(clock, deadlines[i]);
    });
    const run = track(new Engine().run(ticker(), { vm: true }));
    await until(() => seenAt.length === 1, 'first step');
    expect(scheduler.pending).toBe(1);

    await scheduler.runUntil(9);
    expect(seenAt).toEqual([0]);
    await scheduler.runUntil(10);
    expect(seenAt).toEqual([0, 10]);
    await scheduler.runUntil(25);
    // woken at 25; the waits for 25 (now) and 5 (past) end at once, at the same clock time
    expect(seenAt).toEqual([0, 10, 25, 25, 25]);
    expect(scheduler.pending).toBe(1); // only the wait for 40
    await scheduler.runUntil(39);
    expect(seenAt).toHaveLength(5);
    await scheduler.runUntil(40);
    await until(() => run.status !== 'pending', 'run settled');
    expect(run).toMatchObject({ status: 'resolved', value: [0, 10, 25, 25, 25, 40] });
    expect(scheduler.pending).toBe(0);
    expect(scheduler.stats.fired).toBe(3);
  });
});

describe('a fiber that waits on different clocks [WAIT-1]', () => {
  it('moves its timer between a virtual clock and a wall clock, leaving none armed behind', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const virtual = scheduler.clock;
    const wallInbox = new DirectChannel<string>({ owner: 'wall', capacity: 4 }); // setTimeout
    const wall = wallInbox.clock;
    const seen: string[] = [];
    let step = 0;
    const hopper = task((): unknown => {
      switch (step++) {
        case 0:
          return waitUntil(virtual, 10);
        case 1:
          seen.push(`virtual ${virtual.now()}`);
          return waitFor(wallInbox, wall.now() + 5); // times out in 5 wall ms
        case 2:
          seen.push(wallInbox.tryRecv() === EMPTY ? 'wall timeout' : 'wall message');
          return waitFor(wallInbox, virtual.now() + 1e9); // a deadline on the wall clock again
        case 3:
          seen.push(`wall ${String(wallInbox.tryRecv())}`);
          return waitUntil(virtual, 20); // and back to the virtual clock
        default:
          seen.push(`virtual ${virtual.now()}`);
          return seen;
      }
    });
    // two runs of one engine: the lean path shares one options object between them
    const engine = new Engine();
    const other = track(engine.run(task(() => 'other')(), { vm: true }));
    const run = track(engine.run(hopper(), { vm: true }));
    await until(() => scheduler.pending === 1, 'parked on the virtual clock');
    await scheduler.runUntil(10);
    expect(scheduler.pending).toBe(0); // its timer is now a wall-clock timer
    for (let ms = 0; seen.length < 2 && ms < 2000; ms += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5)); // wall time for the wall timer
    }
    expect(seen).toEqual(['virtual 10', 'wall timeout']);
    expect(wallInbox.hasWaiter).toBe(true);
    wallInbox.send('hi'); // wakes it before its long wall deadline; that timer is cancelled
    await until(() => scheduler.pending === 1, 'parked on the virtual clock again');
    await scheduler.runUntil(20);
    await until(() => run.status !== 'pending', 'run settled');
    expect(run).toMatchObject({
      status: 'resolved',
      value: ['virtual 10', 'wall timeout', 'wall hi', 'virtual 20'],
    });
    expect(other).toMatchObject({ status: 'resolved', value: 'other' });
    expect(scheduler.pending).toBe(0);
  });
});

describe('cancellation of a parked agent [VM-5, WAIT-3]', () => {
  /** An agent parked on a channel, with the signal that cancels its run. */
  async function parkedAgent(owner: string) {
    const inbox = new DirectChannel<number>({ owner, capacity: 4 });
    const counter = { steps: 0 };
    const agent = task(({ box }: { box: Inbox<number> }): unknown => {
      counter.steps++;
      return box.tryRecv() === EMPTY ? waitFor(box) : tailCall({});
    });
    const ac = new AbortController();
    const run = track(new Engine().run(agent({ box: inbox }), { vm: true, signal: ac.signal }));
    await until(() => inbox.hasWaiter, 'parked');
    return { inbox, counter, ac, run };
  }

  it('parked on a channel: rejects at once, unparks, and a later send does not run it', async () => {
    const { inbox, counter, ac, run } = await parkedAgent('cancel');
    expect(counter.steps).toBe(1);

    const reason = new Error('stop now');
    ac.abort(reason);
    for (let i = 0; i < 20 && run.status === 'pending'; i++) await Promise.resolve();
    expect(run.status).toBe('rejected'); // within a few microtasks, no timer involved
    expect(run.error).toBeInstanceOf(CancelledError);
    expect((run.error as CancelledError).cause).toBe(reason);
    expect(inbox.hasWaiter).toBe(false);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);

    expect(inbox.send(1)).toBe(true);
    await nextTurn();
    await nextTurn();
    expect(counter.steps).toBe(1);
    expect(inbox.size).toBe(1); // nobody took it
  });

  it('abort racing a send: the deferred wake does not run the cancelled agent', async () => {
    const { inbox, counter, ac, run } = await parkedAgent('race');
    inbox.send(1); // wake queued as a microtask
    ac.abort(); // before it runs
    await until(() => run.status !== 'pending', 'run settled');
    expect(run.error).toBeInstanceOf(CancelledError);
    expect(counter.steps).toBe(1);
    expect(inbox.size).toBe(1);
  });

  it('parked on waitUntil: rejects at once and its timer is gone', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const clock = scheduler.clock;
    let steps = 0;
    const sleeper = task((): unknown => {
      steps++;
      return waitUntil(clock, clock.now() + 50);
    });
    const ac = new AbortController();
    const pendingBefore = scheduler.pending;
    const run = track(new Engine().run(sleeper(), { vm: true, signal: ac.signal }));
    await until(() => steps === 1, 'first step');
    await scheduler.runUntil(120); // woken at 50 and 100, parked until 150
    expect(steps).toBe(3);
    expect(scheduler.pending).toBe(pendingBefore + 1);

    ac.abort();
    for (let i = 0; i < 20 && run.status === 'pending'; i++) await Promise.resolve();
    expect(run.status).toBe('rejected');
    expect(run.error).toBeInstanceOf(CancelledError);
    expect(scheduler.pending).toBe(pendingBefore);
    await scheduler.runUntil(1000);
    expect(steps).toBe(3);
    expect(scheduler.stats.fired).toBe(2);
  });

  it('a signal aborted before the wait ends on a timed channel wait removes the channel timer', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const inbox = new DirectChannel<number>({ owner: 'tc', capacity: 4, clock: scheduler.clock });
    let steps = 0;
    const agent = task(({ box }: { box: Inbox<number> }): unknown => {
      steps++;
      return waitFor(box, 500);
    });
    const ac = new AbortController();
    const run = track(new Engine().run(agent({ box: inbox }), { vm: true, signal: ac.signal }));
    await until(() => inbox.hasWaiter, 'parked');
    expect(scheduler.pending).toBe(1);
    ac.abort();
    await until(() => run.status !== 'pending', 'run settled');
    expect(run.error).toBeInstanceOf(CancelledError);
    expect(inbox.hasWaiter).toBe(false);
    expect(scheduler.pending).toBe(0);
    await scheduler.runUntil(1000);
    expect(steps).toBe(1);
  });
});

describe('constraints and parked agents [VM-4]', () => {
  it('a parked agent holds no slot: two agents on one cpu_slot both progress', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const clock = scheduler.clock;
    const rm = new ResourceManager({ cpu_slot: 1 });
    const engine = new Engine({ resourceManager: rm });
    const slotsSeen: number[] = [];

    const listener = task(({ box, got }: { box: Inbox<number>; got: number[] }): unknown => {
      slotsSeen.push(rm.inUse.cpu_slot ?? 0);
      const m = box.tryRecv();
      if (m === EMPTY) return waitFor(box);
      return m < 0 ? got : tailCall({ got: [...got, m] });
    });
    const ticker = task(({ n, ticks }: { n: number; ticks: number[] }): unknown => {
      slotsSeen.push(rm.inUse.cpu_slot ?? 0);
      if (clock.now() < n * 10) return waitUntil(clock, n * 10);
      const seen = [...ticks, clock.now()];
      return n === 3 ? seen : tailCall({ n: n + 1, ticks: seen });
    });

    const a = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const b = new DirectChannel<number>({ owner: 'b', capacity: 4 });
    const runA = track(
      engine.run(listener({ box: a, got: [] }).withConstraints({ cpu_slot: 1 }), { vm: true }),
    );
    const runB = track(
      engine.run(listener({ box: b, got: [] }).withConstraints({ cpu_slot: 1 }), { vm: true }),
    );
    const runT = track(
      engine.run(ticker({ n: 1, ticks: [] }).withConstraints({ cpu_slot: 1 }), { vm: true }),
    );
    await until(() => a.hasWaiter && b.hasWaiter && scheduler.pending === 1, 'all parked');
    expect(rm.inUse.cpu_slot).toBe(0);

    b.send(2);
    a.send(1);
    await until(() => a.hasWaiter && b.hasWaiter, 'parked again');
    expect(rm.inUse.cpu_slot).toBe(0);
    await scheduler.runUntil(20);
    expect(rm.inUse.cpu_slot).toBe(0);
    a.send(3);
    b.send(-1);
    await scheduler.runUntil(30);
    a.send(-1);
    await until(() => [runA, runB, runT].every((r) => r.status !== 'pending'), 'all settled');
    expect(runA).toMatchObject({ status: 'resolved', value: [1, 3] });
    expect(runB).toMatchObject({ status: 'resolved', value: [2] });
    expect(runT).toMatchObject({ status: 'resolved', value: [10, 20, 30] });
    expect(rm.inUse.cpu_slot).toBe(0);
    expect(slotsSeen.every((n) => n === 1)).toBe(true); // each step ran holding the slot
  });

  it('cancelling a parked constrained agent leaves the slot free', async () => {
    const rm = new ResourceManager({ cpu_slot: 1 });
    const engine = new Engine({ resourceManager: rm });
    const inbox = new DirectChannel<number>({ owner: 'x', capacity: 4 });
    const agent = task(({ box }: { box: Inbox<number> }): unknown =>
      box.tryRecv() === EMPTY ? waitFor(box) : 'got one',
    );
    const ac = new AbortController();
    const run = engine.run(agent({ box: inbox }).withConstraints({ cpu_slot: 1 }), {
      vm: true,
      signal: ac.signal,
    });
    await until(() => inbox.hasWaiter, 'parked');
    ac.abort();
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(rm.inUse.cpu_slot).toBe(0);
    expect(rm.tryAcquire({ cpu_slot: 1 })).toBe(true);
    rm.release({ cpu_slot: 1 });
  });
});

describe('other paths into the VM loop', () => {
  it('graph path (an upstream LazyResult argument): the first step parks and resumes', async () => {
    const rm = new ResourceManager({ cpu_slot: 1 });
    const engine = new Engine({ resourceManager: rm });
    const inbox = new DirectChannel<number>({ owner: 'g', capacity: 4 });
    const base = task((n: number) => n * 10);
    let steps = 0;
    const agent = task(({ box, start }: { box: Inbox<number>; start: number }): unknown => {
      steps++;
      const m = box.tryRecv();
      if (m === EMPTY) return waitFor(box);
      return m === 0 ? start : tailCall({ start: start + m });
    });
    const run = track(
      engine.run(agent({ box: inbox, start: base(5) }).withConstraints({ cpu_slot: 1 }), {
        vm: true,
      }),
    );
    await until(() => inbox.hasWaiter, 'parked');
    expect(steps).toBe(1); // the executor ran step 1; it returned the Wait
    expect(rm.inUse.cpu_slot).toBe(0);
    inbox.send(7);
    await until(() => steps === 3 && inbox.hasWaiter, 'parked again');
    expect(rm.inUse.cpu_slot).toBe(0);
    inbox.send(0);
    await until(() => run.status !== 'pending', 'run settled');
    expect(run).toMatchObject({ status: 'resolved', value: 57 });
    expect(steps).toBe(4);
  });

  it('graph path: cancelling the parked agent rejects and unparks it', async () => {
    const inbox = new DirectChannel<number>({ owner: 'g', capacity: 4 });
    const base = task(() => 1);
    let steps = 0;
    const agent = task(({ box }: { box: Inbox<number>; one: number }): unknown => {
      steps++;
      return box.tryRecv() === EMPTY ? waitFor(box) : 'got one';
    });
    const ac = new AbortController();
    const run = new Engine().run(agent({ box: inbox, one: base() }), {
      vm: true,
      signal: ac.signal,
    });
    await until(() => inbox.hasWaiter, 'parked');
    ac.abort();
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(inbox.hasWaiter).toBe(false);
    inbox.send(1);
    await nextTurn();
    expect(steps).toBe(1);
  });

  it('an async step (a Promise of a Wait) parks and resumes', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const clock = scheduler.clock;
    const rm = new ResourceManager({ cpu_slot: 1 });
    const inbox = new DirectChannel<string>({ owner: 'async', capacity: 4 });
    const log: string[] = [];
    const agent = task(
      async ({ box, phase }: { box: Inbox<string>; phase: 'recv' | 'sleep' }): Promise<unknown> => {
        await Promise.resolve();
        log.push(`${phase} at ${clock.now()}`);
        if (phase === 'sleep') {
          return clock.now() < 40 ? waitUntil(clock, 40) : 'done';
        }
        const m = box.tryRecv();
        if (m === EMPTY) return waitFor(box);
        log.push(`got ${m}`);
        return tailCall({ phase: 'sleep' });
      },
    );
    const run = track(
      new Engine({ resourceManager: rm }).run(
        agent({ box: inbox, phase: 'recv' }).withConstraints({ cpu_slot: 1 }),
        { vm: true },
      ),
    );
    await until(() => inbox.hasWaiter, 'parked on the channel');
    expect(rm.inUse.cpu_slot).toBe(0);
    inbox.send('hello');
    await until(() => scheduler.pending === 1, 'parked on the clock');
    expect(rm.inUse.cpu_slot).toBe(0);
    await scheduler.runUntil(40);
    await until(() => run.status !== 'pending', 'run settled');
    expect(run).toMatchObject({ status: 'resolved', value: 'done' });
    expect(log).toEqual(['recv at 0', 'recv at 0', 'got hello', 'sleep at 0', 'sleep at 40']);
    expect(rm.inUse.cpu_slot).toBe(0);
  });

  it('10,000 agents parked on channels each resolve on one message', async () => {
    const N = 10_000;
    const agent = task(({ box, id }: { box: Inbox<number>; id: number }): unknown => {
      const m = box.tryRecv();
      return m === EMPTY ? waitFor(box) : id * 2 + m;
    });
    const engine = new Engine();
    const t0 = performance.now();
    const boxes = Array.from(
      { length: N },
      (_, i) => new DirectChannel<number>({ owner: `a${i}`, capacity: 1 }),
    );
    const runs = boxes.map((box, id) => engine.run(agent({ box, id }), { vm: true }));
    await until(() => boxes.every((b) => b.hasWaiter), 'all parked');
    boxes.forEach((box, i) => box.send(i % 7));
    const values = await Promise.all(runs);
    const ms = performance.now() - t0;
    expect(values).toEqual(Array.from({ length: N }, (_, i) => i * 2 + (i % 7)));
    expect(boxes.some((b) => b.hasWaiter || b.size > 0)).toBe(false);
    expect(ms).toBeLessThan(2000);
  });
});

describe('one receiver per channel [DCH-7]', () => {
  it('recv() while an agent is parked throws CHANNEL_BUSY; the agent stays parked', async () => {
    const inbox = new DirectChannel<number>({ owner: 'one', capacity: 4 });
    const agent = task(({ box }: { box: Inbox<number> }): unknown => {
      const m = box.tryRecv();
      return m === EMPTY ? waitFor(box) : m;
    });
    const run = new Engine().run(agent({ box: inbox }), { vm: true });
    await until(() => inbox.hasWaiter, 'parked');
    let err: unknown;
    try {
      void inbox.recv();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CascadeError);
    expect(codeOf(err)).toBe(ErrorCode.CHANNEL_BUSY);
    expect(inbox.hasWaiter).toBe(true);
    inbox.send(42);
    expect(await run).toBe(42);
  });

  it('an agent parking while a recv waits fails with CHANNEL_BUSY and leaves nothing behind', async () => {
    const inbox = new DirectChannel<number>({ owner: 'one', capacity: 4 });
    const pendingRecv = inbox.recv();
    const agent = task(({ box }: { box: Inbox<number> }): unknown => waitFor(box));
    const ac = new AbortController();
    const err = await new Engine()
      .run(agent({ box: inbox }), { vm: true, signal: ac.signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CascadeError);
    const code = codeOf(err) === ErrorCode.TASK_FAILED ? codeOf((err as Error).cause) : codeOf(err);
    expect(code).toBe(ErrorCode.CHANNEL_BUSY);
    inbox.send(9);
    expect(await pendingRecv).toBe(9); // the recv is untouched
    // the failed fiber leaves no abort listener on the caller's signal [VM: #end]
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('a park that throws after a wake fails the run (it does not escape into the scheduler)', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const clock = scheduler.clock;
    const inbox = new DirectChannel<number>({ owner: 'one', capacity: 4 });
    const pendingRecv = inbox.recv();
    let steps = 0;
    const agent = task(({ box }: { box: Inbox<number> }): unknown => {
      steps++;
      return steps === 1 ? waitUntil(clock, 10) : waitFor(box); // step 2 parks on a busy channel
    });
    const run = track(new Engine().run(agent({ box: inbox }), { vm: true }));
    await until(() => steps === 1, 'first step');
    await scheduler.runUntil(10);
    for (let i = 0; i < 10; i++) await nextTurn();
    expect(steps).toBe(2);
    expect(run.status).toBe('rejected');
    expect(scheduler.stats.timerErrors).toBe(0); // the error belongs to the run, not the clock
    const err = run.error;
    const code = codeOf(err) === ErrorCode.TASK_FAILED ? codeOf((err as Error).cause) : codeOf(err);
    expect(code).toBe(ErrorCode.CHANNEL_BUSY);
    inbox.send(1);
    expect(await pendingRecv).toBe(1);
  });
});

describe('cancelled or impossible while a step runs [VM-5, VM-4]', () => {
  it('an async step that returns a Wait after its run was aborted does not park', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const inbox = new DirectChannel<number>({ owner: 'late', capacity: 2, clock: scheduler.clock });
    const ac = new AbortController();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const agent = task(async (): Promise<unknown> => {
      await gate; // aborted while this step is in flight
      return waitFor(inbox, 1e9);
    });
    const run = track(new Engine().run(agent(), { vm: true, signal: ac.signal }));
    ac.abort(new Error('stop'));
    release();
    await until(() => run.status !== 'pending', 'run settled');
    expect(run.error).toBeInstanceOf(CancelledError);
    expect(inbox.hasWaiter).toBe(false);
    expect(scheduler.pending).toBe(0);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('a step that aborts its own run and returns waitUntil ends the run at once', async () => {
    const scheduler = new Scheduler({ clock: 'virtual' });
    const ac = new AbortController();
    const agent = task((): unknown => {
      ac.abort();
      return waitUntil(scheduler.clock, 1e9);
    });
    const run = track(new Engine().run(agent(), { vm: true, signal: ac.signal }));
    await until(() => run.status !== 'pending', 'run settled');
    expect(run.error).toBeInstanceOf(CancelledError);
    expect(scheduler.pending).toBe(0);
  });

  it('a constraint made infeasible while the agent is parked fails the run when it wakes', async () => {
    const rm = new ResourceManager({ cpu_slot: 1 });
    const inbox = new DirectChannel<number>({ owner: 'infeasible', capacity: 2 });
    const agent = task(({ box }: { box: Inbox<number> }): unknown =>
      box.tryRecv() === EMPTY ? waitFor(box) : tailCall({}),
    );
    const run = track(
      new Engine({ resourceManager: rm }).run(
        agent({ box: inbox }).withConstraints({ cpu_slot: 1 }),
        { vm: true },
      ),
    );
    await until(() => inbox.hasWaiter, 'parked');
    rm.updateResource('cpu_slot', 0);
    inbox.send(1);
    await until(() => run.status !== 'pending', 'run settled');
    expect(codeOf(run.error)).toBe(ErrorCode.INFEASIBLE_CONSTRAINT); // [ENG-1]: as is
    expect(rm.inUse.cpu_slot ?? 0).toBe(0);
  });
});
