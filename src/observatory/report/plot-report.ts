/**
 * `cascade plot`'s output for one or more metrics logs: a standalone SVG of stacked charts,
 * a self-contained HTML report (the same charts inlined, plus a summary table per run), or
 * Braille charts for a terminal. Runs overlay on one time axis, one colour each.
 *
 * Invariants:
 * - [PLT-1] Deterministic: the same logs and options give the same bytes (no date, no
 *   absolute path, no random id), so outputs are golden files in the tests.
 * - [PLT-2] The HTML has no script and no external reference: it opens offline, anywhere.
 * - [PLT-3] A metric asked for that no run has is an InvalidArgumentError naming the metrics
 *   the logs do have; one that only some runs have is drawn for those.
 */
import { InvalidArgumentError } from '../../errors.js';
import { analyzeMetricsLog } from './log-analysis.js';
import { formatTick } from './chart-scale.js';
import { metricNames } from './metrics-log.js';
import type { MetricsRun } from './metrics-log.js';
import { escapeXml, RUN_COLORS, svgDocument, renderChartGroup, xExtent } from './svg-chart.js';
import type { ChartSpec } from './svg-chart.js';
import { renderTextChart } from './text-chart.js';

/**
 * Output formats of {@link plotRuns}.
 *
 * @example
 * ```ts
 * const format: PlotFormat = out.endsWith('.svg') ? 'svg' : 'html';
 * ```
 */
export type PlotFormat = 'html' | 'svg' | 'text';

/**
 * Options of {@link plotRuns}.
 *
 * @example
 * ```ts
 * const options: PlotOptions = { metrics: ['r_value'], columns: 100, color: true };
 * ```
 */
export interface PlotOptions {
  /** Metrics to chart, in order; default every metric in the logs (`metricNames`). */
  metrics?: readonly string[];
  /** Text: the terminal's width in columns (default 80). */
  columns?: number;
  /** Text: plot rows per chart (default 10). */
  rows?: number;
  /** Text: ANSI colours (default false). */
  color?: boolean;
}

const UNITS: Record<string, string> = {
  r_value: 'R, order parameter (0..1)',
  flashes_per_s: 'flashes per simulated second',
  fps: 'frames per second of the live view',
  flush_duration_ms: 'ms to build and write a frame',
  render_jitter_ms: 'ms between frames minus the target',
  event_loop_lag_ms: 'ms the event loop was late',
  speed_achieved: 'simulated s per wall s',
  behind_s: 'simulated s behind the paced target',
};

/**
 * The metrics to chart: those asked for (checked [PLT-3]) or every one present.
 *
 * @example
 * ```ts
 * selectMetrics([run], ['r_value']); // ['r_value']
 * ```
 */
export function selectMetrics(
  runs: readonly MetricsRun[],
  asked: readonly string[] | undefined,
): string[] {
  const present = metricNames(runs);
  if (asked === undefined || asked.length === 0) return present;
  for (const m of asked) {
    if (!present.includes(m)) {
      throw new InvalidArgumentError(
        'metric',
        m,
        `not in the log(s); they have ${present.join(', ')}`,
      );
    }
  }
  return [...new Set(asked)];
}

function xLabel(runs: readonly MetricsRun[]): string {
  const axes = new Set(runs.map((r) => r.timeAxis));
  if (axes.size > 1) return 'seconds (simulated; wall for logs without sim_t)';
  return axes.has('simulated') ? 'simulated seconds' : 'wall seconds since the first line';
}

function charts(
  runs: readonly MetricsRun[],
  metrics: readonly string[],
  width: number,
): ChartSpec[] {
  const label = xLabel(runs);
  return metrics.map((metric) => {
    const series = runs.map((run, i) => ({
      name: run.name,
      color: RUN_COLORS[i % RUN_COLORS.length],
      points: run.metrics.get(metric) ?? [],
    }));
    const unit = UNITS[metric];
    return {
      title: unit === undefined ? metric : `${metric}: ${unit}`,
      xLabel: label,
      width,
      height: 260,
      series,
      // one time axis for every chart of the report [PLT-1]
      xDomain: xExtent(runs.flatMap((r) => [...r.metrics.values()].map((points) => ({ points })))),
    };
  });
}

/**
 * Plot `runs` as `format`.
 *
 * @example
 * ```ts
 * const runs = files.map((f) => parseMetricsLog(readFileSync(f, 'utf8'), basename(f)));
 * writeFileSync('report.html', plotRuns(runs, 'html', { metrics: ['r_value', 'fps'] }));
 * ```
 */
export function plotRuns(
  runs: readonly MetricsRun[],
  format: PlotFormat,
  options: PlotOptions = {},
): string {
  if (runs.length === 0) throw new InvalidArgumentError('runs', 0, 'plot needs at least one log');
  const metrics = selectMetrics(runs, options.metrics);
  switch (format) {
    case 'svg':
      return svgDocument(charts(runs, metrics, 800));
    case 'html':
      return htmlReport(runs, metrics);
    case 'text': {
      const columns = options.columns ?? 80;
      const rows = options.rows ?? 10;
      const label = xLabel(runs);
      const xDomain = xExtent(
        runs.flatMap((r) => [...r.metrics.values()].map((points) => ({ points }))),
      );
      const blocks = metrics.map((metric) =>
        renderTextChart({
          title: UNITS[metric] === undefined ? metric : `${metric}: ${UNITS[metric]}`,
          xLabel: label,
          width: columns,
          height: rows,
          color: options.color === true,
          xDomain,
          series: runs.map((run) => ({ name: run.name, points: run.metrics.get(metric) ?? [] })),
        }).join('\n'),
      );
      return `${blocks.join('\n\n')}\n`;
    }
  }
}

const CSS = `body{font-family:system-ui,sans-serif;margin:24px;color:#111;max-width:880px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}figure{margin:12px 0}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;border-bottom:1px solid #e5e7eb;text-align:right}
th:first-child,td:first-child{text-align:left}.swatch{display:inline-block;width:12px;height:8px;margin-right:6px}`;

function htmlReport(runs: readonly MetricsRun[], metrics: readonly string[]): string {
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(`Cascade metrics: ${runs.map((r) => r.name).join(', ')}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<h1>Cascade metrics</h1>',
    '<ul>',
  ];
  runs.forEach((run, i) => {
    out.push(
      `<li><span class="swatch" style="background:${RUN_COLORS[i % RUN_COLORS.length]}"></span>` +
        `${escapeXml(run.name)}: ${run.lines} lines, ${run.timeAxis} time` +
        `${run.skipped.length > 0 ? `, ${run.skipped.length} lines skipped` : ''}</li>`,
    );
  });
  out.push('</ul>');
  for (const spec of charts(runs, metrics, 800)) {
    out.push(
      `<figure><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeXml(spec.title)}" width="${spec.width}" height="${spec.height}" viewBox="0 0 ${spec.width} ${spec.height}">`,
      renderChartGroup(spec),
      '</svg></figure>',
    );
  }
  for (const run of runs) {
    const a = analyzeMetricsLog(run);
    out.push(
      `<h2>${escapeXml(run.name)}</h2>`,
      '<table><thead><tr><th>metric</th><th>lines</th><th>samples</th><th>min</th><th>mean</th><th>p50</th><th>p99</th><th>max</th></tr></thead><tbody>',
    );
    for (const s of a.summary) {
      out.push(
        `<tr><td>${escapeXml(s.metric)}</td><td>${s.lines}</td><td>${s.samples}</td>` +
          [s.min, s.mean, s.p50, s.p99, s.max].map((v) => `<td>${formatTick(v)}</td>`).join('') +
          '</tr>',
      );
    }
    out.push('</tbody></table>');
  }
  out.push('</body>', '</html>', '');
  return out.join('\n');
}
