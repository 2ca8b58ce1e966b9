/**
 * FrameDiff: turns the current state of a GridSource into the ANSI text that updates the
 * screen from what was drawn last, and nothing more.
 *
 * Each frame: (1) the latest flash time over every pixel's block of cells (max, so a single
 * flashing cell in a downsampled block still shows), (2) its brightness level, (3) for every
 * character whose pixel levels differ from the last drawn ones, a cursor move (only when the
 * cursor is not already there) and a colour change (only when the colour differs) followed by
 * the character.
 *
 * Invariants:
 * - [DIFF-1] Only characters whose colour changed since the previous frame are written.
 * - [DIFF-2] `drawn` (a Uint8Array, one level per pixel) always equals what is on screen;
 *   `invalidate()` marks it unknown (255) so the next frame redraws everything.
 * - [DIFF-3] No allocation per cell: typed arrays are allocated once per layout.
 */
import { brightnessAt, type GridSource } from './grid-source.js';
import type { Layout } from './layout.js';
import { levelOf, LEVELS, type Palette } from './palette.js';

const UNKNOWN = 255;
const UPPER_HALF = '\u2580'; // ▀

/**
 * Builds the per-frame diff for one layout.
 *
 * @example
 * ```ts
 * const diff = new FrameDiff(source, computeLayout(source.width, source.height, 100, 40), new Palette());
 * out.write(diff.build(source.now())); // first frame: everything
 * out.write(diff.build(source.now())); // later frames: only what changed
 * ```
 */
export class FrameDiff {
  readonly #source: GridSource;
  readonly #layout: Layout;
  readonly #palette: Palette;
  /** Latest flash time per pixel (scratch, per frame). */
  readonly #blockMax: Float64Array;
  /** Level per pixel computed this frame. */
  readonly #next: Uint8Array;
  /** Level per pixel on screen. [DIFF-2] */
  readonly #drawn: Uint8Array;
  #changedCells = 0;

  constructor(source: GridSource, layout: Layout, palette: Palette) {
    this.#source = source;
    this.#layout = layout;
    this.#palette = palette;
    const pixels = layout.pixelWidth * layout.pixelHeight;
    this.#blockMax = new Float64Array(pixels);
    this.#next = new Uint8Array(pixels);
    this.#drawn = new Uint8Array(pixels).fill(UNKNOWN);
  }

  /** Character cells written by the last `build()`. */
  get changedCells(): number {
    return this.#changedCells;
  }

  /** Levels currently on screen, one per pixel (row-major, `pixelWidth` across). */
  get drawn(): Readonly<Uint8Array> {
    return this.#drawn;
  }

  /** Forget what is on screen: the next frame redraws every character. [DIFF-2] */
  invalidate(): void {
    this.#drawn.fill(UNKNOWN);
  }

  /** The ANSI text that brings the screen up to date at source time `now` ('' if nothing changed). */
  build(now: number): string {
    const layout = this.#layout;
    this.#changedCells = 0;
    if (layout.mode === 'none') return '';
    this.#computeLevels(now);
    return layout.mode === 'cell' ? this.#emitCells() : this.#emitHalves();
  }

  #computeLevels(now: number): void {
    const { width, height, lastFlash, periodMs } = this.#source;
    const { block, pixelWidth } = this.#layout;
    const blockMax = this.#blockMax;
    const next = this.#next;
    if (block === 1) {
      for (let i = 0; i < next.length; i++)
        next[i] = levelOf(brightnessAt(lastFlash[i], now, periodMs));
      return;
    }
    blockMax.fill(-Infinity);
    for (let y = 0; y < height; y++) {
      const rowBase = Math.floor(y / block) * pixelWidth;
      const cellBase = y * width;
      // Per pixel, a tight loop over its run of cells in this row; one read-modify-write of
      // blockMax per pixel instead of per cell. NaN (never flashed) never wins `t > m`.
      for (let px = 0; px < pixelWidth; px++) {
        let m = blockMax[rowBase + px];
        const end = cellBase + Math.min(width, (px + 1) * block);
        for (let i = cellBase + px * block; i < end; i++) {
          const t = lastFlash[i];
          if (t > m) m = t;
        }
        blockMax[rowBase + px] = m;
      }
    }
    for (let p = 0; p < next.length; p++) {
      const t = blockMax[p];
      next[p] = t === -Infinity ? 0 : levelOf(brightnessAt(t, now, periodMs));
    }
  }

  #emitCells(): string {
    const { pixelWidth, pixelHeight, originCol, originRow } = this.#layout;
    const next = this.#next;
    const drawn = this.#drawn;
    const bg = this.#palette.bg;
    let out = '';
    let curRow = -1;
    let curCol = -1;
    let curBg = -1;
    let changed = 0;
    for (let py = 0; py < pixelHeight; py++) {
      const base = py * pixelWidth;
      for (let px = 0; px < pixelWidth; px++) {
        const level = next[base + px];
        if (level === drawn[base + px]) continue;
        drawn[base + px] = level;
        changed++;
        const row = originRow + py;
        const col = originCol + px * 2;
        if (row !== curRow || col !== curCol) out += `\x1b[${row};${col}H`;
        if (level !== curBg) {
          out += bg[level];
          curBg = level;
        }
        out += '  ';
        curRow = row;
        curCol = col + 2;
      }
    }
    this.#changedCells = changed;
    return out;
  }

  #emitHalves(): string {
    const { pixelWidth, pixelHeight, charRows, originCol, originRow } = this.#layout;
    const next = this.#next;
    const drawn = this.#drawn;
    const { fg, bg, pair } = this.#palette;
    let out = '';
    let curRow = -1;
    let curCol = -1;
    let curFg = -1;
    let curBg = -1;
    let changed = 0;
    for (let cy = 0; cy < charRows; cy++) {
      const top = 2 * cy * pixelWidth;
      const hasBottom = 2 * cy + 1 < pixelHeight;
      const bottom = top + pixelWidth;
      for (let px = 0; px < pixelWidth; px++) {
        const t = next[top + px];
        const b = hasBottom ? next[bottom + px] : 0;
        if (t === drawn[top + px] && (!hasBottom || b === drawn[bottom + px])) continue;
        drawn[top + px] = t;
        if (hasBottom) drawn[bottom + px] = b;
        changed++;
        const row = originRow + cy;
        const col = originCol + px;
        if (row !== curRow || col !== curCol) out += `\x1b[${row};${col}H`;
        if (t === b) {
          // Same colour above and below: a blank with that background; the foreground is moot.
          if (b !== curBg) {
            out += bg[b];
            curBg = b;
          }
          out += ' ';
        } else {
          if (t !== curFg && b !== curBg) out += pair[t * LEVELS + b];
          else if (t !== curFg) out += fg[t];
          else if (b !== curBg) out += bg[b];
          curFg = t;
          curBg = b;
          out += UPPER_HALF;
        }
        curRow = row;
        curCol = col + 1;
      }
    }
    this.#changedCells = changed;
    return out;
  }
}
