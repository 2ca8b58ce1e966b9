/**
 * Axis scales shared by the SVG and terminal charts: a linear map from data to pixels and
 * "nice" tick values (1, 2, 2.5 or 5 times a power of ten), and number formatting that gives
 * the same text on every machine (plots are compared byte for byte in tests).
 */

/**
 * A linear scale from a data domain onto a pixel range.
 *
 * @example
 * ```ts
 * const x = linearScale([0, 10], [40, 440]);
 * x(5); // 240
 * ```
 */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (span === 0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/**
 * About `count` tick values covering `[lo, hi]`, at a nice step; the domain widened to whole
 * steps. A flat domain (lo = hi) is widened around its value.
 *
 * @example
 * ```ts
 * niceTicks(0, 0.93, 5); // { domain: [0, 1], ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], step: 0.2 }
 * ```
 */
export function niceTicks(
  lo: number,
  hi: number,
  count: number,
): { domain: [number, number]; ticks: number[]; step: number } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    return { domain: [0, 1], ticks: [0, 1], step: 1 };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const start = Math.floor(lo / step + 1e-9) * step;
  const end = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = start; v <= end + step / 2; v += step) ticks.push(clean(v, step));
  return { domain: [clean(start, step), clean(end, step)], ticks, step };
}

/** Round away floating-point noise below the step's precision. */
function clean(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(v.toFixed(digits));
}

/**
 * A number for an axis label or a table: at most 4 significant digits, thousands as `k`,
 * millions as `M`, no exponent, no trailing zeros.
 *
 * @example
 * ```ts
 * formatTick(0.25); // '0.25'
 * formatTick(12500); // '12.5k'
 * ```
 */
export function formatTick(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim((v / 1e6).toPrecision(4))}M`;
  if (a >= 1e4) return `${trim((v / 1e3).toPrecision(4))}k`;
  if (a === 0) return '0';
  if (a < 1e-3) return v.toExponential(1);
  return trim(v.toPrecision(4));
}

function trim(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
