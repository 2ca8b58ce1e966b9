/**
 * PaceMeter: how well a paced run keeps its asked speed, as the view, the progress line, the
 * metrics log and the summary show it. A run on the real clock never changes its results when
 * the machine cannot keep up (simulated time is paced, not reshaped); it falls behind instead,
 * and this says by how much.
 *
 * Invariants:
 * - [PACE-1] `achieved` is simulated time over unpaused wall time: for the last interval
 *   (`sample()`, once per wall second) and for the whole run (`summary()`).
 * - [PACE-2] A run is lagging while it trails its target by more than `LAG_THRESHOLD_WALL_MS`
 *   of wall time (at the asked speed). `lagging` in the summary says it happened at all, or
 *   that the whole run achieved less than `KEPT_PACE` of the asked speed (a short run that
 *   could not keep up may never trail by much wall time).
 */
import { performance } from 'node:perf_hooks';

/** Trailing the target by more than this much wall time counts as falling behind. */
export const LAG_THRESHOLD_WALL_MS = 250;

/** A run that achieved at least this fraction of its asked speed kept its pace. */
export const KEPT_PACE = 0.9;

/**
 * What a PaceMeter reads: a paced run (a firefly experiment, say).
 *
 * @example
 * ```ts
 * const run: PacedRun = { now: () => 0, speed: 1, paused: false, pausedWallMs: 0, behindMs: () => 0 };
 * ```
 */
export interface PacedRun {
  /** Simulated ms. */
  now(): number;
  /** Asked simulated ms per wall ms. */
  readonly speed: number;
  readonly paused: boolean;
  /** Wall ms spent paused so far. */
  readonly pausedWallMs: number;
  /** Simulated ms the run trails its pacing target. */
  behindMs(): number;
}

/** The pace now (the last interval). */
export interface PaceNow {
  /** Simulated s per unpaused wall s over the last interval (NaN before the first). */
  achieved: number;
  behindMs: number;
  lagging: boolean;
  paused: boolean;
}

/** The pace of a whole run (FireflyRunSummary.pace). */
export interface PaceSummary {
  asked: number;
  achieved: number;
  behindMs: number;
  maxBehindMs: number;
  pausedMs: number;
  lagging: boolean;
}

/**
 * @example
 * ```ts
 * const meter = new PaceMeter(experiment); // once the run's clock has begun
 * setInterval(() => console.log(meter.sample().achieved), 1000);
 * ```
 */
export class PaceMeter {
  readonly #run: PacedRun;
  readonly #wall0: number;
  readonly #sim0: number;
  readonly #paused0: number;
  #wallAt: number;
  #simAt: number;
  #pausedAt: number;
  #maxBehind = 0;
  #lagged = false;
  #last: PaceNow = { achieved: Number.NaN, behindMs: 0, lagging: false, paused: false };

  constructor(run: PacedRun) {
    this.#run = run;
    this.#wall0 = this.#wallAt = performance.now();
    this.#sim0 = this.#simAt = run.now();
    this.#paused0 = this.#pausedAt = run.pausedWallMs;
  }

  /** Whether the run trails its target by more than the threshold right now [PACE-2]. */
  isLagging(behindMs: number): boolean {
    return behindMs / this.#run.speed > LAG_THRESHOLD_WALL_MS;
  }

  /** Measure the interval since the last sample [PACE-1]; returns and keeps the figures. */
  sample(): PaceNow {
    const run = this.#run;
    const wall = performance.now();
    const sim = run.now();
    const pausedWall = run.pausedWallMs;
    const activeWall = wall - this.#wallAt - (pausedWall - this.#pausedAt);
    const behindMs = run.behindMs();
    const lagging = this.isLagging(behindMs);
    this.#note(behindMs, lagging);
    this.#last = {
      achieved: activeWall > 1 ? (sim - this.#simAt) / activeWall : this.#last.achieved,
      behindMs,
      lagging,
      paused: run.paused,
    };
    this.#wallAt = wall;
    this.#simAt = sim;
    this.#pausedAt = pausedWall;
    return this.#last;
  }

  /** The figures of the last {@link sample}, with the lag as it is now. */
  current(): PaceNow {
    const behindMs = this.#run.behindMs();
    const lagging = this.isLagging(behindMs);
    this.#note(behindMs, lagging);
    return { ...this.#last, behindMs, lagging, paused: this.#run.paused };
  }

  /** The whole run's pace [PACE-1]. */
  summary(): PaceSummary {
    const run = this.#run;
    const behindMs = run.behindMs();
    this.#note(behindMs, this.isLagging(behindMs));
    const pausedMs = run.pausedWallMs - this.#paused0;
    const activeWall = performance.now() - this.#wall0 - pausedMs;
    const achieved = activeWall > 0 ? (run.now() - this.#sim0) / activeWall : 0;
    return {
      asked: run.speed,
      achieved,
      behindMs,
      maxBehindMs: this.#maxBehind,
      pausedMs,
      lagging: this.#lagged || achieved < KEPT_PACE * run.speed,
    };
  }

  #note(behindMs: number, lagging: boolean): void {
    if (behindMs > this.#maxBehind) this.#maxBehind = behindMs;
    if (lagging) this.#lagged = true;
  }
}
