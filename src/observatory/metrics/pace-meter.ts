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
 * - [PACE-3] A deliberate slowdown is not falling behind: the wall and simulated time a run
 *   spends under a step limit (`limitedWallMs`, `limitedSimMs`, counted by a
 *   {@link LimitedSpans}) are left out of the pace the summary's `lagging` judges, and a run
 *   reports no lag while limited. `achieved` stays the whole run's figure; `limitedMs` says
 *   how much of it the limit took.
 */
import { performance } from 'node:perf_hooks';

/** Trailing the target by more than this much wall time counts as falling behind. */
export const LAG_THRESHOLD_WALL_MS = 250;

/** A run that achieved at least this fraction of its asked speed kept its pace. */
export const KEPT_PACE = 0.9;

/** A limited run's pace is judged on its unlimited wall time when there is this much of it. */
const FREE_JUDGED_MS = 1000;

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
  /** Unpaused wall ms spent under a step limit so far (none when absent) [PACE-3]. */
  readonly limitedWallMs?: number;
  /** Simulated ms the run advanced under a step limit so far [PACE-3]. */
  readonly limitedSimMs?: number;
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
  /** Unpaused wall ms spent under a step limit (a deliberate slowdown, not lag) [PACE-3]. */
  limitedMs: number;
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
  readonly #limitedWall0: number;
  readonly #limitedSim0: number;
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
    this.#limitedWall0 = run.limitedWallMs ?? 0;
    this.#limitedSim0 = run.limitedSimMs ?? 0;
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

  /** The whole run's pace [PACE-1]; its time under a step limit is not lag [PACE-3]. */
  summary(): PaceSummary {
    const run = this.#run;
    const behindMs = run.behindMs();
    this.#note(behindMs, this.isLagging(behindMs));
    const pausedMs = run.pausedWallMs - this.#paused0;
    const activeWall = performance.now() - this.#wall0 - pausedMs;
    const sim = run.now() - this.#sim0;
    const achieved = activeWall > 0 ? sim / activeWall : 0;
    const limitedMs = (run.limitedWallMs ?? 0) - this.#limitedWall0;
    // [PACE-3] judge the pace the machine kept where no limit slowed the run on purpose (a
    // second of it at least: less says nothing)
    const freeWall = activeWall - limitedMs;
    const freeSim = sim - ((run.limitedSimMs ?? 0) - this.#limitedSim0);
    const kept =
      limitedMs <= 0 ? achieved : freeWall >= FREE_JUDGED_MS ? freeSim / freeWall : run.speed;
    return {
      asked: run.speed,
      achieved,
      behindMs,
      maxBehindMs: this.#maxBehind,
      pausedMs,
      limitedMs,
      lagging: this.#lagged || kept < KEPT_PACE * run.speed,
    };
  }

  #note(behindMs: number, lagging: boolean): void {
    if (behindMs > this.#maxBehind) this.#maxBehind = behindMs;
    if (lagging) this.#lagged = true;
  }
}

/**
 * The wall and simulated time a paced run spends under a step limit, unpaused [PACE-3]: what
 * its {@link PacedRun.limitedWallMs} and {@link PacedRun.limitedSimMs} read.
 *
 * @example
 * ```ts
 * const spans = new LimitedSpans(() => run.now());
 * spans.setLimited(true); // a rate limit was set
 * spans.setLimited(false); // and cleared: spans.wallMs is how long it held
 * ```
 */
export class LimitedSpans {
  readonly #now: () => number;
  #limited = false;
  #paused = false;
  #wall = 0;
  #sim = 0;
  #wallAt = 0;
  #simAt = 0;

  /** `now`: the run's simulated ms. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** Whether a step limit is in force. */
  get limited(): boolean {
    return this.#limited;
  }

  /** Unpaused wall ms under a limit so far. */
  get wallMs(): number {
    return this.#wall + (this.#open ? performance.now() - this.#wallAt : 0);
  }

  /** Simulated ms the run advanced under a limit so far. */
  get simMs(): number {
    return this.#sim + (this.#open ? Math.max(0, this.#now() - this.#simAt) : 0);
  }

  /** A step limit was set (true) or the last one cleared (false). */
  setLimited(limited: boolean): void {
    this.#change(() => (this.#limited = limited));
  }

  /** The run paused or resumed: paused time is the pause's, not the limit's. */
  setPaused(paused: boolean): void {
    this.#change(() => (this.#paused = paused));
  }

  get #open(): boolean {
    return this.#limited && !this.#paused;
  }

  #change(apply: () => void): void {
    const was = this.#open;
    if (was) {
      this.#wall = this.wallMs;
      this.#sim = this.simMs;
    }
    apply();
    if (this.#open) {
      this.#wallAt = performance.now();
      this.#simAt = this.#now();
    }
  }
}
