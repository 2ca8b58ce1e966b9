/**
 * One chart of one metric for a terminal: the runs' averages drawn in Braille dots (2 x 4
 * dots a character cell), y labels on the left, the time axis below, a legend. Each run has a
 * colour when `color` is on (a terminal) and a letter in the legend either way; where runs
 * cross in a cell, the later run's colour shows.
 *
 * Invariants:
 * - [TXT-1] Exactly `height` plot rows of exactly `width` columns (labels included), so it
 *   fits the terminal it was sized for; deterministic for the same input.
 */
import { formatTick, linearScale, niceTicks } from './chart-scale.js';
import type { MetricPoint } from './metrics-log.js';

/**
 * What to draw.
 *
 * @example
 * ```ts
 * const t: TextChartSpec = { title: 'r_value', xLabel: 'simulated s', width: 80, height: 12, color: true, series };
 * ```
 */
export interface TextChartSpec {
  title: string;
  xLabel: string;
  /** Columns, labels included. */
  width: number;
  /** Rows of the plot area (title, axis and legend rows come on top). */
  height: number;
  color: boolean;
  series: readonly { name: string; points: readonly MetricPoint[] }[];
  xDomain?: readonly [number, number];
}

/** ANSI colours of the runs (yellow first: the fireflies). */
const ANSI = ['\x1b[33m', '\x1b[34m', '\x1b[32m', '\x1b[31m', '\x1b[35m', '\x1b[36m'];
const RESET = '\x1b[0m';
// Braille dot bits by [row 0..3][col 0..1]
const DOTS = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];

/**
 * The chart as lines of text (no trailing newline on the last).
 *
 * @example
 * ```ts
 * process.stdout.write(renderTextChart(spec).join('\n') + '\n');
 * ```
 */
export function renderTextChart(spec: TextChartSpec): string[] {
  let lo = Infinity;
  let hi = -Infinity;
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of spec.series) {
    for (const p of s.points) {
      lo = Math.min(lo, p.avg);
      hi = Math.max(hi, p.avg);
      t0 = Math.min(t0, p.t);
      t1 = Math.max(t1, p.t);
    }
  }
  if (!Number.isFinite(lo)) [lo, hi, t0, t1] = [0, 1, 0, 1];
  if (spec.xDomain !== undefined) [t0, t1] = spec.xDomain;
  if (lo > 0 && lo < (hi - lo) * 0.5) lo = 0;
  const yt = niceTicks(lo, hi, Math.max(1, Math.floor(spec.height / 3)));
  const labels = yt.ticks.map(formatTick);
  const labelW = Math.max(...labels.map((l) => l.length)) + 1;
  const cols = Math.max(4, spec.width - labelW - 1);
  const rows = Math.max(2, spec.height);
  const dotsX = cols * 2;
  const dotsY = rows * 4;
  const x = linearScale([t0, t1], [0, dotsX - 1]);
  const y = linearScale(yt.domain, [dotsY - 1, 0]);
  const bits = new Uint8Array(cols * rows);
  const owner = new Int8Array(cols * rows).fill(-1);
  const plot = (dx: number, dy: number, run: number): void => {
    const cx = Math.round(dx);
    const cy = Math.round(dy);
    if (cx < 0 || cx >= dotsX || cy < 0 || cy >= dotsY) return;
    const cell = (cy >> 2) * cols + (cx >> 1);
    bits[cell] |= DOTS[cy & 3][cx & 1];
    owner[cell] = run;
  };
  spec.series.forEach((s, run) => {
    let prev: [number, number] | undefined;
    for (const p of s.points) {
      const cur: [number, number] = [x(p.t), y(p.avg)];
      if (prev === undefined) plot(cur[0], cur[1], run);
      else {
        // a line between the two points, one dot per step of the longer side
        const steps = Math.max(
          1,
          Math.ceil(Math.max(Math.abs(cur[0] - prev[0]), Math.abs(cur[1] - prev[1]))),
        );
        for (let i = 1; i <= steps; i++) {
          plot(
            prev[0] + ((cur[0] - prev[0]) * i) / steps,
            prev[1] + ((cur[1] - prev[1]) * i) / steps,
            run,
          );
        }
      }
      prev = cur;
    }
  });
  // which row carries which y label
  const labelAt = new Map<number, string>();
  yt.ticks.forEach((v, i) => labelAt.set(Math.min(rows - 1, Math.floor(y(v) / 4)), labels[i]));
  const lines: string[] = [spec.title];
  for (let r = 0; r < rows; r++) {
    let line = (labelAt.get(r) ?? '').padStart(labelW - 1) + ' │';
    let current = -1;
    for (let c = 0; c < cols; c++) {
      const cell = r * cols + c;
      const b = bits[cell];
      const run = owner[cell];
      if (spec.color && b !== 0 && run !== current) {
        line += ANSI[run % ANSI.length];
        current = run;
      } else if (spec.color && b === 0 && current !== -1) {
        line += RESET;
        current = -1;
      }
      line += b === 0 ? ' ' : String.fromCharCode(0x2800 + b);
    }
    if (spec.color && current !== -1) line += RESET;
    lines.push(line);
  }
  lines.push(' '.repeat(labelW) + '└' + '─'.repeat(cols));
  const left = formatTick(t0);
  const right = formatTick(t1);
  const mid = spec.xLabel;
  const gap = Math.max(1, cols - left.length - right.length - mid.length);
  const half = Math.floor(gap / 2);
  lines.push(
    ' '.repeat(labelW + 1) + left + ' '.repeat(half) + mid + ' '.repeat(gap - half) + right,
  );
  if (spec.series.length > 1 || spec.color) {
    const legend = spec.series
      .map((s, i) => {
        const mark = spec.color ? `${ANSI[i % ANSI.length]}⣿${RESET}` : `[${i + 1}]`;
        return `${mark} ${s.name}`;
      })
      .join('  ');
    lines.push(' '.repeat(labelW + 1) + legend);
  }
  return lines;
}
