/**
 * A whole firefly run as the `cascade fireflies` command (and its diagnostics) does it: build
 * the experiment, sample the order parameter at a fixed simulated interval, record metrics,
 * show the grid live (or print progress), stop on time or on abort, and summarise.
 *
 * Invariants:
 * - [RUN-1] The monitor samples on the experiment's own clock (a scheduler timer), so a seeded
 *   virtual-clock run reports the same R(t) every time.
 * - [RUN-2] Whatever ends the run (duration, abort, error), agents are stopped, the view has
 *   restored the terminal and the metrics log is flushed and closed before this resolves.
 */
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { InvalidArgumentError } from '../../errors.js';
import type { RealClock } from '../../runtime/index.js';
import { MetricsAggregator, SampleReservoir } from '../metrics/index.js';
import { runLive, EventLoopLagSampler } from '../live/index.js';
import type { LiveSummary } from '../live/index.js';
import type { ColorMode, GridSource, GridStatus } from '../render/index.js';
import { FireflyExperiment } from './firefly-experiment.js';
import type { FireflyExperimentOptions, FireflyStats } from './firefly-experiment.js';

export interface FireflyRunOptions extends FireflyExperimentOptions {
  /** Simulated ms to run; undefined = until `signal` aborts. */
  durationMs?: number;
  /** Show the grid (a live view on a TTY, plain progress lines otherwise). Default true. */
  visualize?: boolean;
  /** Where the view or the progress lines go. */
  out: NodeJS.WriteStream | Writable;
  isTTY: boolean;
  columns?: number;
  rows?: number;
  /** Write JSONL metrics here. */
  logPath?: string;
  /** Simulated ms between two samples of R (default 1000). */
  sampleEveryMs?: number;
  /** Target frames per second of the live view (default 30). */
  fps?: number;
  /** Colour escapes of the live view: '256' (default) or 'truecolor'. */
  colors?: ColorMode;
  signal: AbortSignal;
  /** Headless: called once per wall second with a plain progress line. */
  onProgress?: (line: string) => void;
}

/** What a run reports at its end. */
export interface FireflyRunSummary extends FireflyStats {
  width: number;
  height: number;
  clock: 'real' | 'virtual';
  seed: number;
  speed: number;
  periodMs: number;
  nudgeMs: number;
  refractoryMs: number;
  wallMs: number;
  /** Simulated seconds per wall second. */
  simSecondsPerWallSecond: number;
  /** Flashes per simulated second over the whole run, and the nominal N/T for comparison. */
  flashesPerSec: number;
  expectedFlashesPerSec: number;
  finalR: number;
  /** Simulated seconds at which sampled R first reached 0.5, 0.8, 0.9 (null if never). */
  rReached: { '0.5': number | null; '0.8': number | null; '0.9': number | null };
  /** R sampled every `sampleEveryMs` of simulated time: [t seconds, R]. */
  rSeries: Array<[number, number]>;
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  view: LiveSummary | null;
  cancelled: boolean;
  /**
   * Real clock: how well the wall kept pace with the asked speed. `null` on the virtual clock.
   * `achieved` is simulated s per wall s over the run's unpaused wall time; `behindMs` how far
   * (simulated ms) the simulation trailed the paced target at the end; `maxBehindMs` the worst
   * of the run; `pausedMs` wall ms spent paused; `lagging` whether the run fell behind by more
   * than the threshold at any time.
   */
  pace: FireflyPaceSummary | null;
}

/** See {@link FireflyRunSummary.pace}. */
export interface FireflyPaceSummary {
  asked: number;
  achieved: number;
  behindMs: number;
  maxBehindMs: number;
  pausedMs: number;
  lagging: boolean;
}

/** Above this many agents the real-clock run computes R in chunks (about 4 ms per 65k agents). */
const CHUNKED_MONITOR_AGENTS = 100_000;

/** Tracks flashes per simulated second between samples and feeds the status bar. */
class FireflySource implements GridSource {
  readonly width: number;
  readonly height: number;
  readonly periodMs: number;
  readonly lastFlash: Float64Array;
  r = 0;
  flashesPerSec = 0;
  readonly #exp: FireflyExperiment;

  constructor(exp: FireflyExperiment) {
    this.#exp = exp;
    this.width = exp.width;
    this.height = exp.height;
    this.periodMs = exp.periodMs;
    this.lastFlash = exp.lastFlash;
  }

  now(): number {
    return this.#exp.now();
  }

  status(): GridStatus {
    const s = this.#exp.scheduler;
    return {
      agents: this.#exp.agents,
      r: this.r,
      flashesPerSec: this.flashesPerSec,
      simTimeMs: this.#exp.now(),
      clock: s.kind,
      speed: s.speed,
    };
  }
}

/**
 * Run the firefly experiment to the end and summarise it.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * const summary = await runFireflies({ width: 50, height: 50, clock: 'virtual', durationMs: 400_000,
 *   visualize: false, out: process.stdout, isTTY: false, signal: ac.signal });
 * console.log(summary.finalR, summary.rReached);
 * ```
 */
export async function runFireflies(options: FireflyRunOptions): Promise<FireflyRunSummary> {
  const durationMs = options.durationMs;
  if (durationMs !== undefined && !(durationMs > 0 && Number.isFinite(durationMs))) {
    throw new InvalidArgumentError('duration', durationMs, 'must be a finite number > 0');
  }
  const sampleEveryMs = options.sampleEveryMs ?? 1000;
  if (!(sampleEveryMs > 0))
    throw new InvalidArgumentError('sampleEveryMs', sampleEveryMs, 'must be > 0');
  const exp = new FireflyExperiment(options);
  const source = new FireflySource(exp);
  const metrics =
    options.logPath === undefined ? undefined : new MetricsAggregator({ path: options.logPath });
  const clock = exp.scheduler.clock;
  // Headless runs measure the event-loop lag here; with a view, runLive measures it (once).
  const lags = new SampleReservoir(); // whole run, bounded
  const recentLags = new SampleReservoir(4096); // since the last progress line
  const lag = new EventLoopLagSampler((ms) => {
    lags.add(ms);
    recentLags.add(ms);
    metrics?.record('event_loop_lag_ms', ms);
  });

  // [RUN-1] sample R on the experiment's clock
  let sampling = true;
  // flashes/s over the last period: once synchronised, flashes come in bursts once a
  // period, and a shorter window would swing between 0 and N
  const window: Array<[number, number]> = [[0, 0]];
  // Large grids on the real clock compute R in chunks between event-loop turns.
  const chunked = exp.scheduler.kind === 'real' && exp.agents > CHUNKED_MONITOR_AGENTS;
  const record = (t: number, r: number): void => {
    exp.monitor.record(t, r);
    source.r = r;
    window.push([t, exp.telemetry.flashes]);
    while (window.length > 2 && window[1][0] <= t - exp.periodMs) window.shift();
    const [t0, f0] = window[0];
    if (t > t0) source.flashesPerSec = ((exp.telemetry.flashes - f0) * 1000) / (t - t0);
    metrics?.record('r_value', r);
    metrics?.record('flashes_per_s', source.flashesPerSec);
    if (sampling && (durationMs === undefined || t < durationMs)) {
      clock.setTimer(t + sampleEveryMs, sample);
    }
  };
  const sample = (): void => {
    const t = clock.now();
    if (!chunked) record(t, exp.monitor.orderParameter(t));
    else void exp.monitor.orderParameterAsync(t).then((r) => record(t, r));
  };
  exp.monitor.sample(0);

  const inner = new AbortController();
  const onAbort = (): void => {
    sampling = false;
    inner.abort();
    // stop the agents at once, also while a big grid is still starting ([FLY-8]); the
    // shutdown below awaits the same promise and surfaces any error
    exp.stop().catch(() => undefined);
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  const wall0 = performance.now();
  let view: LiveSummary | null = null;
  let progress: NodeJS.Timeout | undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  try {
    if (exp.agents >= 100_000) {
      options.out.write(`starting ${exp.agents} agents (${exp.width}x${exp.height})...\n`);
    }
    await exp.start();
    clock.setTimer(sampleEveryMs, sample);
    if (options.visualize === false) lag.start();
    const viewDone =
      options.visualize === false
        ? null
        : runLive({
            source,
            out: options.out,
            isTTY: options.isTTY,
            ...(options.columns !== undefined && { columns: options.columns }),
            ...(options.rows !== undefined && { rows: options.rows }),
            ...(options.fps !== undefined && { fps: options.fps }),
            ...(options.colors !== undefined && { colors: options.colors }),
            ...(metrics !== undefined && { metrics }),
            signal: inner.signal,
          });
    const onProgress = options.onProgress;
    if (viewDone === null && onProgress !== undefined) {
      let flashes = 0;
      let simAt = 0;
      const expected = (exp.agents * 1000) / exp.periodMs;
      progress = setInterval(() => {
        const now = exp.now();
        const lagP99 = recentLags.count === 0 ? 0 : recentLags.percentile(99);
        recentLags.reset();
        const dSim = (now - simAt) / 1000;
        const rate = dSim > 0 ? (exp.telemetry.flashes - flashes) / dSim : 0;
        flashes = exp.telemetry.flashes;
        simAt = now;
        onProgress(
          `t=${(now / 1000).toFixed(1)}s agents=${exp.agents} R=${source.r.toFixed(3)} ` +
            `flashes/s=${rate.toFixed(0)} (N/T=${expected.toFixed(0)}) ` +
            `sim/wall=${dSim.toFixed(2)}x lag p99=${lagP99.toFixed(1)}ms`,
        );
      }, 1000);
    }
    const stopped = new Promise<void>((resolve) => {
      if (inner.signal.aborted) resolve();
      inner.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    if (durationMs !== undefined && exp.scheduler.kind === 'real') {
      // wall time decides: an overloaded scheduler that lags behind its clock still ends the
      // run when the clock reads the duration, not when its backlog gets there
      const clock = exp.scheduler.clock as RealClock;
      await Promise.race([
        stopped,
        new Promise<void>((resolve) => {
          durationTimer = setTimeout(resolve, Math.max(0, clock.wallDelay(durationMs)));
        }),
      ]);
    } else if (durationMs !== undefined) await Promise.race([exp.runUntil(durationMs), stopped]);
    else if (exp.scheduler.kind === 'real') await stopped;
    else {
      // virtual clock until Ctrl+C: advance one period at a time until aborted
      while (!inner.signal.aborted) await exp.runUntil(exp.now() + exp.periodMs);
    }
    sampling = false;
    lag.stop(); // the lag of shutting a million agents down is not the run's
    inner.abort();
    await exp.stop();
    if (viewDone !== null) view = await viewDone;
  } finally {
    if (durationTimer !== undefined) clearTimeout(durationTimer);
    sampling = false;
    options.signal.removeEventListener('abort', onAbort);
    if (progress !== undefined) clearInterval(progress);
    lag.stop();
    inner.abort();
    await exp.stop();
    await metrics?.close();
  }
  const wallMs = performance.now() - wall0;
  const stats = exp.stats();
  const simSec = stats.simTimeMs / 1000;
  const finalR = exp.monitor.orderParameter(exp.now());
  const reached = (x: number): number | null => {
    const t = exp.monitor.firstTimeAbove(x);
    return t === undefined ? null : t / 1000;
  };
  const s = exp.scheduler;
  return {
    ...stats,
    width: exp.width,
    height: exp.height,
    clock: s.kind,
    seed: s.seed,
    speed: s.speed,
    periodMs: exp.params.periodMs,
    nudgeMs: exp.params.nudgeMs,
    refractoryMs: exp.params.refractoryMs,
    wallMs,
    simSecondsPerWallSecond: wallMs > 0 ? simSec / (wallMs / 1000) : 0,
    flashesPerSec: simSec > 0 ? stats.flashes / simSec : 0,
    expectedFlashesPerSec: (exp.agents * 1000) / exp.params.periodMs,
    finalR,
    rReached: { '0.5': reached(0.5), '0.8': reached(0.8), '0.9': reached(0.9) },
    rSeries: exp.monitor.history.map((h) => [h.t / 1000, h.r]),
    eventLoopLagP99Ms: view?.eventLoopLagP99Ms ?? (lags.count === 0 ? 0 : lags.percentile(99)),
    eventLoopLagMaxMs: view?.eventLoopLagMaxMs ?? (lags.count === 0 ? 0 : lags.max),
    view,
    cancelled: options.signal.aborted,
    pace: null, // filled in by the paced real clock (work in progress)
  };
}
