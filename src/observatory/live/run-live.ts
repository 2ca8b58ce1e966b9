/**
 * The live loop: paces frames of the terminal view, measures how well it keeps its pace, and
 * always gives the terminal back.
 *
 * On a terminal: alternate screen, a frame every `1000 / fps` ms (deadline-paced, so a late
 * frame does not shift the ones after it; missed deadlines are skipped, never bunched), a full
 * redraw on resize. Not a terminal: no escape codes at all, one plain progress line per second
 * (and, with `offscreen`, frames are still built, into a discarding sink, so the renderer's
 * cost can be measured from a pipe).
 *
 * Measured and recorded to the MetricsAggregator (when given):
 * - `fps`: frames in the last second, once per second;
 * - `render_jitter_ms`: actual interval between two frames minus the target interval;
 * - `flush_duration_ms`: time to build the frame and hand it to `write`;
 * - `event_loop_lag_ms`: drift of a 10 ms timer (EventLoopLagSampler).
 *
 * Invariants:
 * - [LIVE-1] The terminal is restored (cursor shown, colours reset, normal screen) on every
 *   exit path: duration over, signal aborted, an exception while drawing; and by
 *   TerminalGuard's `process.on('exit')` hook as a last resort.
 * - [LIVE-2] When the promise settles, every timer and listener runLive created is gone: the
 *   process can exit naturally.
 * - [LIVE-3] One `write` per frame (AnsiRenderer [REND-1]).
 * - [LIVE-4] Backpressure: while `out` needs a drain, frames are skipped (the next one draws
 *   the latest state), so a slow terminal costs frames, never memory.
 * - [LIVE-5] On a terminal with `keys`, the view reads keys (KeyReader) and hands each action
 *   to `keys.onKey`; the input is given back on every exit path, with the terminal [LIVE-1].
 */
import { Writable } from 'node:stream';
import { InvalidArgumentError } from '../../errors.js';
import type { MetricsAggregator } from '../metrics/metrics-aggregator.js';
import { SampleReservoir } from '../metrics/sample-reservoir.js';
import { AnsiRenderer } from '../render/ansi-renderer.js';
import type { GridSource } from '../render/grid-source.js';
import type { ColorMode } from '../render/palette.js';
import { formatProgressLine, type ViewFigures } from '../render/status-bar.js';
import { TerminalGuard } from '../render/terminal-guard.js';
import { EventLoopLagSampler } from './event-loop-lag.js';
import { KeyReader, type KeyInput, type LiveKey } from './key-reader.js';

/**
 * Options of {@link runLive}.
 *
 * @example
 * ```ts
 * const options: LiveOptions = { source, out: process.stdout, isTTY: true, fps: 30, signal: ac.signal };
 * ```
 */
export interface LiveOptions {
  source: GridSource;
  out: NodeJS.WriteStream | Writable;
  /** Whether `out` is a terminal: decides between the live view and plain progress lines. */
  isTTY: boolean;
  /** Terminal size; default `out.columns` / `out.rows`, else 80 x 24. */
  columns?: number;
  rows?: number;
  /** Target frames per second; default 30. */
  fps?: number;
  metrics?: MetricsAggregator;
  signal: AbortSignal;
  /** Wall ms to run; undefined = until `signal` aborts. */
  durationMs?: number;
  /** Not a TTY: still build frames (into a discarding sink) to measure the renderer. */
  offscreen?: boolean;
  /** Colour escapes; default '256'. */
  colors?: ColorMode;
  /** Keys of the live view (terminal only): where they come from and who acts on them. */
  keys?: { input: KeyInput; onKey: (key: LiveKey) => void };
}

/**
 * What a live run measured. Percentiles are NaN when there was no sample.
 *
 * @example
 * ```ts
 * const { fps, renderJitterP99Ms } = await runLive(options);
 * ```
 */
export interface LiveSummary {
  frames: number;
  fps: number;
  renderJitterP99Ms: number;
  flushP99Ms: number;
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  wallMs: number;
}

type SizedStream = Writable & { columns?: unknown; rows?: unknown };

/**
 * Run the live view until `signal` aborts or `durationMs` passes; always restores the terminal.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * process.once('SIGINT', () => ac.abort());
 * const summary = await runLive({ source, out: process.stdout, isTTY: process.stdout.isTTY, signal: ac.signal });
 * console.log(summary.fps, summary.renderJitterP99Ms);
 * ```
 */
export function runLive(options: LiveOptions): Promise<LiveSummary> {
  const fps = options.fps ?? 30;
  if (!(fps > 0 && fps <= 1000)) throw new InvalidArgumentError('fps', fps, 'must be in (0, 1000]');
  const durationMs = options.durationMs;
  if (durationMs !== undefined && !(durationMs >= 0 && Number.isFinite(durationMs))) {
    throw new InvalidArgumentError('durationMs', durationMs, 'must be a finite number >= 0');
  }
  return new Promise<LiveSummary>((resolve, reject) => {
    new LiveLoop(options, fps, resolve, reject).start();
  });
}

class LiveLoop {
  readonly #opts: LiveOptions;
  readonly #out: SizedStream;
  readonly #intervalMs: number;
  readonly #resolve: (s: LiveSummary) => void;
  readonly #reject: (e: unknown) => void;
  readonly #metrics: MetricsAggregator | undefined;
  readonly #guard: TerminalGuard | undefined;
  readonly #renderer: AnsiRenderer | undefined;
  readonly #lag: EventLoopLagSampler;
  readonly #keys: KeyReader | undefined;
  // whole run
  readonly #jitterAll = new SampleReservoir();
  readonly #flushAll = new SampleReservoir();
  readonly #lagAll = new SampleReservoir();
  // last second
  readonly #flushSecond = new SampleReservoir(4096);
  readonly #lagSecond = new SampleReservoir(4096);
  readonly #view: ViewFigures = { fps: 0, flushP99Ms: undefined, lagP99Ms: undefined };
  #start = 0;
  #frames = 0;
  #framesAtSecond = 0;
  #secondStart = 0;
  #frameIndex = 0;
  #lastFrameAt = NaN;
  #frameTimer: NodeJS.Timeout | undefined;
  #secondTimer: NodeJS.Timeout | undefined;
  #durationTimer: NodeJS.Timeout | undefined;
  #done = false;
  readonly #onAbort = (): void => this.#finish();
  readonly #onResize = (): void => this.#resize();
  readonly #tick = (): void => this.#frame();
  readonly #second = (): void => this.#everySecond();

  constructor(
    opts: LiveOptions,
    fps: number,
    resolve: (s: LiveSummary) => void,
    reject: (e: unknown) => void,
  ) {
    this.#opts = opts;
    this.#out = opts.out;
    this.#intervalMs = 1000 / fps;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#metrics = opts.metrics;
    this.#lag = new EventLoopLagSampler((ms) => {
      this.#lagAll.add(ms);
      this.#lagSecond.add(ms);
      this.#metrics?.record('event_loop_lag_ms', ms);
    });
    if (opts.isTTY) {
      this.#guard = new TerminalGuard(this.#out);
      if (opts.keys !== undefined) {
        const keys = opts.keys;
        this.#keys = new KeyReader(keys.input, (key) => {
          if (this.#done) return;
          try {
            keys.onKey(key);
          } catch (error) {
            this.#finish(error);
          }
        });
      }
      this.#renderer = new AnsiRenderer({
        source: opts.source,
        out: this.#out,
        columns: opts.columns ?? sizeOf(this.#out.columns, 80),
        rows: opts.rows ?? sizeOf(this.#out.rows, 24),
        colors: opts.colors,
      });
    } else if (opts.offscreen === true) {
      this.#renderer = new AnsiRenderer({
        source: opts.source,
        out: new Writable({ write: (_chunk, _enc, cb) => cb() }),
        columns: opts.columns ?? 100,
        rows: opts.rows ?? 40,
        colors: opts.colors,
      });
    }
  }

  start(): void {
    this.#start = performance.now();
    this.#secondStart = this.#start;
    if (this.#opts.signal.aborted) {
      this.#finish();
      return;
    }
    this.#opts.signal.addEventListener('abort', this.#onAbort, { once: true });
    if (this.#opts.durationMs !== undefined) {
      this.#durationTimer = setTimeout(this.#onAbort, this.#opts.durationMs);
    }
    try {
      this.#guard?.enter();
      if (this.#guard !== undefined) this.#out.on('resize', this.#onResize);
      this.#keys?.start(); // [LIVE-5]
      this.#lag.start();
      this.#secondTimer = setInterval(this.#second, 1000);
      if (this.#renderer !== undefined) this.#frame();
    } catch (error) {
      this.#finish(error);
    }
  }

  #frame(): void {
    if (this.#done) return;
    const renderer = this.#renderer!;
    try {
      const t0 = performance.now();
      if (!Number.isNaN(this.#lastFrameAt)) {
        const jitter = t0 - this.#lastFrameAt - this.#intervalMs;
        this.#jitterAll.add(jitter);
        this.#metrics?.record('render_jitter_ms', jitter);
      }
      this.#lastFrameAt = t0;
      // [LIVE-4] A terminal still busy with the previous frame (an asynchronous stream that
      // needs a drain) gets no new frame: frames are conflated, never queued without bound.
      if (!this.#out.writableNeedDrain) {
        renderer.renderFrame(this.#view);
        const flush = performance.now() - t0;
        this.#frames++;
        this.#flushAll.add(flush);
        this.#flushSecond.add(flush);
        this.#metrics?.record('flush_duration_ms', flush);
      }
      // Deadline pacing: frame n is due at start + n * interval; skip deadlines already past.
      const now = performance.now();
      this.#frameIndex++;
      let due = this.#start + this.#frameIndex * this.#intervalMs;
      if (due < now) {
        this.#frameIndex = Math.ceil((now - this.#start) / this.#intervalMs);
        due = this.#start + this.#frameIndex * this.#intervalMs;
      }
      this.#frameTimer = setTimeout(this.#tick, Math.max(0, due - now));
    } catch (error) {
      this.#finish(error);
    }
  }

  #everySecond(): void {
    if (this.#done) return;
    try {
      const now = performance.now();
      const fps = ((this.#frames - this.#framesAtSecond) * 1000) / (now - this.#secondStart);
      this.#framesAtSecond = this.#frames;
      this.#secondStart = now;
      this.#view.fps = fps;
      this.#view.flushP99Ms =
        this.#flushSecond.count > 0 ? this.#flushSecond.percentile(99) : undefined;
      this.#view.lagP99Ms = this.#lagSecond.count > 0 ? this.#lagSecond.percentile(99) : undefined;
      this.#flushSecond.reset();
      this.#lagSecond.reset();
      if (this.#renderer !== undefined) this.#metrics?.record('fps', fps);
      if (!this.#opts.isTTY) {
        this.#out.write(`${formatProgressLine(this.#opts.source.status(), this.#view)}\n`);
      }
    } catch (error) {
      this.#finish(error);
    }
  }

  #resize(): void {
    const renderer = this.#renderer;
    if (renderer === undefined || this.#done) return;
    renderer.resize(
      sizeOf(this.#out.columns, renderer.layout.columns),
      sizeOf(this.#out.rows, renderer.layout.rows),
    );
  }

  #finish(error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    // [LIVE-2] every timer and listener goes, whatever happens below.
    clearTimeout(this.#frameTimer);
    clearInterval(this.#secondTimer);
    clearTimeout(this.#durationTimer);
    this.#lag.stop();
    this.#opts.signal.removeEventListener('abort', this.#onAbort);
    this.#out.off('resize', this.#onResize);
    let failure = error;
    try {
      this.#keys?.stop(); // [LIVE-5]
    } catch (keysError) {
      failure ??= keysError;
    }
    try {
      this.#guard?.restore(); // [LIVE-1]
    } catch (restoreError) {
      failure ??= restoreError;
    }
    if (failure !== undefined) {
      this.#reject(failure);
      return;
    }
    const wallMs = performance.now() - this.#start;
    this.#resolve({
      frames: this.#frames,
      fps: wallMs > 0 ? (this.#frames * 1000) / wallMs : 0,
      renderJitterP99Ms: this.#jitterAll.percentile(99),
      flushP99Ms: this.#flushAll.percentile(99),
      eventLoopLagP99Ms: this.#lagAll.percentile(99),
      eventLoopLagMaxMs: this.#lagAll.max,
      wallMs,
    });
  }
}

function sizeOf(value: unknown, fallback: number): number {
  return typeof value === 'number' && value > 0 ? value : fallback;
}
