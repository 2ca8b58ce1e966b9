/**
 * What a firefly run drives (`runFireflies`): the experiment in this thread
 * (FireflyExperiment) or spread over worker threads (ShardedFireflies). The run asks it for
 * what it needs and never reaches into its parts (its scheduler, its clock).
 */
import type { ClockKind } from '../../runtime/index.js';
import type { PacedRun } from '../metrics/pace-meter.js';
import type { ConvergenceMonitor } from '../monitors/convergence-monitor.js';
import type { FireflyModelParams } from '../model/firefly-params.js';

/** Counters of a run. */
export interface FireflyStats {
  agents: number;
  simTimeMs: number;
  flashes: number;
  discardedPulses: number;
  droppedPulses: number;
  /** Agent runs that ended with an error (should stay 0). */
  failedAgents: number;
}

/** One R sample: at simulated `t`, with the flashes counted up to then. */
export type OrderSampleHandler = (t: number, r: number, flashes: number) => void;

/**
 * @example
 * ```ts
 * const target: FireflyRunTarget = workers > 1 ? new ShardedFireflies(options) : new FireflyExperiment(options);
 * ```
 */
export interface FireflyRunTarget extends PacedRun {
  readonly width: number;
  readonly height: number;
  readonly agents: number;
  readonly params: FireflyModelParams;
  readonly periodMs: number;
  readonly seed: number;
  readonly clockKind: ClockKind;
  /** Last flash time per agent, row-major: what the view draws. */
  readonly lastFlash: Float64Array;
  /** R samples are recorded here (`history`, `firstTimeAbove`). */
  readonly monitor: ConvergenceMonitor;
  start(): Promise<void>;
  /** Run every tick up to simulated `t` (paced on the real clock). */
  runUntil(t: number): Promise<void>;
  /** Stop every agent; resolves when all have ended. */
  stop(): Promise<void>;
  stats(): FireflyStats;
  /**
   * Sample R on the run's own clock every `everyMs` of simulated time, through `untilMs`
   * (default: until stopped) [SES-1].
   */
  sampleOrder(everyMs: number, untilMs: number | undefined, onSample: OrderSampleHandler): void;
  /** R now, for a progress line (may be approximate while the run moves on). */
  orderParameterNow(): number;
  pause(): void;
  resume(): void;
  setSpeed(speed: number): void;
  /** The global concurrency limit (`--limit`), or undefined for none. */
  readonly limit: number | undefined;
  /** Change the limit while running (throws when the run started without one). */
  setLimit(n: number): void;
  /** Settles when the run fails from outside the agents (a shard's worker died). */
  readonly failure: Promise<never>;
}
