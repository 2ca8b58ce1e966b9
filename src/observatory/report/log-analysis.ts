/**
 * What `cascade analyze` reports about one metrics log: a summary per metric and the
 * correlations between the figures the Python original's log analysis looked at (frame rate,
 * flush time, render jitter, R, flash rate), one value per log line.
 *
 * Invariants:
 * - [ANA-1] A summary's `min` and `max` are the extremes of every value recorded (the lines'
 *   `min` and `max`), `mean` is weighted by each line's `count` (the mean of every value),
 *   and `p50` / `p99` are percentiles of the lines' averages (a line's values themselves are
 *   not in the log).
 * - [ANA-2] A correlation is Pearson's r over the lines that have both figures; it is `null`
 *   when fewer than 3 lines have both or one of them does not vary (r is undefined there,
 *   and a 0 would claim "no relation").
 */
import { percentileOf } from '../metrics/sample-reservoir.js';
import type { MetricsRun } from './metrics-log.js';
import { metricNames } from './metrics-log.js';

/**
 * One metric over the whole log. [ANA-1]
 *
 * @example
 * ```ts
 * const s: MetricSummary = { metric: 'fps', lines: 60, samples: 60, min: 28, mean: 29.9, p50: 30, p99: 30, max: 31 };
 * ```
 */
export interface MetricSummary {
  metric: string;
  /** Lines of the log that have the metric. */
  lines: number;
  /** Values recorded (the sum of the lines' `count`). */
  samples: number;
  min: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * A correlation between two columns, each `<metric>.<stat>` of a line. [ANA-2]
 *
 * @example
 * ```ts
 * const c: Correlation = { a: 'fps.min', b: 'flush_duration_ms.avg', r: -0.82, n: 58 };
 * ```
 */
export interface Correlation {
  a: string;
  b: string;
  r: number | null;
  /** Lines that have both. */
  n: number;
}

/**
 * The whole analysis of one log.
 *
 * @example
 * ```ts
 * const a: LogAnalysis = analyzeMetricsLog(run);
 * console.log(a.summary[0].metric, a.correlations.length);
 * ```
 */
export interface LogAnalysis {
  name: string;
  timeAxis: 'simulated' | 'wall';
  lines: number;
  skippedLines: number;
  /** First and last time of the log, seconds on its axis. */
  span: [number, number];
  summary: MetricSummary[];
  /** The columns correlated, those of {@link CORRELATED} the log has. */
  columns: string[];
  /** Every pair of `columns`, in order (a before b). */
  correlations: Correlation[];
}

/**
 * The columns whose correlations are reported: the Python original's set (its `fps_min`,
 * `fps_avg`, `flush_duration_ms_avg`, `render_jitter_ms_avg`, `r_value_avg`), with flashes/s
 * for its flash count and the event-loop lag, which this runtime also logs.
 *
 * @example
 * ```ts
 * CORRELATED.includes('fps.min'); // true
 * ```
 */
export const CORRELATED: readonly string[] = [
  'fps.avg',
  'fps.min',
  'flush_duration_ms.avg',
  'render_jitter_ms.avg',
  'event_loop_lag_ms.avg',
  'r_value.avg',
  'flashes_per_s.avg',
];

/**
 * Summarise a parsed log and correlate its figures.
 *
 * @example
 * ```ts
 * const analysis = analyzeMetricsLog(parseMetricsLog(text, 'run.jsonl'));
 * ```
 */
export function analyzeMetricsLog(run: MetricsRun): LogAnalysis {
  const summary: MetricSummary[] = [];
  let first = Infinity;
  let last = -Infinity;
  for (const metric of metricNames([run])) {
    const points = run.metrics.get(metric) ?? [];
    if (points.length === 0) continue;
    let samples = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const p of points) {
      samples += p.count;
      sum += p.avg * p.count;
      if (p.min < min) min = p.min;
      if (p.max > max) max = p.max;
      if (p.t < first) first = p.t;
      if (p.t > last) last = p.t;
    }
    const avgs = Float64Array.from(points, (p) => p.avg);
    summary.push({
      metric,
      lines: points.length,
      samples,
      min,
      mean: samples > 0 ? sum / samples : Number.NaN,
      p50: percentileOf(avgs, 50),
      p99: percentileOf(avgs, 99),
      max,
    });
  }
  // columns by line time: one map per column from t to value
  const columnValues = new Map<string, Map<number, number>>();
  for (const column of CORRELATED) {
    const [metric, stat] = column.split('.') as [string, 'avg' | 'min'];
    const points = run.metrics.get(metric);
    if (points === undefined || points.length === 0) continue;
    const byT = new Map<number, number>();
    for (const p of points) byT.set(p.t, p[stat]);
    columnValues.set(column, byT);
  }
  const columns = CORRELATED.filter((c) => columnValues.has(c));
  const correlations: Correlation[] = [];
  for (let i = 0; i < columns.length; i++) {
    for (let j = i + 1; j < columns.length; j++) {
      const a = columnValues.get(columns[i]) as Map<number, number>;
      const b = columnValues.get(columns[j]) as Map<number, number>;
      const xs: number[] = [];
      const ys: number[] = [];
      for (const [t, x] of a) {
        const y = b.get(t);
        if (y !== undefined) {
          xs.push(x);
          ys.push(y);
        }
      }
      correlations.push({ a: columns[i], b: columns[j], r: pearson(xs, ys), n: xs.length });
    }
  }
  return {
    name: run.name,
    timeAxis: run.timeAxis,
    lines: run.lines,
    skippedLines: run.skipped.length,
    span: Number.isFinite(first) ? [first, last] : [0, 0],
    summary,
    columns,
    correlations,
  };
}

/**
 * Pearson's correlation coefficient, or null when it is undefined. [ANA-2]
 *
 * @example
 * ```ts
 * pearson([1, 2, 3], [2, 4, 6]); // 1
 * pearson([1, 1, 1], [2, 4, 6]); // null: x does not vary
 * ```
 */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 3) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}
