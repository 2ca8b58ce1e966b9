/**
 * A metrics log read back: the JSONL a run writes with `--log` (MetricsAggregator), turned
 * into one time series per metric, for `cascade plot` and `cascade analyze`.
 *
 * Invariants:
 * - [LOG-1] The time axis is simulated seconds (`sim_t / 1000`) when the log's first metrics
 *   line has `sim_t`; otherwise (logs written before `sim_t` existed) wall seconds since the
 *   first line. A run's series all share its axis.
 * - [LOG-2] A line that is not a metrics line (not JSON, no `metrics` object, a stats entry
 *   without a finite `avg`) is skipped and counted, never fatal; a log with no metrics line at
 *   all is an InvalidMetricsLogError.
 */
import { InvalidMetricsLogError } from '../../errors.js';

/**
 * One metric in one line of the log: its time and its aggregate over the line's interval.
 *
 * @example
 * ```ts
 * const p: MetricPoint = { t: 12, count: 1, min: 0.4, avg: 0.4, max: 0.4, p99: 0.4 };
 * ```
 */
export interface MetricPoint {
  /** Seconds on the run's time axis [LOG-1]. */
  t: number;
  count: number;
  min: number;
  avg: number;
  max: number;
  p99: number;
}

/**
 * A parsed metrics log.
 *
 * @example
 * ```ts
 * const run = parseMetricsLog(readFileSync('run.jsonl', 'utf8'), 'run.jsonl');
 * console.log(run.metrics.get('r_value')?.at(-1)?.avg);
 * ```
 */
export interface MetricsRun {
  /** What the run is called in legends and tables (usually the file's name). */
  name: string;
  /** [LOG-1] */
  timeAxis: 'simulated' | 'wall';
  /** Metrics lines read. */
  lines: number;
  /** Line numbers (1-based) skipped as not metrics lines [LOG-2]. */
  skipped: number[];
  /** Points per metric, in the order of the log. */
  metrics: Map<string, MetricPoint[]>;
}

interface RawLine {
  t?: unknown;
  sim_t?: unknown;
  metrics?: unknown;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Parse a metrics log's text.
 *
 * @example
 * ```ts
 * const run = parseMetricsLog('{"t":1,"interval_ms":1000,"sim_t":1000,"metrics":{"r_value":{"count":1,"min":0.1,"avg":0.1,"max":0.1,"p99":0.1}}}\n', 'a');
 * run.timeAxis; // 'simulated'
 * ```
 */
export function parseMetricsLog(text: string, name: string): MetricsRun {
  const metrics = new Map<string, MetricPoint[]>();
  const skipped: number[] = [];
  let timeAxis: 'simulated' | 'wall' | undefined;
  let t0 = 0;
  let lines = 0;
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i].trim();
    if (row === '') continue;
    let raw: RawLine;
    try {
      raw = JSON.parse(row) as RawLine;
    } catch {
      skipped.push(i + 1);
      continue;
    }
    const m = raw?.metrics;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      skipped.push(i + 1);
      continue;
    }
    if (timeAxis === undefined) {
      if (finite(raw.sim_t)) timeAxis = 'simulated';
      else if (finite(raw.t)) {
        timeAxis = 'wall';
        t0 = raw.t;
      } else {
        skipped.push(i + 1);
        continue;
      }
    }
    const tRaw = timeAxis === 'simulated' ? raw.sim_t : raw.t;
    if (!finite(tRaw)) {
      skipped.push(i + 1);
      continue;
    }
    const t = timeAxis === 'simulated' ? tRaw / 1000 : (tRaw - t0) / 1000;
    lines++;
    for (const [metric, stats] of Object.entries(m as Record<string, unknown>)) {
      const s = stats as Partial<Record<keyof MetricPoint, unknown>> | null;
      if (s === null || typeof s !== 'object' || !finite(s.avg)) continue;
      const avg = s.avg;
      const point: MetricPoint = {
        t,
        count: finite(s.count) ? s.count : 1,
        min: finite(s.min) ? s.min : avg,
        avg,
        max: finite(s.max) ? s.max : avg,
        p99: finite(s.p99) ? s.p99 : avg,
      };
      let series = metrics.get(metric);
      if (series === undefined) metrics.set(metric, (series = []));
      series.push(point);
    }
  }
  if (lines === 0) {
    const total = rows.filter((r) => r.trim() !== '').length;
    throw new InvalidMetricsLogError(
      name,
      total === 0 ? 'the file is empty' : `no metrics line among ${total} lines`,
    );
  }
  return { name, timeAxis: timeAxis ?? 'wall', lines, skipped, metrics };
}

/** The order metrics are shown in when none is asked for: the run's story first. */
const PREFERRED = [
  'r_value',
  'flashes_per_s',
  'fps',
  'flush_duration_ms',
  'render_jitter_ms',
  'event_loop_lag_ms',
  'speed_achieved',
  'behind_s',
];

/**
 * Every metric present in any of `runs`: the known ones in a fixed order, then the rest by
 * name. Deterministic, so plots of the same logs are the same bytes.
 *
 * @example
 * ```ts
 * metricNames([run]); // ['r_value', 'flashes_per_s', 'event_loop_lag_ms']
 * ```
 */
export function metricNames(runs: readonly MetricsRun[]): string[] {
  const present = new Set<string>();
  for (const run of runs) for (const name of run.metrics.keys()) present.add(name);
  const known = PREFERRED.filter((n) => present.has(n));
  const rest = [...present].filter((n) => !PREFERRED.includes(n)).sort();
  return [...known, ...rest];
}
