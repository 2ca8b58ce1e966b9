/**
 * PaceMeter's verdict on a run [PACE-1] [PACE-2], and a step limit is a deliberate slowdown,
 * not the machine falling behind [PACE-3] (LimitedSpans counts it, paused time apart).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { performance } from 'node:perf_hooks';
import { LimitedSpans, PaceMeter } from '../../../src/observatory/metrics/pace-meter.js';
import type { PacedRun } from '../../../src/observatory/metrics/pace-meter.js';

/** A run on a wall clock the test moves: simulated time is whatever the test says. */
function fakeRun(): {
  run: PacedRun & { sim: number };
  spans: LimitedSpans;
  wall: (ms: number) => void;
} {
  let wall = 1_000;
  vi.spyOn(performance, 'now').mockImplementation(() => wall);
  const run = {
    sim: 0,
    speed: 1,
    paused: false,
    pausedWallMs: 0,
    now: () => run.sim,
    behindMs: () => 0,
    get limitedWallMs() {
      return spans.wallMs;
    },
    get limitedSimMs() {
      return spans.simMs;
    },
  };
  const spans = new LimitedSpans(() => run.sim);
  return { run, spans, wall: (ms) => (wall += ms) };
}

describe('PaceMeter and step limits [PACE-3]', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a run slow only while limited kept its pace; its limited time is reported', () => {
    const { run, spans, wall } = fakeRun();
    const meter = new PaceMeter(run);
    wall(1_000);
    run.sim = 1_000; // x1
    spans.setLimited(true);
    wall(2_000);
    run.sim = 1_200; // x0.1 under the limit
    spans.setLimited(false);
    wall(1_000);
    run.sim = 2_200; // x1 again
    const s = meter.summary();
    expect(s.achieved).toBeCloseTo(2_200 / 4_000, 9); // the whole run's figure, as it was
    expect(s.limitedMs).toBe(2_000);
    expect(s.lagging).toBe(false);
  });

  it('still says so when the machine fell behind outside the limit [PACE-2]', () => {
    const { run, spans, wall } = fakeRun();
    const meter = new PaceMeter(run);
    spans.setLimited(true);
    wall(1_000);
    run.sim = 100;
    spans.setLimited(false);
    wall(2_000);
    run.sim = 1_100; // x0.5 with no limit: the machine's
    const s = meter.summary();
    expect(s.limitedMs).toBe(1_000);
    expect(s.lagging).toBe(true);
  });

  it('paused time under a limit is the pause, not the limit', () => {
    const { run, spans, wall } = fakeRun();
    spans.setLimited(true);
    wall(500);
    run.sim = 50;
    spans.setPaused(true);
    wall(5_000);
    spans.setPaused(false);
    wall(500);
    run.sim = 100;
    expect(spans.wallMs).toBe(1_000);
    expect(spans.simMs).toBe(100);
    spans.setLimited(false);
    wall(1_000);
    run.sim = 1_100;
    expect(spans.wallMs).toBe(1_000);
    expect(spans.simMs).toBe(100);
  });
});
