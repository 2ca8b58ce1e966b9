import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Scheduler } from '../../src/runtime/scheduler.js';
import { ReadyQueue } from '../../src/runtime/ready-queue.js';
import { SeededRng } from '../../src/runtime/rng.js';
import { CancelledError, InvalidArgumentError } from '../../src/errors.js';

function firstTickAtOrAfter(deadline: number, tickMs: number): number {
  let k = 0;
  while (k * tickMs < deadline) k++;
  return k;
}

describe('VirtualClock scheduler', () => {
  it('fires timers in deadline order and jumps time to each deadline [SCH-2]', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    const seen: Array<[string, number]> = [];
    s.clock.setTimer(30, () => seen.push(['c', s.clock.now()]));
    s.clock.setTimer(10, () => seen.push(['a', s.clock.now()]));
    s.clock.setTimer(20, () => seen.push(['b', s.clock.now()]));
    const started = performance.now();
    await s.runUntil(1_000_000);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(seen).toEqual([
      ['a', 10],
      ['b', 20],
      ['c', 30],
    ]);
    expect(s.clock.now()).toBe(1_000_000);
  });

  it('never fires before the deadline; same-tick timers fire in the order set [CLK-2]', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { maxLength: 60 }),
        async (deadlines) => {
          const s = new Scheduler({ clock: 'virtual', tickMs: 5 });
          const fired: Array<{ i: number; at: number }> = [];
          deadlines.forEach((d, i) =>
            s.clock.setTimer(d, () => fired.push({ i, at: s.clock.now() })),
          );
          await s.runUntil(1000);
          expect(fired).toHaveLength(deadlines.length);
          for (const f of fired) expect(f.at).toBeGreaterThanOrEqual(deadlines[f.i]);
          // order: by quantised tick, then by insertion
          const expected = deadlines
            .map((d, i) => ({ i, tick: firstTickAtOrAfter(d, 5) }))
            .sort((x, y) => x.tick - y.tick || x.i - y.i)
            .map((x) => x.i);
          expect(fired.map((f) => f.i)).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a cancelled timer never fires [CLK-3]', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    let fired = 0;
    const h = s.clock.setTimer(5, () => fired++);
    h.cancel();
    h.cancel();
    await s.runUntil(10);
    expect(fired).toBe(0);
    expect(s.stats.fired).toBe(0);
  });

  it('lets the work a wake-up causes finish before time moves on', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    const log: string[] = [];
    const agent = async (name: string, every: number): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await s.clock.sleep(every);
        await Promise.resolve();
        log.push(`${name}@${s.clock.now()}`);
      }
    };
    const a = agent('a', 10);
    const b = agent('b', 15);
    await s.runUntil(100);
    await Promise.all([a, b]);
    expect(log).toEqual(['a@10', 'b@15', 'a@20', 'b@30', 'a@30', 'b@45']);
  });

  it('sleep rejects with CancelledError when its signal aborts', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    const ac = new AbortController();
    const p = s.clock.sleep(50, ac.signal);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    await expect(s.clock.sleep(1, ac.signal)).rejects.toBeInstanceOf(CancelledError);
    await s.runUntil(100);
    expect(s.stats.fired).toBe(0);
  });

  it('keeps going when a timer callback throws, and counts it', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    let after = false;
    s.clock.setTimer(1, () => {
      throw new Error('boom');
    });
    s.clock.setTimer(2, () => (after = true));
    await s.runUntil(5);
    expect(after).toBe(true);
    expect(s.stats.timerErrors).toBe(1);
  });

  it('waits for the wake-ups of every ready queue it is given before time moves on [SCH-2]', async () => {
    // one wake-up per turn of the event loop: the queue takes several turns to drain
    const ready = new ReadyQueue({ perTurn: 1 });
    const s = new Scheduler({ clock: 'virtual', readyQueues: [ready] });
    const seen: string[] = [];
    s.clock.setTimer(10, () => {
      for (const name of ['a', 'b', 'c', 'd']) {
        ready.push({ wake: () => seen.push(`${name}@${s.clock.now()}`) });
      }
    });
    s.clock.setTimer(11, () => seen.push(`timer@${s.clock.now()}`));
    await s.runUntil(20);
    expect(seen).toEqual(['a@10', 'b@10', 'c@10', 'd@10', 'timer@11']);
  });

  it('rejects bad options with a typed error naming the option', () => {
    expect(() => new Scheduler({ readyQueues: [{}] as unknown as ReadyQueue[] })).toThrow(
      /readyQueues/,
    );
    expect(() => new Scheduler({ tickMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new Scheduler({ clock: 'real', speed: -1 })).toThrow(/speed/);
    expect(() => new Scheduler({ clock: 'virtual', speed: 5 })).toThrow(/speed/);
    expect(() => new Scheduler({ clock: 'wall' as 'real' })).toThrow(/clock/);
  });
});

describe('RealClock scheduler', () => {
  it('fires timers at wall time with one armed setTimeout [SCH-1]', async () => {
    const s = new Scheduler({ clock: 'real' });
    s.start();
    const t0 = s.clock.now();
    const order: number[] = [];
    const p = Promise.all([40, 10, 25].map((ms) => s.clock.sleep(ms).then(() => order.push(ms))));
    await p;
    expect(order).toEqual([10, 25, 40]);
    expect(s.clock.now() - t0).toBeGreaterThanOrEqual(40);
    await s.stop();
  });

  it('runs simulated time faster with speed', async () => {
    const s = new Scheduler({ clock: 'real', speed: 20 });
    const wall0 = performance.now();
    await s.runUntil(1000);
    const wall = performance.now() - wall0;
    await s.stop();
    expect(s.clock.now()).toBeGreaterThanOrEqual(1000);
    expect(wall).toBeLessThan(500);
    expect(wall).toBeGreaterThanOrEqual(40);
  });

  it('wakes 20,000 sleepers due in the same tick as one batch, in slices that yield', async () => {
    const s = new Scheduler({ clock: 'real', sliceSize: 1024 });
    s.start();
    const deadline = s.clock.now() + 30;
    let woken = 0;
    const sleepers = Array.from({ length: 20_000 }, () =>
      s.clock.sleepUntil(deadline).then(() => woken++),
    );
    await Promise.all(sleepers);
    await s.stop();
    expect(woken).toBe(20_000);
    expect(s.stats.slices).toBeGreaterThan(1);
  });
});

describe('SeededRng', () => {
  it('repeats for a seed and differs between seeds [SCH-4]', () => {
    const a = new SeededRng(7);
    const b = new SeededRng(7);
    const c = new SeededRng(8);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.35);
    expect(mean).toBeLessThan(0.65);
  });
});

describe('Scheduler.fireAllNow', () => {
  it('wakes every pending sleeper at once without moving the clock', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    let woken = 0;
    const sleepers = [100, 5, 1e9].map((ms) => s.clock.sleep(ms).then(() => woken++));
    s.clock.setTimer(50, () => woken++).cancel();
    expect(s.fireAllNow()).toBe(3);
    await Promise.all(sleepers);
    expect(woken).toBe(3);
    expect(s.clock.now()).toBe(0);
    expect(s.pending).toBe(0);
  });
});

describe('RealClock before start [CLK-4]', () => {
  it('reads 0 until the scheduler starts, so set-up time is not run time', async () => {
    const s = new Scheduler({ clock: 'real' });
    const busyUntil = performance.now() + 30;
    while (performance.now() < busyUntil); // a slow set-up
    expect(s.clock.now()).toBe(0);
    const woke = s.clock.sleepUntil(20);
    s.start();
    const t0 = performance.now();
    await woke;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    expect(s.clock.now()).toBeGreaterThanOrEqual(20);
    await s.stop();
  });
});

describe('Scheduler.fireAllNow with callbacks that arm new timers', () => {
  it('fires only what was pending and leaves the new timers queued', () => {
    const s = new Scheduler({ clock: 'virtual' });
    let fired = 0;
    const again = (): void => {
      fired++;
      s.clock.setTimer(s.clock.now() + 10, again);
    };
    s.clock.setTimer(5, again);
    s.clock.setTimer(7, again);
    expect(s.fireAllNow()).toBe(2);
    expect(fired).toBe(2);
    expect(s.pending).toBe(2);
  });
});

describe('Clock.createTimer (re-armable)', () => {
  it('fires once at the latest armed deadline, never at an earlier arming [CLK-2]', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    const at: number[] = [];
    const t = s.clock.createTimer(() => at.push(s.clock.now()));
    t.arm(50);
    t.arm(20); // moved earlier
    t.arm(30); // and later again
    await s.runUntil(100);
    expect(at).toEqual([30]);
    t.arm(150);
    t.cancel();
    t.cancel();
    await s.runUntil(200);
    expect(at).toEqual([30]); // [CLK-3]
    t.arm(250);
    await s.runUntil(300);
    expect(at).toEqual([30, 250]);
    expect(s.pending).toBe(0);
  });

  it('can re-arm itself from its own callback', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    const at: number[] = [];
    const t = s.clock.createTimer(() => {
      at.push(s.clock.now());
      if (at.length < 3) t.arm(s.clock.now() + 10);
    });
    t.arm(5);
    await s.runUntil(1000);
    expect(at).toEqual([5, 15, 25]);
  });

  it('wakes the real-clock scheduler when armed earlier than its armed tick [SCH-1]', async () => {
    const s = new Scheduler({ clock: 'real' });
    s.start();
    const late = s.clock.sleep(10_000);
    const start = performance.now();
    const fired = new Promise<number>((resolve) => {
      s.clock.createTimer(() => resolve(performance.now() - start)).arm(s.clock.now() + 20);
    });
    expect(await fired).toBeLessThan(1000);
    s.fireAllNow();
    await late;
    await s.stop();
  });
});

describe('the real clock paces simulated time [RCK-1..3][SCH-5]', () => {
  it('reads the tick time inside a timer, however late the wall is [RCK-1]', async () => {
    const s = new Scheduler({ clock: 'real', speed: 1e6 }); // far faster than any machine
    const seen: number[] = [];
    for (const t of [5, 1000, 1000.5, 250_000]) s.clock.setTimer(t, () => seen.push(s.clock.now()));
    await s.runUntil(300_000);
    await s.stop();
    expect(seen).toEqual([5, 1000, 1001, 250_000]); // ticks of 1 ms, as on the virtual clock
    expect(s.clock.now()).toBe(300_000);
    expect(s.behindMs()).toBeGreaterThan(0); // the wall ran ahead: behind, shown
  });

  it('pauses simulated time and resumes where it stood [SCH-5]', async () => {
    const s = new Scheduler({ clock: 'real', speed: 10 });
    s.start();
    await s.clock.sleep(100);
    s.pause();
    expect(s.paused).toBe(true);
    const atPause = s.clock.now();
    let fired = false;
    s.clock.setTimer(atPause + 50, () => (fired = true));
    await new Promise((r) => setTimeout(r, 80)); // 800 simulated ms if it were running
    expect(fired).toBe(false);
    expect(s.clock.now()).toBe(atPause);
    expect(s.pausedWallMs).toBeGreaterThanOrEqual(70);
    s.resume();
    await s.clock.sleepUntil(atPause + 60);
    expect(fired).toBe(true);
    expect(s.behindMs()).toBeLessThan(100); // the pause is not a debt to catch up
    await s.stop();
  });

  it('changes speed while running, pacing on from where it stands [RCK-3]', async () => {
    const s = new Scheduler({ clock: 'real', speed: 1 });
    s.start();
    await s.clock.sleep(20);
    s.setSpeed(100);
    expect(s.speed).toBe(100);
    const wall0 = performance.now();
    await s.clock.sleep(2000); // 20 wall ms at x100
    expect(performance.now() - wall0).toBeLessThan(500);
    await s.stop();
    expect(() => new Scheduler({ clock: 'virtual' }).setSpeed(2)).toThrow(/real clock/);
    expect(() => s.setSpeed(0)).toThrow(/speed/);
  });

  it('a paused virtual run does not move on until resumed [SCH-5]', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    const seen: number[] = [];
    s.clock.setTimer(10, () => {
      seen.push(10);
      s.pause();
    });
    s.clock.setTimer(20, () => seen.push(20));
    let done = false;
    const run = s.runUntil(100).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([10]);
    expect(done).toBe(false);
    s.resume();
    await run;
    expect(seen).toEqual([10, 20]);
  });

  it('a held virtual tick does not move on until released, and what the release caused runs at that tick [SCH-7]', async () => {
    const s = new Scheduler({ clock: 'virtual' });
    const seen: Array<[string, number]> = [];
    s.clock.setTimer(10, () => {
      seen.push(['held', s.clock.now()]);
      s.hold();
      s.hold(); // holds count: two releases are needed
      setTimeout(() => s.release(), 10);
      setTimeout(() => {
        // the held work, done on wall time: arms a timer of the tick it was held at
        s.clock.setTimer(0, () => seen.push(['caused', s.clock.now()]));
        s.release();
      }, 40);
    });
    s.clock.setTimer(20, () => seen.push(['next', s.clock.now()]));
    let done = false;
    const run = s.runUntil(100).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 25));
    expect(seen).toEqual([['held', 10]]);
    expect(done).toBe(false);
    expect(s.holds).toBe(1);
    await run;
    expect(seen).toEqual([
      ['held', 10],
      ['caused', 10],
      ['next', 20],
    ]);
    expect(s.holds).toBe(0);
    s.release(); // an extra release is a no-op
    expect(s.holds).toBe(0);
  });

  it('a stopped real scheduler resolves its runUntil callers and leaves time where it stood', async () => {
    const s = new Scheduler({ clock: 'real' });
    const until = s.runUntil(60_000);
    await new Promise((r) => setTimeout(r, 20));
    await s.stop();
    await until;
    const t = s.clock.now();
    expect(t).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.clock.now()).toBe(t);
  });
});
