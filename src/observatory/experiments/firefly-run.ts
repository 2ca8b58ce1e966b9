/**
 * A whole firefly run as the `cascade fireflies` command (and its diagnostics) does it: build
 * the experiment, sample the order parameter at a fixed simulated interval, record metrics,
 * show the grid live (or print progress), stop on time or on abort, and summarise.
 *
 * The figures of a run (R samples, the rate window, metrics, pace, observers, the summary)
 * are its {@link FireflySession}'s; this module composes the session with a target, the
 * terminal view or progress lines, and the ways a run ends.
 *
 * Invariants:
 * - [FRUN-2] Whatever ends the run (duration, abort, `q`, error), agents are stopped, the view
 *   has restored the terminal and the metrics log is flushed and closed before this resolves.
 * - [FRUN-3] `durationMs` is simulated time on both clocks: the run ends when every tick up to
 *   it has run, so a real-clock run that falls behind takes longer in wall time, never less
 *   simulated time (RealClock [RCK-1]).
 * - The session's: R on the run's clock [SES-1], the metrics log's lines [SES-2], the pace
 *   shown [SES-3]; the observers' [OBS-1], [OBS-2].
 */
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { InvalidArgumentError } from '../../errors.js';
import { MetricsAggregator, SampleReservoir } from '../metrics/index.js';
import type { PaceSummary } from '../metrics/pace-meter.js';
import { runLive, EventLoopLagSampler } from '../live/index.js';
import type { KeyInput, LiveKey, LiveSummary } from '../live/index.js';
import { formatProgressLine } from '../render/index.js';
import type { ColorMode } from '../render/index.js';
import { FireflyExperiment } from './firefly-experiment.js';
import type { FireflyExperimentOptions } from './firefly-experiment.js';
import type { FireflyRunTarget } from './firefly-run-target.js';
import { ShardedFireflies } from './firefly-shards.js';
import { MqttShardCoordinator } from './mqtt-shard-coordinator.js';
import type { FireflyRunObserver } from './firefly-run-observer.js';
import { FireflySession } from './firefly-session.js';
import type { FireflySessionSummary } from './firefly-session.js';

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
  /**
   * Worker threads (default 1: the experiment runs in this thread). More cut the grid into
   * bands run in lock-step with live border links; the same seed gives the same flashes.
   */
  workers?: number;
  /**
   * Spread the grid over shard processes through an MQTT broker (`cascade fireflies --shard
   * I/N`): this process coordinates, shows and summarises; it runs no agent. Instead of
   * `workers`.
   */
  processShards?: {
    url: string;
    count: number;
    run?: string;
    onWaiting?: (ready: number, shards: number) => void;
  };
  /** Tests: shard `shard` throws after `rounds` rounds (with `workers` > 1). */
  failShard?: { shard: number; rounds: number };
  /** Simulated ms between two samples of R (default 1000). */
  sampleEveryMs?: number;
  /** Target frames per second of the live view (default 30). */
  fps?: number;
  /** Colour escapes of the live view: '256' (default) or 'truecolor'. */
  colors?: ColorMode;
  signal: AbortSignal;
  /** Headless: called once per wall second with a plain progress line. */
  onProgress?: (line: string) => void;
  /**
   * The live view's keys (a terminal's input, e.g. `process.stdin`): space pauses and resumes,
   * `+` / `-` change the real clock's speed, `q` (or Ctrl+C) ends the run like an abort.
   */
  keys?: KeyInput;
  /** Views of the run besides the terminal (e.g. the WebSocket gateway). [OBS-1] */
  observers?: readonly FireflyRunObserver[];
}

/** What a run reports at its end: its session's figures, and the wall's. */
export interface FireflyRunSummary extends FireflySessionSummary {
  wallMs: number;
  /** Simulated seconds per wall second. */
  simSecondsPerWallSecond: number;
  /** Flashes per simulated second over the whole run (compare `expectedFlashesPerSec`). */
  flashesPerSec: number;
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  view: LiveSummary | null;
  cancelled: boolean;
  /**
   * What stopped the run before its end, when something did: `'quit key'` (q, or Ctrl+C in the
   * live view, which reads keys raw), or the reason the signal was aborted with when that is a
   * string (the CLI aborts with the name of the signal it caught: `'SIGINT'`, `'SIGTERM'`),
   * else `'abort'`.
   */
  stoppedBy?: string;
  /** Shard processes through a broker (`processShards`); absent for a run in this process. */
  shardProcesses?: number;
}

/** See {@link FireflySessionSummary.pace}. */
export type FireflyPaceSummary = PaceSummary;

/** The speeds `+` and `-` step through: 1-2-5 per decade. */
const SPEED_STEPS = [
  0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000,
  100_000,
];

/**
 * The next speed up (`direction` 1) or down (-1) from `speed` on the 1-2-5 steps; the same
 * speed at either end.
 *
 * @example
 * ```ts
 * nextSpeed(10, 1); // 20
 * nextSpeed(3, -1); // 2
 * ```
 */
export function nextSpeed(speed: number, direction: 1 | -1): number {
  if (direction === 1) return SPEED_STEPS.find((s) => s > speed * 1.0001) ?? speed;
  for (let i = SPEED_STEPS.length - 1; i >= 0; i--) {
    if (SPEED_STEPS[i] < speed / 1.0001) return SPEED_STEPS[i];
  }
  return speed;
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
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new InvalidArgumentError('workers', workers, 'must be an integer >= 1');
  }
  const ps = options.processShards;
  const exp: FireflyRunTarget =
    ps !== undefined
      ? new MqttShardCoordinator({
          ...options,
          url: ps.url,
          shards: ps.count,
          sampleEveryMs,
          ...(ps.run !== undefined && { run: ps.run }),
          ...(ps.onWaiting !== undefined && { onWaiting: ps.onWaiting }),
        })
      : workers === 1
        ? new FireflyExperiment(options)
        : new ShardedFireflies({ ...options, workers, sampleEveryMs });
  // [SES-2] per wall second on the real clock, per simulated second on the virtual clock
  const metrics =
    options.logPath === undefined
      ? undefined
      : new MetricsAggregator({
          path: options.logPath,
          intervalMs: exp.clockKind === 'real' ? 1000 : 0,
          simNow: () => exp.now(),
        });
  const session = new FireflySession(exp, {
    workers: ps?.count ?? workers,
    ...(metrics !== undefined && { metrics }),
    ...(options.observers !== undefined && { observers: options.observers }),
    out: options.out,
  });
  let summary: FireflyRunSummary;
  try {
    summary = await run(options, session, metrics, sampleEveryMs);
  } catch (error) {
    // the agents have stopped and the log is closed by now [FRUN-2], [OBS-1]
    session.notifyEnded({ error });
    throw error;
  }
  session.notifyEnded({ summary });
  return summary;
}

/** The run itself: start, show, end on time or on abort, stop, summarise. */
async function run(
  options: FireflyRunOptions,
  session: FireflySession,
  metrics: MetricsAggregator | undefined,
  sampleEveryMs: number,
): Promise<FireflyRunSummary> {
  const exp = session.target;
  const source = session.source;
  const durationMs = options.durationMs;
  const real = exp.clockKind === 'real';
  // Headless runs measure the event-loop lag here; with a view, runLive measures it (once).
  const lags = new SampleReservoir(); // whole run, bounded
  const recentLags = new SampleReservoir(4096); // since the last progress line
  const lag = new EventLoopLagSampler((ms) => {
    lags.add(ms);
    recentLags.add(ms);
    metrics?.record('event_loop_lag_ms', ms);
  });

  const inner = new AbortController();
  let quit = false;
  const onAbort = (): void => {
    session.cancel();
    inner.abort();
    // stop the agents at once, also while a big grid is still starting ([FLY-8]); the
    // shutdown below awaits the same promise and surfaces any error
    exp.stop().catch(() => undefined);
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  const onKey = (key: LiveKey): void => {
    switch (key) {
      case 'pause':
        if (exp.paused) exp.resume();
        else exp.pause();
        break;
      case 'faster':
      case 'slower':
        if (real) exp.setSpeed(nextSpeed(exp.speed, key === 'faster' ? 1 : -1));
        break;
      case 'quit':
        quit = true;
        onAbort();
        break;
    }
  };
  const wall0 = performance.now();
  let view: LiveSummary | null = null;
  let everySecond: NodeJS.Timeout | undefined;
  try {
    if (exp.agents >= 100_000) {
      options.out.write(`starting ${exp.agents} agents (${exp.width}x${exp.height})...\n`);
    }
    await exp.start();
    session.begin(sampleEveryMs, durationMs); // [SES-1]
    if (options.visualize === false) lag.start();
    source.keys = options.keys !== undefined && options.visualize !== false && options.isTTY;
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
            ...(options.keys !== undefined && { keys: { input: options.keys, onKey } }),
            signal: inner.signal,
          });
    const onProgress = viewDone === null ? options.onProgress : undefined;
    everySecond = setInterval(() => {
      // [SES-3] the pace of the last second, for the view, the log and the progress line
      session.second(onProgress !== undefined && exp.agents <= 100_000);
      if (onProgress === undefined) return;
      const lagP99 = recentLags.count === 0 ? undefined : recentLags.percentile(99);
      recentLags.reset();
      onProgress(
        formatProgressLine(source.status(), {
          fps: 0,
          ...(lagP99 !== undefined && { lagP99Ms: lagP99 }),
        }),
      );
    }, 1000);
    const stopped = new Promise<void>((resolve) => {
      if (inner.signal.aborted) resolve();
      inner.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    // [FRUN-3] simulated time on both clocks; a shard's failure ends the run [SHD-6]
    if (durationMs !== undefined) {
      await Promise.race([exp.runUntil(durationMs), stopped, exp.failure]);
    } else if (real) await Promise.race([stopped, exp.failure]);
    else {
      // virtual clock until Ctrl+C: advance one period at a time until aborted
      while (!inner.signal.aborted) {
        await Promise.race([exp.runUntil(exp.now() + exp.periodMs), exp.failure]);
      }
    }
    session.finish();
    lag.stop(); // the lag of shutting a million agents down is not the run's
    inner.abort();
    await exp.stop();
    if (viewDone !== null) view = await viewDone;
  } finally {
    session.cancel();
    options.signal.removeEventListener('abort', onAbort);
    if (everySecond !== undefined) clearInterval(everySecond);
    lag.stop();
    inner.abort();
    await exp.stop();
    await metrics?.close();
  }
  const wallMs = performance.now() - wall0;
  const stoppedBy = quit
    ? 'quit key'
    : !options.signal.aborted
      ? undefined
      : typeof options.signal.reason === 'string'
        ? options.signal.reason
        : 'abort';
  const figures = session.summary();
  const simSec = figures.simTimeMs / 1000;
  return {
    ...figures,
    wallMs,
    simSecondsPerWallSecond: wallMs > 0 ? simSec / (wallMs / 1000) : 0,
    flashesPerSec: simSec > 0 ? figures.flashes / simSec : 0,
    eventLoopLagP99Ms: view?.eventLoopLagP99Ms ?? (lags.count === 0 ? 0 : lags.percentile(99)),
    eventLoopLagMaxMs: view?.eventLoopLagMaxMs ?? (lags.count === 0 ? 0 : lags.max),
    view,
    cancelled: stoppedBy !== undefined,
    ...(stoppedBy !== undefined && { stoppedBy }),
    ...(options.processShards !== undefined && { shardProcesses: options.processShards.count }),
  };
}
