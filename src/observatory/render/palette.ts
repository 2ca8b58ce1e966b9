/**
 * The firefly palette: brightness quantised to {@link LEVELS} levels, each level an ANSI
 * colour going from a dark blue-black night through green-yellow to a bright yellow-white flash.
 *
 * Invariants:
 * - [PAL-1] Level 0 is "dark" (never flashed or fully faded), level `LEVELS - 1` is a flash.
 * - [PAL-2] Quantisation is monotonic: a brighter cell never gets a lower level. Few levels
 *   keep frame diffs small: a fading cell changes colour at most `LEVELS - 1` times per flash.
 * - [PAL-3] Escape strings are built once per palette, never per frame.
 * - [PAL-4] In 256-colour mode every level has its own colour, no level is darker than the one
 *   below it, and only the night levels are greys.
 */

/**
 * Number of brightness levels.
 *
 * @example
 * ```ts
 * const flashLevel = LEVELS - 1;
 * ```
 */
export const LEVELS = 16;

/**
 * How colours are written: xterm 256-colour indexes or 24-bit truecolor.
 *
 * @example
 * ```ts
 * const mode: ColorMode = process.env.COLORTERM === 'truecolor' ? 'truecolor' : '256';
 * ```
 */
export type ColorMode = '256' | 'truecolor';

/**
 * An RGB triple, 0..255 each.
 *
 * @example
 * ```ts
 * const yellow: Rgb = [255, 230, 60];
 * ```
 */
export type Rgb = readonly [number, number, number];

// Key colours of the ramp, at evenly spaced positions from level 0 to level LEVELS - 1.
const RAMP: readonly Rgb[] = [
  [6, 8, 22], // night: blue-black
  [14, 30, 34],
  [30, 80, 28], // dim green
  [110, 170, 20], // green-yellow
  [220, 220, 30], // yellow
  [255, 250, 200], // flash: yellow-white
];

/**
 * The 256-colour ramp, one xterm index per level, picked by hand: the nearest xterm colour of
 * each RGB level would make levels 1..6 greys (the cube's darkest green, 22, is much brighter
 * than the ramp's dim greens) and give two pairs of levels the same grey. Here only the night
 * (levels 0..3) is near-black grey; from level 4 the fade runs through the cube's greens and
 * yellows, one distinct colour per level, with luminance never decreasing. [PAL-4]
 */
const XTERM_RAMP: readonly number[] = [
  232, 233, 234, 235, 22, 28, 64, 70, 106, 142, 148, 184, 190, 226, 228, 230,
];

/**
 * Quantise a brightness in [0, 1] to a level in `0 .. LEVELS - 1`. [PAL-2]
 *
 * @example
 * ```ts
 * levelOf(0); // 0
 * levelOf(1); // 15
 * ```
 */
export function levelOf(brightness: number): number {
  if (!(brightness > 0)) return 0;
  if (brightness >= 1) return LEVELS - 1;
  // ceil so any visible brightness is at least level 1: a flash never vanishes early.
  return Math.ceil(brightness * (LEVELS - 1));
}

/**
 * The RGB colour of each level.
 *
 * @example
 * ```ts
 * const [r, g, b] = paletteRgb()[15]; // the flash colour
 * ```
 */
export function paletteRgb(): Rgb[] {
  const out: Rgb[] = [];
  for (let level = 0; level < LEVELS; level++) {
    const pos = (level / (LEVELS - 1)) * (RAMP.length - 1);
    const i = Math.min(Math.floor(pos), RAMP.length - 2);
    const f = pos - i;
    const a = RAMP[i];
    const b = RAMP[i + 1];
    out.push([
      Math.round(a[0] + (b[0] - a[0]) * f),
      Math.round(a[1] + (b[1] - a[1]) * f),
      Math.round(a[2] + (b[2] - a[2]) * f),
    ]);
  }
  return out;
}

/**
 * Precomputed SGR escape strings per level. [PAL-3]
 *
 * @example
 * ```ts
 * const p = new Palette('256');
 * out.write(p.bg[15] + '  ' + '\x1b[0m'); // a flashing cell
 * ```
 */
export class Palette {
  /** Foreground colour escape per level. */
  readonly fg: readonly string[];
  /** Background colour escape per level. */
  readonly bg: readonly string[];
  /** Foreground + background escape per (top, bottom) level pair, index `top * LEVELS + bottom`. */
  readonly pair: readonly string[];

  constructor(mode: ColorMode = '256') {
    const rgb = paletteRgb();
    const fg: string[] = [];
    const bg: string[] = [];
    for (let level = 0; level < LEVELS; level++) {
      const c = rgb[level];
      if (mode === 'truecolor') {
        fg.push(`\x1b[38;2;${c[0]};${c[1]};${c[2]}m`);
        bg.push(`\x1b[48;2;${c[0]};${c[1]};${c[2]}m`);
      } else {
        const n = XTERM_RAMP[level];
        fg.push(`\x1b[38;5;${n}m`);
        bg.push(`\x1b[48;5;${n}m`);
      }
    }
    const pair: string[] = [];
    for (let t = 0; t < LEVELS; t++) {
      for (let b = 0; b < LEVELS; b++) {
        // One SGR sequence for both colours: `ESC[38;…;48;…m`.
        pair.push(`${fg[t].slice(0, -1)};${bg[b].slice(2)}`);
      }
    }
    this.fg = fg;
    this.bg = bg;
    this.pair = pair;
  }
}
