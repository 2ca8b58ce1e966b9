/**
 * Views of a firefly run other than the terminal (the gateway, a test): `runFireflies` hands
 * each observer a {@link FireflyRunControl} when the run has started, each R sample as it is
 * taken, and the summary at the end. The observatory knows nothing of who observes: the CLI
 * plugs the WebSocket gateway in here, so the observatory never imports the gateway.
 *
 * Invariants:
 * - [OBS-1] `started` is called once, after the agents have started and before the first
 *   sample; `sample` in simulated-time order; `ended` once, after the agents have stopped
 *   (also when the run failed or was cancelled). An observer that throws is reported on the
 *   run's output and does not end the run.
 * - [OBS-2] A control call from an observer acts exactly as the same key in the live view
 *   (space, `+`/`-`): the real clock paces simulated time and never reshapes it, so a run
 *   steered from outside differs from an unsteered one only in wall time.
 */
import type { ClockKind } from '../../runtime/index.js';
import type { GridStatus } from '../render/index.js';
import type { FireflyRunSummary } from './firefly-run.js';

/** What an observer may read and steer while the run goes. */
export interface FireflyRunControl {
  readonly width: number;
  readonly height: number;
  readonly agents: number;
  readonly periodMs: number;
  readonly seed: number;
  readonly clockKind: ClockKind;
  /** Worker threads the grid runs on. */
  readonly workers: number;
  /** Simulated ms now. */
  now(): number;
  /**
   * Each cell's brightness, row-major into `out` (`width * height` bytes), one byte a cell:
   * the terminal view's 16 levels as 0, 17, 34, ... 255 (0 dark or never flashed, 255
   * flashing now).
   */
  snapshot(out: Uint8Array): void;
  /** The figures of the status bar (R, flashes/s, speed, pace, paused). */
  status(): GridStatus;
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  /** Real clock only: simulated ms per wall ms (throws on the virtual clock). */
  setSpeed(speed: number): void;
  /** The global concurrency limit (`--limit`), or undefined for none. */
  readonly limit: number | undefined;
  /** Change the limit while running (throws when the run started without one, or is sharded). */
  setLimit(n: number): void;
}

/** One R sample as the run records it. */
export interface FireflyRunSample {
  /** Simulated seconds. */
  t: number;
  r: number;
  /** Flashes per simulated second over the last period. */
  flashesPerSec: number;
}

/**
 * An outside view of a run. Every method is optional.
 *
 * @example
 * ```ts
 * const seen: number[] = [];
 * await runFireflies({ ...options, observers: [{ sample: (s) => seen.push(s.r) }] });
 * ```
 */
export interface FireflyRunObserver {
  started?(control: FireflyRunControl): void;
  sample?(sample: FireflyRunSample): void;
  /** The run's summary, or the error that ended it. */
  ended?(outcome: { summary: FireflyRunSummary } | { error: unknown }): void;
}
