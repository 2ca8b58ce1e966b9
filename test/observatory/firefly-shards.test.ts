/**
 * Shards on real worker threads: the same flash log for any worker count [SHD-4], live border
 * links [PUL-1], a shard that dies mid-run [SHD-6].
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { LocalBroker, LocalBus } from '../../src/messaging/index.js';
import { runFireflies } from '../../src/observatory/experiments/firefly-run.js';
import type { FireflyRunOptions } from '../../src/observatory/experiments/firefly-run.js';
import {
  ShardedFireflies,
  roundBreakdown,
} from '../../src/observatory/experiments/firefly-shards.js';
import { ShardFailedError } from '../../src/errors.js';
import { ConstraintSet } from '../../src/runtime/index.js';
import { TorusTopology } from '../../src/observatory/model/topology.js';
import { planBands } from '../../src/observatory/experiments/shard-plan.js';

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

const MODEL = { periodMs: 500, nudgeMs: 25, jitterMs: 20, seed: 11 } as const;

/** A real-clock run at x1 on two workers under `constraints`; `started` as an observer's. */
function limitedRun(
  side: number,
  durationMs: number,
  constraints: ConstraintSet,
  started: NonNullable<NonNullable<FireflyRunOptions['observers']>[number]['started']>,
): ReturnType<typeof runFireflies> {
  return runFireflies({
    width: side,
    height: side,
    ...MODEL,
    durationMs,
    clock: 'real',
    speed: 1,
    workers: 2,
    constraints,
    visualize: false,
    out: sink(),
    isTTY: false,
    signal: new AbortController().signal,
    observers: [{ started }],
  });
}

/** Every (t, agent) flash of a run, sorted (the order within a tick is not the model's). */
async function flashLog(
  workers: number,
  extra: Partial<FireflyRunOptions> = {},
): Promise<{ log: Array<[number, number]>; hash: string; flashes: number; discarded: number }> {
  const bus = new LocalBus({ broker: new LocalBroker() });
  await bus.connect();
  const log: Array<[number, number]> = [];
  bus.subscribe('firefly/flash', (_topic, payload) => {
    const m = payload as { agentId: number; t: number };
    log.push([m.t, m.agentId]);
  });
  const s = await runFireflies({
    width: 12,
    height: 12,
    ...MODEL,
    durationMs: 4_000,
    clock: 'virtual',
    workers,
    bus,
    visualize: false,
    out: sink(),
    isTTY: false,
    signal: new AbortController().signal,
    ...extra,
  });
  await bus.disconnect();
  log.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  expect(s.droppedPulses).toBe(0);
  expect(s.flashes).toBe(log.length); // every flash reached the main bus [SHD-7]
  const hash = createHash('sha256').update(JSON.stringify(log)).digest('hex');
  return { log, hash, flashes: s.flashes, discarded: s.discardedPulses };
}

describe('sharded fireflies on worker threads', () => {
  it('give the same flash log for 1, 2, 3 and 4 workers [SHD-4]', async () => {
    const one = await flashLog(1);
    expect(one.flashes).toBeGreaterThan(144 * 5);
    for (const workers of [2, 3, 4]) {
      const sharded = await flashLog(workers);
      expect(sharded.hash, `${workers} workers`).toBe(one.hash);
      expect(sharded.discarded).toBe(one.discarded);
    }
  }, 60_000);

  it('split a rate limit set while running between the shards: slower, same flash log [SLIM-1][SLIM-2]', async () => {
    /** A two-worker run; wall ms from its start (workers up) to its end. */
    const timed = async (
      constraints?: ConstraintSet,
    ): Promise<Awaited<ReturnType<typeof flashLog>> & { runMs: number }> => {
      let startedAt = 0;
      const r = await flashLog(2, {
        ...(constraints !== undefined && { constraints }),
        observers: [
          {
            // set once the run is going: the shards take it from their next round
            started: () => {
              startedAt = performance.now();
              constraints?.set({ scope: 'group:fireflies', kind: 'rate', perSec: rate });
              constraints?.set({ scope: 'global', kind: 'concurrency', limit: 4 });
            },
          },
        ],
      });
      return { ...r, runMs: performance.now() - startedAt };
    };
    const rate = 2000;
    const one = await flashLog(1);
    const free = await timed();
    const constraints = new ConstraintSet();
    const limited = await timed(constraints);
    constraints.close();
    expect(free.hash).toBe(one.hash);
    expect(limited.hash).toBe(one.hash);
    // every flash is a step (so is every pulse heard): at 2,000 steps/s in all the run takes
    // at least flashes/2000 s
    const floorMs = (limited.flashes / rate) * 1000;
    expect(limited.flashes).toBeGreaterThan(144 * 5);
    expect(limited.runMs).toBeGreaterThan(floorMs * 0.9);
    expect(limited.runMs).toBeGreaterThan(2 * free.runMs);
  }, 60_000);

  it('deliver a border agent its cross-shard neighbours pulses [PUL-1]', async () => {
    // 12 rows in 2 bands: rows 0-5 and 6-11; agents of rows 5 and 6 (and 0 and 11, across
    // the torus' wrap) have neighbours in the other band
    const width = 12;
    const bands = planBands(width, 12, 2);
    const topology = new TorusTopology(width, 12);
    const border = new Set<number>();
    for (let a = 0; a < topology.size; a++) {
      const mine = a < bands[0].to ? 0 : 1;
      for (const nb of topology.neighboursOf(a)) {
        if ((nb < bands[0].to ? 0 : 1) !== mine) border.add(a);
      }
    }
    expect(border.size).toBe(4 * width);
    const exp = new ShardedFireflies({
      width,
      height: 12,
      ...MODEL,
      clock: 'virtual',
      workers: 2,
      publishFlashes: false,
    });
    await exp.start();
    await exp.runUntil(4_000);
    const carried = exp.borderFlashes;
    const stats = exp.stats();
    await exp.stop();
    expect(carried).toBeGreaterThan(0); // severed links would carry nothing
    // each border agent's flash crosses to the one other band, exactly once
    const one = await flashLog(1, { durationMs: 4_000 });
    const borderFlashes = one.log.filter(([, id]) => border.has(id)).length;
    expect(carried).toBe(borderFlashes);
    expect(stats.flashes).toBe(one.flashes);
  }, 60_000);

  it('end the run with the shard named when a worker dies mid-run [SHD-6]', async () => {
    const started = performance.now();
    const run = runFireflies({
      width: 40,
      height: 40,
      ...MODEL,
      durationMs: 3_600_000, // an hour: only the failure can end it
      clock: 'virtual',
      workers: 2,
      failShard: { shard: 1, rounds: 300 },
      visualize: false,
      out: sink(),
      isTTY: false,
      signal: new AbortController().signal,
    });
    const error = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShardFailedError);
    expect((error as ShardFailedError).code).toBe('CASCADE_ERR_SHARD_FAILED');
    expect((error as ShardFailedError).details.shard).toBe(1);
    expect((error as Error).message).toMatch(/shard 1 failed: injected failure after 300 rounds/);
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it('trace every round of every shard when asked: work, imbalance, the barrier itself', async () => {
    const exp = new ShardedFireflies({
      width: 40,
      height: 40,
      ...MODEL,
      clock: 'virtual',
      workers: 2,
      traceRounds: 100_000,
    });
    expect(new ShardedFireflies({ width: 4, height: 4, workers: 2 }).roundBreakdown()).toBeNull();
    for (const traceRounds of [-1, 1.5, Number.NaN]) {
      expect(() => new ShardedFireflies({ width: 4, height: 4, workers: 2, traceRounds })).toThrow(
        /traceRounds.*must be an integer >= 0/,
      );
    }
    await exp.start();
    await exp.runUntil(2_000);
    const b = exp.roundBreakdown(1_000)!;
    const all = exp.roundBreakdown()!;
    await exp.stop();
    // a round per visited tick: most of the 1,000 ticks of the second simulated second
    expect(b.rounds).toBeGreaterThan(500);
    expect(b.rounds).toBeLessThanOrEqual(1_001);
    expect(all.rounds).toBeGreaterThan(b.rounds);
    expect(b.workMs).toBeGreaterThan(0);
    expect(b.imbalanceMs).toBeGreaterThanOrEqual(0);
    expect(b.syncMs).toBeGreaterThanOrEqual(0);
    expect(b.slowestShare).toBeGreaterThanOrEqual(0);
    expect(b.slowestShare).toBeLessThanOrEqual(1);
  });

  it('break a round trace down: mean work, imbalance, the wait of the last to arrive, the slowest 1%', () => {
    // two shards, 100 rounds from tick 0: shard 0 works 1 ms, shard 1 works 2 ms and 50 ms in
    // the last round; the faster one waits the difference, the slower 0.01 ms
    const trace = (work: (r: number) => number, wait: (r: number) => number): Float64Array => {
      const t = new Float64Array(1 + 3 * 100);
      t[0] = 100;
      for (let r = 0; r < 100; r++) t.set([r, work(r), wait(r)], 1 + 3 * r);
      return t;
    };
    const slow = (r: number): number => (r === 99 ? 50 : 2);
    const a = trace(
      () => 1,
      (r) => slow(r) - 1 + 0.01,
    );
    const b = trace(slow, () => 0.01);
    const d = roundBreakdown([a, b]);
    expect(d.rounds).toBe(100);
    expect(d.workMs).toBeCloseTo((100 + 99 * 2 + 50) / 200, 9);
    expect(d.imbalanceMs).toBeCloseTo((99 * 1 + 49) / 100, 9);
    expect(d.syncMs).toBeCloseTo(0.01, 9);
    // the last round's wait (49.01 + 0.01) of all waiting
    expect(d.slowestShare).toBeCloseTo(49.02 / (99 * 1.02 + 49.02), 9);
    expect(roundBreakdown([a, b], 50).rounds).toBe(50);
    expect(roundBreakdown([a, b], 1_000).rounds).toBe(0);
  });

  it('stop every worker in under a second', async () => {
    const exp = new ShardedFireflies({
      width: 40,
      height: 40,
      ...MODEL,
      clock: 'real',
      speed: 1,
      workers: 2,
    });
    await exp.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(exp.now()).toBeGreaterThan(0); // it runs, paced to the wall
    const t0 = performance.now();
    await exp.stop();
    expect(performance.now() - t0).toBeLessThan(1_000);
  }, 30_000);

  it('a limit cleared while a round waits at the gate lets that round go on at once [SLIM-3]', async () => {
    // 200x200 takes about 80 steps a simulated ms: at 100 steps a second a round holds its
    // steps at the gate for most of a second, so a clear seen only at the next round would
    // leave the run that far behind its pace
    const constraints = new ConstraintSet();
    let atClear = Number.NaN;
    let afterClear = Number.NaN;
    const s = await limitedRun(200, 2_500, constraints, (c) => {
      setTimeout(() => constraints.set({ scope: 'global', kind: 'rate', perSec: 100 }), 300);
      setTimeout(() => {
        atClear = c.now();
        constraints.clear('global', 'rate');
        setTimeout(() => (afterClear = c.now()), 500);
      }, 1_300);
    });
    constraints.close();
    // on its way soon after the clear (before the fix: 0 ms of simulated time in that 0.5 s)
    expect(afterClear - atClear).toBeGreaterThan(250);
    expect(s.pace!.limitedMs).toBeGreaterThan(500);
  }, 30_000);

  it('real clock: a rate limit slows the run like a pause, with no burst after it and no blame on the machine [SLIM-3] [PACE-3]', async () => {
    const constraints = new ConstraintSet();
    const during: number[] = []; // behindMs read while the limit holds
    const after: Array<[number, number]> = []; // [wall ms, simulated ms] since the clear
    let limitedSim = Number.NaN;
    const s = await limitedRun(12, 2_200, constraints, (c) => {
      let setAt = 0;
      let watch: NodeJS.Timeout | undefined;
      setTimeout(() => {
        setAt = c.now();
        // about 290 steps a simulated second in all: 40/s holds the lock-step to a crawl
        constraints.set({ scope: 'global', kind: 'rate', perSec: 40 });
        watch = setInterval(() => during.push(c.status().behindMs ?? 0), 100);
      }, 300);
      setTimeout(() => {
        clearInterval(watch);
        limitedSim = c.now() - setAt;
        constraints.clear('global', 'rate');
        const wall0 = performance.now();
        const sim0 = c.now();
        const follow = setInterval(() => {
          after.push([performance.now() - wall0, c.now() - sim0]);
          if (performance.now() - wall0 > 1_500) clearInterval(follow);
        }, 50);
      }, 1_900);
    });
    constraints.close();
    // the limit did hold the run back: 1.6 s of wall, far less simulated time
    expect(limitedSim).toBeLessThan(800);
    // ...and nobody was told the machine fell behind meanwhile
    expect(during.length).toBeGreaterThan(10);
    expect(Math.max(...during)).toBe(0);
    // no burst once cleared: simulated time keeps to the wall (speed 1) from where it stood
    expect(after.length).toBeGreaterThan(10);
    for (const [wall, sim] of after)
      expect(sim, `${sim} ms after ${wall} ms`).toBeLessThan(wall + 250);
    expect(after.at(-1)![1]).toBeGreaterThan(500); // and it goes on
    const pace = s.pace!;
    expect(pace.limitedMs).toBeGreaterThan(1_200);
    expect(pace.limitedMs).toBeLessThan(2_500);
    expect(pace.maxBehindMs).toBeLessThan(250);
    expect(pace.lagging).toBe(false);
  }, 30_000);
});
