/**
 * The grid on a canvas: each byte of a state frame (a cell's brightness, 0..255) drawn in the
 * terminal view's firefly palette (src/observatory/render/palette.ts, the same levels and
 * colours), with zoom and pan. The server downsamples: the page asks for the region shown at
 * no more cells than the canvas has pixels, so a 1000x1000 grid costs the page what a 600x600
 * one does.
 *
 * Invariants:
 * - [GRID-1] The region asked for always lies inside the grid and keeps at least one cell.
 * - [GRID-2] One ImageData per view size, reused; a frame is one putImageData.
 */
import { levelOf, paletteRgb } from '../src/observatory/render/palette.js';
import type { ViewRequest } from './gateway-connection.js';

/** Largest side of the view asked for, in cells (the canvas is about this many pixels wide). */
const MAX_SIDE = 600;

/** 256 RGBA colours, one per byte value, in the palette's levels. */
function colourTable(): Uint32Array {
  const rgb = paletteRgb();
  const lut = new Uint32Array(256);
  for (let v = 0; v < 256; v++) {
    const [r, g, b] = rgb[levelOf(v / 255)];
    lut[v] = (255 << 24) | (b << 16) | (g << 8) | r; // little-endian RGBA
  }
  return lut;
}

/**
 * Draws frames and turns pointer, wheel and key input into viewport requests.
 *
 * @example
 * ```ts
 * const view = new GridView(canvas, (v) => connection.setView(v));
 * view.setGrid(1000, 1000);
 * ```
 */
export class GridView {
  readonly #canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  readonly #onView: (v: ViewRequest) => void;
  readonly #lut = colourTable();
  #image: ImageData | null = null;
  #gridW = 0;
  #gridH = 0;
  /** The region shown, in grid cells (fractional while zooming). */
  #x = 0;
  #y = 0;
  #w = 0;
  #h = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Frames drawn, for the status line's fps. */
  frames = 0;

  constructor(canvas: HTMLCanvasElement, onView: (v: ViewRequest) => void) {
    this.#canvas = canvas;
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new Error('no 2d canvas');
    this.#ctx = ctx;
    this.#onView = onView;
    this.#listen();
  }

  /** The grid's size (from `hello`): shows the whole grid. */
  setGrid(width: number, height: number): void {
    if (width === this.#gridW && height === this.#gridH && this.#w > 0) {
      this.#request(true);
      return;
    }
    this.#gridW = width;
    this.#gridH = height;
    this.reset();
  }

  /** Show the whole grid. */
  reset(): void {
    [this.#x, this.#y, this.#w, this.#h] = [0, 0, this.#gridW, this.#gridH];
    this.#request(true);
  }

  /** Zoom by `factor` (< 1 in) around a point given as a fraction of the canvas. */
  zoom(factor: number, fx = 0.5, fy = 0.5): void {
    const w = Math.min(this.#gridW, Math.max(4, this.#w * factor));
    const h = Math.min(this.#gridH, Math.max(4, this.#h * factor));
    this.#x += (this.#w - w) * fx;
    this.#y += (this.#h - h) * fy;
    this.#w = w;
    this.#h = h;
    this.#request(false);
  }

  /** Pan by a fraction of the region shown. */
  pan(dx: number, dy: number): void {
    this.#x += dx * this.#w;
    this.#y += dy * this.#h;
    this.#request(false);
  }

  /** What the view shows, for a label. */
  describe(): string {
    const v = this.#region();
    return `${v.w}x${v.h} cells at (${v.x}, ${v.y}) shown as ${v.cols}x${v.rows}`;
  }

  /** Draw one decoded frame (`cols * rows` bytes). [GRID-2] */
  draw(cells: Uint8Array, cols: number, rows: number): void {
    if (this.#canvas.width !== cols || this.#canvas.height !== rows) {
      this.#canvas.width = cols;
      this.#canvas.height = rows;
    }
    if (this.#image?.width !== cols || this.#image.height !== rows) {
      this.#image = this.#ctx.createImageData(cols, rows);
    }
    const px = new Uint32Array(this.#image.data.buffer);
    const lut = this.#lut;
    const n = Math.min(px.length, cells.length);
    for (let i = 0; i < n; i++) px[i] = lut[cells[i]];
    this.#ctx.putImageData(this.#image, 0, 0);
    this.frames++;
  }

  /** The region as whole cells inside the grid, and the resolution to ask for. [GRID-1] */
  #region(): ViewRequest {
    const w = Math.max(1, Math.min(this.#gridW, Math.round(this.#w)));
    const h = Math.max(1, Math.min(this.#gridH, Math.round(this.#h)));
    this.#x = Math.max(0, Math.min(this.#gridW - w, this.#x));
    this.#y = Math.max(0, Math.min(this.#gridH - h, this.#y));
    const x = Math.round(this.#x);
    const y = Math.round(this.#y);
    const side = Math.min(MAX_SIDE, Math.max(64, Math.round(this.#canvas.clientWidth || MAX_SIDE)));
    const scale = Math.min(1, side / Math.max(w, h));
    return {
      x,
      y,
      w,
      h,
      cols: Math.max(1, Math.round(w * scale)),
      rows: Math.max(1, Math.round(h * scale)),
    };
  }

  #request(now: boolean): void {
    if (this.#gridW === 0) return;
    clearTimeout(this.#timer);
    const send = (): void => this.#onView(this.#region());
    if (now) send();
    else this.#timer = setTimeout(send, 40); // one request per gesture step, not per event
  }

  #listen(): void {
    const c = this.#canvas;
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const r = c.getBoundingClientRect();
        this.zoom(
          e.deltaY < 0 ? 0.8 : 1.25,
          (e.clientX - r.left) / r.width,
          (e.clientY - r.top) / r.height,
        );
      },
      { passive: false },
    );
    let drag: { x: number; y: number } | null = null;
    c.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      if (drag === null) return;
      const r = c.getBoundingClientRect();
      this.pan(-(e.clientX - drag.x) / r.width, -(e.clientY - drag.y) / r.height);
      drag = { x: e.clientX, y: e.clientY };
    });
    const end = (): void => {
      drag = null;
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('keydown', (e) => {
      const step = 0.1;
      const keys: Record<string, () => void> = {
        ArrowLeft: () => this.pan(-step, 0),
        ArrowRight: () => this.pan(step, 0),
        ArrowUp: () => this.pan(0, -step),
        ArrowDown: () => this.pan(0, step),
        '+': () => this.zoom(0.8),
        '=': () => this.zoom(0.8),
        '-': () => this.zoom(1.25),
        '0': () => this.reset(),
      };
      const act = keys[e.key];
      if (act !== undefined) {
        e.preventDefault();
        act();
      }
    });
  }
}
