/**
 * FireflySession: one run's figures, for every view of it. It samples R on the run's own
 * clock, keeps the flash-rate window, records the metrics log, measures the pace, tells the
 * observers (the gateway, tests) and builds the summary; the terminal view reads the same
 * figures through {@link FireflySession.source}. What it runs is any {@link FireflyRunTarget}
 * (one thread or shards); how the run is shown and ended is `runFireflies`' business.
 *
 * Invariants:
 * - [SES-1] R is sampled on the target's clock every `sampleEveryMs` of simulated time
 *   (a scheduler timer), so a seeded virtual-clock run reports the same R(t) every time; no
 *   sample is recorded after `finish()`.
 * - [SES-2] The metrics log has one line per simulated second on the virtual clock (flushed
 *   from the R sample that ends it, so a seeded run logs the same `sim_t` values every time;
 *   one per sample when samples are further apart than a second) and one per wall second on
 *   the real clock; every line carries its simulated time `sim_t`.
 * - [SES-3] A run that cannot keep its asked speed says so: the view's status, the metrics
 *   (`speed_achieved`, `behind_s`) and the summary's `pace` (PaceMeter [PACE-2]).
 * - Observers: [OBS-1], [OBS-2] (firefly-run-observer.ts).
 */
import type { Writable } from 'node:stream';
import type { MetricsAggregator } from '../metrics/index.js';
import { PaceMeter } from '../metrics/pace-meter.js';
import type { PaceNow, PaceSummary } from '../metrics/pace-meter.js';
import { LEVELS, brightnessAt, levelOf } from '../render/index.js';
import type { GridSource, GridStatus } from '../render/index.js';
import type { FireflyRunTarget, FireflyStats } from './firefly-run-target.js';
import type {
  FireflyRunControl,
  FireflyRunObserver,
  FireflyRunSample,
} from './firefly-run-observer.js';

/** A snapshot's byte per brightness level: 16 levels over 0..255. */
const LEVEL_STEP = 255 / (LEVELS - 1);

/** The figures a session sums up at the end (the run adds wall time, view and lag). */
export interface FireflySessionSummary extends FireflyStats {
  width: number;
  height: number;
  /** Worker threads the grid ran on (1: this thread). */
  workers: number;
  clock: 'real' | 'virtual';
  seed: number;
  speed: number;
  periodMs: number;
  nudgeMs: number;
  refractoryMs: number;
  /** The nominal flashes per simulated second, N/T. */
  expectedFlashesPerSec: number;
  finalR: number;
  /** Simulated seconds at which sampled R first reached 0.5, 0.8, 0.9 (null if never). */
  rReached: { '0.5': number | null; '0.8': number | null; '0.9': number | null };
  /** R sampled every `sampleEveryMs` of simulated time: [t seconds, R]. */
  rSeries: Array<[number, number]>;
  /**
   * Real clock: how well the wall kept pace with the asked speed. `null` on the virtual clock.
   * `achieved` is simulated s per wall s over the run's unpaused wall time; `behindMs` how far
   * (simulated ms) the simulation trailed the paced target at the end; `maxBehindMs` the worst
   * of the run; `pausedMs` wall ms spent paused; `lagging` whether the run fell behind by more
   * than the threshold at any time.
   */
  pace: PaceSummary | null;
}

/** The terminal view's {@link GridSource}: the target's telemetry and the session's figures. */
class SessionSource implements GridSource {
  readonly width: number;
  readonly height: number;
  readonly periodMs: number;
  readonly lastFlash: Float64Array;
  /** The last R: a sample, or a fresh value for a progress line. */
  r = 0;
  flashesPerSec = 0;
  pace: PaceMeter | undefined;
  keys = false;
  readonly #target: FireflyRunTarget;

  constructor(target: FireflyRunTarget) {
    this.#target = target;
    this.width = target.width;
    this.height = target.height;
    this.periodMs = target.periodMs;
    this.lastFlash = target.lastFlash;
  }

  now(): number {
    return this.#target.now();
  }

  status(): GridStatus {
    const t = this.#target;
    const status: GridStatus = {
      agents: t.agents,
      r: this.r,
      flashesPerSec: this.flashesPerSec,
      nominalFlashesPerSec: (t.agents * 1000) / t.periodMs,
      simTimeMs: t.now(),
      clock: t.clockKind,
      speed: t.speed,
      paused: t.paused,
      keys: this.keys,
    };
    const pace = this.pace?.current();
    if (pace !== undefined) {
      if (!Number.isNaN(pace.achieved)) status.achievedSpeed = pace.achieved;
      if (t.clockKind === 'real') {
        status.behindMs = pace.behindMs;
        status.lagging = pace.lagging;
      }
    }
    return status;
  }
}

/** Options of a {@link FireflySession}. */
export interface FireflySessionOptions {
  /** Worker threads the target runs on (reported in the summary and to observers). */
  workers: number;
  /** Where the session records metrics (it does not close it). */
  metrics?: MetricsAggregator;
  observers?: readonly FireflyRunObserver[];
  /** Where an observer's failure is reported. */
  out: NodeJS.WritableStream | Writable;
}

/**
 * @example
 * ```ts
 * const session = new FireflySession(target, { workers: 1, out: process.stdout });
 * await target.start();
 * session.begin(1000, 60_000);
 * await target.runUntil(60_000);
 * session.finish();
 * await target.stop();
 * console.log(session.summary().finalR);
 * ```
 */
export class FireflySession {
  readonly target: FireflyRunTarget;
  /** What the terminal view draws and its status bar shows. */
  readonly source: GridSource & { r: number; keys: boolean };
  /** What observers may read and steer [OBS-2]. */
  readonly control: FireflyRunControl;
  readonly #source: SessionSource;
  readonly #workers: number;
  readonly #metrics: MetricsAggregator | undefined;
  readonly #observers: readonly FireflyRunObserver[];
  readonly #out: NodeJS.WritableStream | Writable;
  /** flashes/s over the last period, from (t, flashes) pairs of the samples */
  readonly #window: Array<[number, number]> = [[0, 0]];
  #sampling = false;
  #nextLogAt = 1000;
  #pace: PaceMeter | undefined;
  #paceAtEnd: PaceSummary | null = null;

  constructor(target: FireflyRunTarget, options: FireflySessionOptions) {
    this.target = target;
    this.#source = new SessionSource(target);
    this.source = this.#source;
    this.#workers = options.workers;
    this.#metrics = options.metrics;
    this.#observers = options.observers ?? [];
    this.#out = options.out;
    this.control = this.#makeControl();
  }

  /**
   * The target has started: sample R at 0 and then every `sampleEveryMs` of simulated time
   * through `untilMs` [SES-1], start measuring the pace, tell the observers [OBS-1].
   */
  begin(sampleEveryMs: number, untilMs: number | undefined): void {
    const target = this.target;
    target.monitor.sample(0);
    this.#pace = new PaceMeter(target);
    this.#source.pace = this.#pace;
    this.#sampling = true;
    const control = this.control;
    this.#notify((o) => o.started?.(control));
    target.sampleOrder(sampleEveryMs, untilMs, (t, r, flashes) => this.#record(t, r, flashes));
  }

  /**
   * Once a wall second: the pace of the last second, into the metrics [SES-3]; and a fresh R
   * for a progress line when `freshR` (a sample may not have fallen in this wall second).
   */
  second(freshR: boolean): PaceNow | undefined {
    const pace = this.#pace;
    if (pace === undefined) return undefined;
    const now = pace.sample();
    if (!Number.isNaN(now.achieved)) this.#metrics?.record('speed_achieved', now.achieved);
    if (this.target.clockKind === 'real') this.#metrics?.record('behind_s', now.behindMs / 1000);
    if (freshR) this.#source.r = this.target.orderParameterNow();
    return now;
  }

  /** The run is over (before its agents stop): no more samples; the pace is taken now. */
  finish(): void {
    this.#sampling = false;
    // the pace of the run, not of shutting a million agents down (also after an abort)
    if (this.target.clockKind === 'real' && this.#pace !== undefined && this.#paceAtEnd === null) {
      this.#paceAtEnd = this.#pace.summary();
    }
  }

  /** Stop sampling without a pace (an abort while starting). */
  cancel(): void {
    this.#sampling = false;
  }

  /** The run's figures (after the target has stopped). */
  summary(): FireflySessionSummary {
    const t = this.target;
    const stats = t.stats();
    const reached = (x: number): number | null => {
      const at = t.monitor.firstTimeAbove(x);
      return at === undefined ? null : at / 1000;
    };
    return {
      ...stats,
      width: t.width,
      height: t.height,
      workers: this.#workers,
      clock: t.clockKind,
      seed: t.seed,
      speed: t.speed,
      periodMs: t.params.periodMs,
      nudgeMs: t.params.nudgeMs,
      refractoryMs: t.params.refractoryMs,
      expectedFlashesPerSec: (t.agents * 1000) / t.params.periodMs,
      finalR: t.monitor.orderParameter(t.now()),
      rReached: { '0.5': reached(0.5), '0.8': reached(0.8), '0.9': reached(0.9) },
      rSeries: t.monitor.history.map((h) => [h.t / 1000, h.r]),
      pace: this.#paceAtEnd,
    };
  }

  /** Tell every observer; one that throws is reported and the others still hear. [OBS-1] */
  notifyEnded(outcome: Parameters<NonNullable<FireflyRunObserver['ended']>>[0]): void {
    this.#notify((o) => o.ended?.(outcome));
  }

  /** An R sample [SES-1]: the monitor, the rate window, the metrics [SES-2], the observers. */
  #record(t: number, r: number, flashes: number): void {
    if (!this.#sampling) return;
    const target = this.target;
    const source = this.#source;
    target.monitor.record(t, r);
    source.r = r;
    // flashes/s over the last period: once synchronised, flashes come in bursts once a
    // period, and a shorter window would swing between 0 and N
    const window = this.#window;
    window.push([t, flashes]);
    while (window.length > 2 && window[1][0] <= t - target.periodMs) window.shift();
    const [t0, f0] = window[0];
    if (t > t0) source.flashesPerSec = ((flashes - f0) * 1000) / (t - t0);
    const metrics = this.#metrics;
    if (metrics !== undefined) {
      metrics.record('r_value', r);
      metrics.record('flashes_per_s', source.flashesPerSec);
      if (target.clockKind === 'virtual' && t >= this.#nextLogAt) {
        metrics.flush(t); // [SES-2]
        this.#nextLogAt = (Math.floor(t / 1000) + 1) * 1000;
      }
    }
    if (this.#observers.length > 0) {
      const sample: FireflyRunSample = { t: t / 1000, r, flashesPerSec: source.flashesPerSec };
      this.#notify((o) => o.sample?.(sample));
    }
  }

  #notify(call: (o: FireflyRunObserver) => void): void {
    for (const o of this.#observers) {
      try {
        call(o);
      } catch (error) {
        this.#out.write(
          `observer failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
    }
  }

  #makeControl(): FireflyRunControl {
    const t = this.target;
    const source = this.#source;
    return {
      width: t.width,
      height: t.height,
      agents: t.agents,
      periodMs: t.periodMs,
      seed: t.seed,
      clockKind: t.clockKind,
      workers: this.#workers,
      now: () => t.now(),
      snapshot(out: Uint8Array): void {
        const lastFlash = t.lastFlash;
        const now = t.now();
        const periodMs = t.periodMs;
        const n = Math.min(out.length, lastFlash.length);
        // the terminal's 16 levels, spread over 0..255 (17 a level): a viewer's palette shows no
        // more, and a frame of levels changes in far fewer cells than one of raw brightness
        // (deltas 2.4x to 2.8x smaller on real frames: bench/state-codec.ts)
        for (let i = 0; i < n; i++) {
          out[i] = levelOf(brightnessAt(lastFlash[i], now, periodMs)) * LEVEL_STEP;
        }
      },
      status: () => source.status(),
      get paused() {
        return t.paused;
      },
      pause: () => t.pause(),
      resume: () => t.resume(),
      setSpeed: (speed) => t.setSpeed(speed),
      get limit() {
        return t.limit;
      },
      setLimit: (n) => t.setLimit(n),
    };
  }
}
