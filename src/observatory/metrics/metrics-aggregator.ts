/**
 * MetricsAggregator: named numeric metrics, aggregated per interval and written as JSONL,
 * one line per interval:
 * `{"t":…,"interval_ms":1000,"sim_t":85000,"metrics":{"fps":{"count":1,"min":30,"avg":30,"max":30,"p99":30},…}}`
 *
 * The interval is either wall time (a timer every `intervalMs`) or whatever the owner decides
 * by calling `flush()` itself (`intervalMs: 0`), e.g. once per simulated second of a
 * virtual-clock run. With `simNow`, every line carries the simulated time it ends at.
 *
 * Invariants:
 * - [MET-1] Nothing recorded is lost: lines are written with synchronous writes to a file
 *   descriptor, `close()` writes the partial last interval, and a `process.on('exit')` hook
 *   does the same if the process ends without `close()` (e.g. `process.exit()` after Ctrl+C).
 * - [MET-2] `close()` is idempotent; `record()` after close is ignored (late producers during
 *   shutdown must not throw).
 * - [MET-3] An interval in which nothing was recorded writes no line.
 * - [MET-4] The interval timer is unref'd and cleared on close: it never keeps a process alive.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { InvalidArgumentError } from '../../errors.js';
import { SampleReservoir } from './sample-reservoir.js';

/**
 * Aggregate of one metric over one interval.
 *
 * @example
 * ```ts
 * const fps: MetricStats = { count: 1, min: 30, avg: 30, max: 30, p99: 30 };
 * ```
 */
export interface MetricStats {
  count: number;
  min: number;
  avg: number;
  max: number;
  p99: number;
}

/**
 * One JSONL line.
 *
 * @example
 * ```ts
 * const line = JSON.parse(text) as MetricsLine;
 * console.log(line.metrics.fps?.avg);
 * ```
 */
export interface MetricsLine {
  /** `now()` at the end of the interval, ms. */
  t: number;
  /** Length of the interval, ms. */
  interval_ms: number;
  /** Simulated time at the end of the interval, ms (when the aggregator has `simNow`). */
  sim_t?: number;
  metrics: Record<string, MetricStats>;
}

/**
 * Options of a {@link MetricsAggregator}.
 *
 * @example
 * ```ts
 * const options: MetricsAggregatorOptions = { path: 'run.jsonl', intervalMs: 1000 };
 * ```
 */
export interface MetricsAggregatorOptions {
  /** JSONL file to write (created or truncated). Without it, lines only go to `onLine`. */
  path?: string;
  /** Length of an interval in ms; default 1000. `0` disables the timer (flush by hand). */
  intervalMs?: number;
  /** Time source for `t` and `interval_ms`; default `Date.now`. */
  now?: () => number;
  /** Simulated time source: when given, every line carries `sim_t` (ms). */
  simNow?: () => number;
  /** Called with every line written. */
  onLine?: (line: MetricsLine) => void;
}

/**
 * Records named metrics and writes one JSONL line per interval.
 *
 * @example
 * ```ts
 * const metrics = new MetricsAggregator({ path: 'run.jsonl' });
 * metrics.record('fps', 30);
 * metrics.record('render_jitter_ms', 1.2);
 * await metrics.close(); // writes the last line, closes the file
 * ```
 */
export class MetricsAggregator {
  readonly #now: () => number;
  readonly #simNow: (() => number) | undefined;
  readonly #onLine: ((line: MetricsLine) => void) | undefined;
  readonly #path: string | undefined;
  #fd: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #intervalStart: number;
  #closed = false;
  readonly #metrics = new Map<string, SampleReservoir>();
  readonly #onExit = (): void => {
    this.#closeSync();
  };

  constructor(options: MetricsAggregatorOptions = {}) {
    const intervalMs = options.intervalMs ?? 1000;
    if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) {
      throw new InvalidArgumentError('intervalMs', intervalMs, 'must be a finite number >= 0');
    }
    this.#now = options.now ?? Date.now;
    this.#simNow = options.simNow;
    this.#onLine = options.onLine;
    this.#path = options.path;
    if (options.path !== undefined) this.#fd = openSync(options.path, 'w');
    this.#intervalStart = this.#now();
    if (intervalMs > 0) {
      this.#timer = setInterval(() => this.flush(), intervalMs);
      this.#timer.unref(); // [MET-4]
    }
    process.on('exit', this.#onExit);
  }

  /** The JSONL file, if any. */
  get path(): string | undefined {
    return this.#path;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Record one value of metric `name` (ignored after close). [MET-2] */
  record(name: string, value: number): void {
    if (this.#closed) return;
    let reservoir = this.#metrics.get(name);
    if (reservoir === undefined) {
      reservoir = new SampleReservoir(8192);
      this.#metrics.set(name, reservoir);
    }
    reservoir.add(value);
  }

  /**
   * End the current interval: write its line (if anything was recorded [MET-3]) and start the
   * next. Returns the line, or undefined when there was nothing to write. `simT` is the
   * simulated time the interval ends at (default `simNow()`).
   */
  flush(simT?: number): MetricsLine | undefined {
    if (this.#closed) return undefined;
    const now = this.#now();
    const metrics: Record<string, MetricStats> = {};
    let any = false;
    for (const [name, r] of this.#metrics) {
      if (r.count === 0) continue;
      any = true;
      metrics[name] = {
        count: r.count,
        min: round(r.min),
        avg: round(r.mean),
        max: round(r.max),
        p99: round(r.percentile(99)),
      };
      r.reset();
    }
    const interval_ms = round(now - this.#intervalStart);
    const sim = simT ?? this.#simNow?.();
    const line: MetricsLine =
      sim === undefined
        ? { t: now, interval_ms, metrics }
        : { t: now, interval_ms, sim_t: round(sim), metrics };
    this.#intervalStart = now;
    if (!any) return undefined;
    if (this.#fd !== undefined) writeSync(this.#fd, `${JSON.stringify(line)}\n`);
    this.#onLine?.(line);
    return line;
  }

  /** Write the last interval, stop the timer and close the file. Idempotent. [MET-1][MET-2] */
  close(): Promise<void> {
    this.#closeSync();
    return Promise.resolve();
  }

  #closeSync(): void {
    if (this.#closed) return;
    try {
      this.flush();
    } finally {
      this.#closed = true;
      if (this.#timer !== undefined) clearInterval(this.#timer);
      this.#timer = undefined;
      process.off('exit', this.#onExit);
      if (this.#fd !== undefined) closeSync(this.#fd);
      this.#fd = undefined;
    }
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
