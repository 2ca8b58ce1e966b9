/**
 * `cascade analyze`'s text: the per-metric summary as a table, the correlation matrix of the
 * figures the Python original's analysis looked at, and its reading of the frame rate's
 * correlations ("as flush time rises, fps.min falls"), stated only where |r| says so.
 */
import { formatTick } from './chart-scale.js';
import type { LogAnalysis } from './log-analysis.js';

function table(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

const r3 = (r: number | null): string => (r === null ? '-' : r.toFixed(3));

/**
 * The analysis as plain text (no colour, no trailing spaces).
 *
 * @example
 * ```ts
 * process.stdout.write(formatLogAnalysis(analyzeMetricsLog(run)));
 * ```
 */
export function formatLogAnalysis(a: LogAnalysis): string {
  const out: string[] = [
    `${a.name}: ${a.lines} lines, ${a.timeAxis} time ${formatTick(a.span[0])}..${formatTick(a.span[1])} s` +
      (a.skippedLines > 0
        ? ` (${a.skippedLines} ${a.skippedLines === 1 ? 'line' : 'lines'} skipped: not metrics lines)`
        : ''),
    '',
    ...table(
      ['metric', 'lines', 'samples', 'min', 'mean', 'p50', 'p99', 'max'],
      a.summary.map((s) => [
        s.metric,
        String(s.lines),
        String(s.samples),
        ...[s.min, s.mean, s.p50, s.p99, s.max].map(formatTick),
      ]),
    ),
    '',
  ];
  if (a.columns.length < 2) {
    out.push('correlations: fewer than two of the correlated figures are in this log');
    return `${out.join('\n')}\n`;
  }
  const rOf = (x: string, y: string): string => {
    if (x === y) return '1';
    const c = a.correlations.find((k) => (k.a === x && k.b === y) || (k.a === y && k.b === x));
    return r3(c?.r ?? null);
  };
  out.push(
    'correlations (Pearson r over the lines that have both; - where undefined):',
    '',
    ...table(
      ['', ...a.columns],
      a.columns.map((row) => [row, ...a.columns.map((col) => rOf(row, col))]),
    ),
  );
  const findings = readings(a);
  if (findings.length > 0) out.push('', ...findings);
  return `${out.join('\n')}\n`;
}

/** What the Python original read from the fps.min column, where the figures support it. */
function readings(a: LogAnalysis): string[] {
  const r = (x: string, y: string): number | null =>
    a.correlations.find((k) => (k.a === x && k.b === y) || (k.a === y && k.b === x))?.r ?? null;
  const out: string[] = [];
  const flush = r('fps.min', 'flush_duration_ms.avg');
  if (flush !== null && flush < -0.5) {
    out.push(`fps.min falls as the flush time rises (r ${r3(flush)}): frames are slow to write.`);
  }
  const jitter = r('fps.min', 'render_jitter_ms.avg');
  if (jitter !== null && jitter < -0.5) {
    out.push(`fps.min falls as the render jitter rises (r ${r3(jitter)}): frames come late.`);
  }
  const sync = r('fps.min', 'r_value.avg');
  if (sync !== null && sync < -0.1) {
    out.push(
      `fps.min falls as R rises (r ${r3(sync)}): synchronised flashes arrive in bursts the view must absorb.`,
    );
  }
  const lag = r('r_value.avg', 'event_loop_lag_ms.avg');
  if (lag !== null && lag > 0.5) {
    out.push(`the event-loop lag grows with R (r ${r3(lag)}): bursts of flashes hold the loop.`);
  }
  return out;
}
