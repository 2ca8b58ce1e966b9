/**
 * GridSource: what the terminal view reads each frame. The firefly experiment implements it
 * (its telemetry lives in typed arrays, so a frame costs no message per flash), and so does the
 * synthetic source of `cascade diag renderer`.
 *
 * Invariants the view relies on:
 * - [GRID-1] `lastFlash.length === width * height`, row-major (`y * width + x`), in the same
 *   time base as `now()`; `NaN` means the cell never flashed.
 * - [GRID-2] Brightness is a pure function of `now() - lastFlash[i]` and `periodMs`: 1 at a
 *   flash, falling linearly to 0 over `0.3 * periodMs` (see {@link brightnessAt}).
 */

/**
 * The fraction of the period over which a flash fades out. [GRID-2]
 *
 * @example
 * ```ts
 * const fadeMs = FLASH_DECAY_FRACTION * 5000; // 1500 ms for a 5 s period
 * ```
 */
export const FLASH_DECAY_FRACTION = 0.3;

/**
 * The figures the status bar and the plain progress line show.
 *
 * @example
 * ```ts
 * const s: GridStatus = { agents: 2500, r: 0.41, flashesPerSec: 503, simTimeMs: 12_000, clock: 'real', speed: 1 };
 * ```
 */
export interface GridStatus {
  /** Number of agents (sources) feeding the grid. */
  agents: number;
  /** Order parameter R in [0, 1]. */
  r: number;
  /** Flashes per second of simulated time, over the source's last measurement window. */
  flashesPerSec: number;
  /** Simulated time in ms. */
  simTimeMs: number;
  /** Which clock drives the source. */
  clock: 'real' | 'virtual';
  /** The nominal flashes per second (N / T), for comparison in the progress line. */
  nominalFlashesPerSec?: number;
  /** Simulated ms per wall ms asked for. */
  speed: number;
  /** Simulated ms per unpaused wall ms over the last second (omit when not measured). */
  achievedSpeed?: number;
  /** Real clock: simulated ms the run trails its pacing target. */
  behindMs?: number;
  /** Real clock: trailing by more than the threshold (the machine cannot keep up). */
  lagging?: boolean;
  /** Simulated time is paused. */
  paused?: boolean;
  /** The view takes keys (space, +/-, q): show them. */
  keys?: boolean;
}

/**
 * A grid the view can draw.
 *
 * @example
 * ```ts
 * const lastFlash = new Float64Array(4).fill(NaN);
 * const t0 = performance.now();
 * const source: GridSource = {
 *   width: 2, height: 2, periodMs: 1000, lastFlash,
 *   now: () => performance.now() - t0,
 *   status: () => ({ agents: 4, r: 0, flashesPerSec: 0, simTimeMs: performance.now() - t0, clock: 'real', speed: 1 }),
 * };
 * ```
 */
export interface GridSource {
  readonly width: number;
  readonly height: number;
  /** Brightness decays over `0.3 * periodMs` after a flash. */
  readonly periodMs: number;
  /** Per cell (row-major), time of the last flash on the source clock; NaN = never. [GRID-1] */
  readonly lastFlash: Float64Array;
  /** Source clock time in ms (simulated time). */
  now(): number;
  /** Figures for the status bar. */
  status(): GridStatus;
}

/**
 * Brightness in [0, 1] of a cell whose last flash was at `lastFlash`, at time `now`. [GRID-2]
 *
 * @example
 * ```ts
 * brightnessAt(1000, 1150, 1000); // 0.5: half-way through a 300 ms fade
 * brightnessAt(NaN, 10, 1000);    // 0: never flashed
 * ```
 */
export function brightnessAt(lastFlash: number, now: number, periodMs: number): number {
  const age = now - lastFlash;
  // NaN (never flashed) fails both comparisons below and ends at 0.
  if (!(age >= 0)) return age < 0 ? 1 : 0;
  const b = 1 - age / (FLASH_DECAY_FRACTION * periodMs);
  return b > 0 ? b : 0;
}
