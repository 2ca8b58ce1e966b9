/**
 * `cascade diag renderer`: the terminal view alone, fed by synthetic sources, to measure the
 * renderer in isolation (FPS, frame build+write time, render jitter, event-loop lag) without
 * any agent, scheduler or messaging cost.
 *
 * SyntheticGridSource: S sources, each pinned to a random cell, each flashing U times per
 * second of wall time at a random phase. One 10 ms interval moves every due source's
 * `lastFlash` forward; nothing else runs.
 *
 * Invariants:
 * - [DIAG-R1] Every source flashes at its own fixed rate: over any second, each flashes
 *   U times (+/- 1), so the grid receives S * U flashes per second.
 * - [DIAG-R2] Options are validated before anything starts (InvalidArgumentError naming the
 *   option), so the CLI exits 2 with nothing drawn.
 */
import type { Writable } from 'node:stream';
import { InvalidArgumentError } from '../../errors.js';
import type { Rng } from '../../runtime/clock.js';
import { runLive, type LiveSummary } from '../live/run-live.js';
import type { MetricsAggregator } from '../metrics/metrics-aggregator.js';
import type { GridSource, GridStatus } from '../render/grid-source.js';

/**
 * Options of a {@link SyntheticGridSource}.
 *
 * @example
 * ```ts
 * const options: SyntheticGridSourceOptions = { sources: 5000, rate: 2, width: 50, height: 50 };
 * ```
 */
export interface SyntheticGridSourceOptions {
  /** Number of sources S (>= 1). */
  sources: number;
  /** Flashes per second per source U (> 0). */
  rate: number;
  width: number;
  height: number;
  /** Random numbers for the cells and phases; default Math.random. */
  rng?: Rng;
  /** How often the sources are advanced, ms; default 10. */
  tickMs?: number;
}

const MATH_RANDOM: Rng = { next: () => Math.random() };

/**
 * A GridSource of S independent sources flashing U times per second each on random cells.
 *
 * @example
 * ```ts
 * const source = new SyntheticGridSource({ sources: 5000, rate: 2, width: 50, height: 50 });
 * source.start();
 * // … draw it …
 * source.stop();
 * ```
 */
export class SyntheticGridSource implements GridSource {
  readonly width: number;
  readonly height: number;
  readonly periodMs: number;
  readonly lastFlash: Float64Array;
  readonly #cells: Int32Array;
  readonly #nextFlash: Float64Array;
  readonly #lastOwn: Float64Array;
  readonly #tickMs: number;
  readonly #origin = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #flashes = 0;
  #windowStart = 0;
  #windowFlashes = 0;
  #flashesPerSec = 0;
  #r = 0;
  #rAt = -Infinity;

  constructor(options: SyntheticGridSourceOptions) {
    validateSyntheticOptions(options);
    const rng = options.rng ?? MATH_RANDOM;
    this.width = options.width;
    this.height = options.height;
    this.periodMs = 1000 / options.rate;
    this.#tickMs = options.tickMs ?? 10;
    this.lastFlash = new Float64Array(options.width * options.height).fill(NaN);
    const cells = options.width * options.height;
    this.#cells = new Int32Array(options.sources);
    this.#nextFlash = new Float64Array(options.sources);
    this.#lastOwn = new Float64Array(options.sources).fill(NaN);
    for (let i = 0; i < options.sources; i++) {
      this.#cells[i] = Math.floor(rng.next() * cells);
      this.#nextFlash[i] = rng.next() * this.periodMs;
    }
  }

  /** Number of sources. */
  get sources(): number {
    return this.#cells.length;
  }

  /** Flashes since start. */
  get flashes(): number {
    return this.#flashes;
  }

  /** Milliseconds since the source was created (its clock). */
  now(): number {
    return performance.now() - this.#origin;
  }

  /** Start the single interval that advances every source. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.advance(this.now()), this.#tickMs);
  }

  /** Stop the interval. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Flash every source due at or before `now` (called by the interval; public for tests). */
  advance(now: number): void {
    const next = this.#nextFlash;
    const cells = this.#cells;
    const period = this.periodMs;
    let flashed = 0;
    for (let i = 0; i < next.length; i++) {
      let due = next[i];
      if (due > now) continue;
      // A source late by more than a period flashes once, at its latest due time. [DIAG-R1]
      while (due + period <= now) due += period;
      this.lastFlash[cells[i]] = due;
      this.#lastOwn[i] = due;
      next[i] = due + period;
      flashed++;
    }
    this.#flashes += flashed;
    this.#windowFlashes += flashed;
    if (now - this.#windowStart >= 1000) {
      this.#flashesPerSec = (this.#windowFlashes * 1000) / (now - this.#windowStart);
      this.#windowStart = now;
      this.#windowFlashes = 0;
    }
  }

  /** Status for the view; R is recomputed at most every 250 ms. */
  status(): GridStatus {
    const now = this.now();
    if (now - this.#rAt >= 250) {
      this.#r = this.#orderParameter(now);
      this.#rAt = now;
    }
    return {
      agents: this.#cells.length,
      r: this.#r,
      flashesPerSec: this.#flashesPerSec,
      simTimeMs: now,
      clock: 'real',
      speed: 1,
    };
  }

  #orderParameter(now: number): number {
    let re = 0;
    let im = 0;
    const k = (2 * Math.PI) / this.periodMs;
    for (let i = 0; i < this.#lastOwn.length; i++) {
      const last = this.#lastOwn[i];
      if (Number.isNaN(last)) {
        re += 1; // never flashed: phase 0 by convention
        continue;
      }
      const theta = (now - last) * k;
      re += Math.cos(theta);
      im += Math.sin(theta);
    }
    return Math.hypot(re, im) / this.#lastOwn.length;
  }
}

/**
 * Options of {@link runRendererDiag}.
 *
 * @example
 * ```ts
 * const options: RendererDiagOptions = { out: process.stdout, isTTY: true, signal: ac.signal, sources: 5000 };
 * ```
 */
export interface RendererDiagOptions {
  /** Number of synthetic sources; default 5000. */
  sources?: number;
  /** Flashes per second per source; default 2. */
  rate?: number;
  /** Grid width and height; default 50 x 50. */
  width?: number;
  height?: number;
  /** Wall ms; default 30,000. */
  durationMs?: number;
  /** Target FPS; default 30. */
  fps?: number;
  out: NodeJS.WriteStream | Writable;
  isTTY: boolean;
  columns?: number;
  rows?: number;
  metrics?: MetricsAggregator;
  signal: AbortSignal;
}

/**
 * What `runRendererDiag` reports: its parameters and the live loop's figures.
 *
 * @example
 * ```ts
 * const { fps, flushP99Ms, interrupted } = await runRendererDiag(options);
 * ```
 */
export interface RendererDiagResult extends LiveSummary {
  sources: number;
  rate: number;
  grid: string;
  targetFps: number;
  flashes: number;
  /** True when the run ended because `signal` aborted. */
  interrupted: boolean;
}

/**
 * Validate the numbers of a synthetic source (InvalidArgumentError naming the option). [DIAG-R2]
 *
 * @example
 * ```ts
 * validateSyntheticOptions({ sources: 5000, rate: 2, width: 0, height: 5 }); // throws: width
 * ```
 */
export function validateSyntheticOptions(o: SyntheticGridSourceOptions): void {
  if (!Number.isInteger(o.sources) || o.sources < 1) {
    throw new InvalidArgumentError('sources', o.sources, 'must be an integer >= 1');
  }
  if (!(o.rate > 0) || !Number.isFinite(o.rate)) {
    throw new InvalidArgumentError('rate', o.rate, 'must be a number > 0');
  }
  for (const [name, v] of [
    ['width', o.width],
    ['height', o.height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new InvalidArgumentError(`grid ${name}`, v, 'must be an integer >= 1');
    }
  }
}

/**
 * Run the renderer alone on synthetic sources and report what it achieved.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * const result = await runRendererDiag({ out: process.stdout, isTTY: true, signal: ac.signal, durationMs: 5000 });
 * console.log(result.fps, result.flushP99Ms);
 * ```
 */
export async function runRendererDiag(options: RendererDiagOptions): Promise<RendererDiagResult> {
  const sources = options.sources ?? 5000;
  const rate = options.rate ?? 2;
  const width = options.width ?? 50;
  const height = options.height ?? 50;
  const durationMs = options.durationMs ?? 30_000;
  const fps = options.fps ?? 30;
  if (!(durationMs > 0) || !Number.isFinite(durationMs)) {
    throw new InvalidArgumentError(
      'duration',
      durationMs / 1000,
      'must be a number of seconds > 0',
    );
  }
  if (!(fps > 0 && fps <= 1000)) throw new InvalidArgumentError('fps', fps, 'must be in (0, 1000]');
  const source = new SyntheticGridSource({ sources, rate, width, height });
  source.start();
  try {
    const summary = await runLive({
      source,
      out: options.out,
      isTTY: options.isTTY,
      columns: options.columns,
      rows: options.rows,
      fps,
      metrics: options.metrics,
      signal: options.signal,
      durationMs,
      offscreen: true,
    });
    return {
      sources,
      rate,
      grid: `${width}x${height}`,
      targetFps: fps,
      flashes: source.flashes,
      interrupted: options.signal.aborted,
      ...summary,
    };
  } finally {
    source.stop();
  }
}
