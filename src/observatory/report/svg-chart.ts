/**
 * One chart of one metric as SVG markup: the runs' averages as lines over a shared time axis,
 * each with a translucent min..max band where the log has one (a line whose min and max
 * differ), axes with nice ticks, a title and a legend.
 *
 * Invariants:
 * - [SVG-1] Deterministic: the same input gives the same bytes (coordinates to 0.1 px, labels
 *   through `formatTick`), so plots can be golden files.
 * - [SVG-2] Self-contained: no script, no external reference, no font file; text is escaped.
 */
import { formatTick, linearScale, niceTicks } from './chart-scale.js';
import type { MetricPoint } from './metrics-log.js';

/**
 * One run's points of the charted metric.
 *
 * @example
 * ```ts
 * const s: ChartSeries = { name: 'a.jsonl', color: '#d97706', points: run.metrics.get('fps') ?? [] };
 * ```
 */
export interface ChartSeries {
  name: string;
  color: string;
  points: readonly MetricPoint[];
}

/**
 * What to draw.
 *
 * @example
 * ```ts
 * const c: ChartSpec = { title: 'r_value', xLabel: 'simulated s', width: 800, height: 260, series };
 * ```
 */
export interface ChartSpec {
  title: string;
  xLabel: string;
  width: number;
  height: number;
  series: readonly ChartSeries[];
  /** Shared x domain (runs overlay on one axis); default: the series' own extent. */
  xDomain?: readonly [number, number];
}

/** Colours of the runs, in order (amber first: the fireflies' colour). */
export const RUN_COLORS: readonly string[] = [
  '#d97706',
  '#2563eb',
  '#059669',
  '#dc2626',
  '#7c3aed',
  '#0891b2',
  '#65a30d',
  '#db2777',
];

const MARGIN = { left: 56, right: 16, top: 28, bottom: 36 };

/**
 * Escape text for SVG/HTML. [SVG-2]
 *
 * @example
 * ```ts
 * escapeXml('a<b'); // 'a&lt;b'
 * ```
 */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const f = (v: number): string => {
  const r = Math.round(v * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
};

/**
 * The x extent of several series (min of the first points, max of the last).
 *
 * @example
 * ```ts
 * xExtent([{ name: 'a', color: '#000', points }]); // [1, 60]
 * ```
 */
export function xExtent(series: readonly { points: readonly MetricPoint[] }[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const p of s.points) {
      if (p.t < lo) lo = p.t;
      if (p.t > hi) hi = p.t;
    }
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/**
 * The chart as an SVG `<g>` element at the origin (place it with a transform).
 *
 * @example
 * ```ts
 * const g = renderChartGroup({ title: 'fps', xLabel: 'wall s', width: 800, height: 240, series });
 * ```
 */
export function renderChartGroup(spec: ChartSpec): string {
  const { width, height } = spec;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const [x0, x1] = spec.xDomain ?? xExtent(spec.series);
  const xt = niceTicks(x0, x1, Math.max(2, Math.floor(plotW / 90)));
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of spec.series) {
    for (const p of s.points) {
      if (p.min < lo) lo = p.min;
      if (p.max > hi) hi = p.max;
    }
  }
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (lo > 0 && lo < (hi - lo) * 0.5) lo = 0; // start at zero when it is near
  const yt = niceTicks(lo, hi, Math.max(2, Math.floor(plotH / 45)));
  const x = linearScale(xt.domain, [MARGIN.left, MARGIN.left + plotW]);
  const y = linearScale(yt.domain, [MARGIN.top + plotH, MARGIN.top]);
  const out: string[] = [];
  out.push(`<g class="chart" font-family="sans-serif" font-size="11">`);
  out.push(
    `<text x="${MARGIN.left}" y="16" font-size="13" font-weight="bold" fill="#111">${escapeXml(spec.title)}</text>`,
  );
  // grid and ticks
  for (const v of yt.ticks) {
    const py = f(y(v));
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${py}" y2="${py}" stroke="#e5e7eb"/>`,
      `<text x="${MARGIN.left - 6}" y="${py}" dy="4" text-anchor="end" fill="#444">${formatTick(v)}</text>`,
    );
  }
  for (const v of xt.ticks) {
    const px = f(x(v));
    out.push(
      `<line x1="${px}" x2="${px}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#f1f5f9"/>`,
      `<text x="${px}" y="${MARGIN.top + plotH + 14}" text-anchor="middle" fill="#444">${formatTick(v)}</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9ca3af"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 4}" text-anchor="middle" fill="#444">${escapeXml(spec.xLabel)}</text>`,
  );
  // bands, then lines above every band
  for (const s of spec.series) {
    if (!s.points.some((p) => p.max > p.min)) continue;
    const upper = s.points.map((p) => `${f(x(p.t))},${f(y(p.max))}`);
    const lower = s.points.map((p) => `${f(x(p.t))},${f(y(p.min))}`).reverse();
    out.push(
      `<polygon points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.18" stroke="none"><title>${escapeXml(`${s.name}: min..max`)}</title></polygon>`,
    );
  }
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const pts = s.points.map((p) => `${f(x(p.t))},${f(y(p.avg))}`).join(' ');
    out.push(
      s.points.length === 1
        ? `<circle cx="${f(x(s.points[0].t))}" cy="${f(y(s.points[0].avg))}" r="2.5" fill="${s.color}"/>`
        : `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.5" stroke-linejoin="round"><title>${escapeXml(`${s.name}: avg`)}</title></polyline>`,
    );
  }
  // legend, right-aligned in the title row
  let lx = width - MARGIN.right;
  for (let i = spec.series.length - 1; i >= 0; i--) {
    const s = spec.series[i];
    const label = escapeXml(s.name);
    lx -= s.name.length * 6.5 + 24;
    out.push(
      `<rect x="${f(lx)}" y="8" width="12" height="8" fill="${s.color}"/>`,
      `<text x="${f(lx + 16)}" y="16" fill="#111">${label}</text>`,
    );
  }
  out.push('</g>');
  return out.join('\n');
}

/**
 * A standalone SVG document of charts stacked top to bottom.
 *
 * @example
 * ```ts
 * writeFileSync('plot.svg', svgDocument([spec1, spec2]));
 * ```
 */
export function svgDocument(charts: readonly ChartSpec[]): string {
  const width = Math.max(...charts.map((c) => c.width), 1);
  let yOff = 0;
  const groups: string[] = [];
  for (const c of charts) {
    groups.push(`<g transform="translate(0,${yOff})">\n${renderChartGroup(c)}\n</g>`);
    yOff += c.height;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${yOff}" viewBox="0 0 ${width} ${yOff}">\n` +
    `<rect width="100%" height="100%" fill="#fff"/>\n${groups.join('\n')}\n</svg>\n`
  );
}
