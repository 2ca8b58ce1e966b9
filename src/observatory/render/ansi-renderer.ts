/**
 * AnsiRenderer: the live terminal view of a GridSource in raw ANSI (no TUI library).
 * A status bar on the first line, the grid below it, coloured by flash brightness.
 *
 * Invariants:
 * - [REND-1] One `write` per frame, holding only the characters that changed (FrameDiff) and
 *   the status bar when its text changed; a frame with no change writes nothing.
 * - [REND-2] A resize clears the screen and redraws everything at the new size.
 * - [REND-3] The renderer does not own the terminal mode: TerminalGuard enters and restores it.
 */
import type { Writable } from 'node:stream';
import type { GridSource } from './grid-source.js';
import { FrameDiff } from './frame-diff.js';
import { computeLayout, type Layout } from './layout.js';
import { Palette, type ColorMode } from './palette.js';
import { formatClockBar, formatStatusBar, type ViewFigures } from './status-bar.js';

/**
 * Options of an {@link AnsiRenderer}.
 *
 * @example
 * ```ts
 * const options: AnsiRendererOptions = { source, out: process.stdout, columns: 100, rows: 40, colors: 'truecolor' };
 * ```
 */
export interface AnsiRendererOptions {
  source: GridSource;
  out: Writable;
  columns: number;
  rows: number;
  /** Default '256'. */
  colors?: ColorMode;
}

/**
 * Draws frames of a GridSource to a terminal.
 *
 * @example
 * ```ts
 * const r = new AnsiRenderer({ source, out: process.stdout, columns: 100, rows: 40 });
 * r.renderFrame({ fps: 30 }); // one write: everything
 * r.renderFrame({ fps: 30 }); // one write: what changed
 * ```
 */
export class AnsiRenderer {
  readonly #source: GridSource;
  readonly #out: Writable;
  readonly #palette: Palette;
  #layout: Layout;
  #diff: FrameDiff;
  #lastStatus = '';
  #clearPending = true;
  #frames = 0;
  #lastBytes = 0;

  constructor(options: AnsiRendererOptions) {
    this.#source = options.source;
    this.#out = options.out;
    this.#palette = new Palette(options.colors ?? '256');
    this.#layout = computeLayout(
      this.#source.width,
      this.#source.height,
      options.columns,
      options.rows,
    );
    this.#diff = new FrameDiff(this.#source, this.#layout, this.#palette);
  }

  /** The current layout (mode, downsampling block, position). */
  get layout(): Layout {
    return this.#layout;
  }

  /** Frames written so far (frames with no change are not counted). */
  get framesWritten(): number {
    return this.#frames;
  }

  /** Characters of the last frame written. */
  get lastFrameLength(): number {
    return this.#lastBytes;
  }

  /** Grid characters redrawn by the last frame. */
  get lastChangedCells(): number {
    return this.#diff.changedCells;
  }

  /** Adopt a new terminal size: the next frame clears and redraws everything. [REND-2] */
  resize(columns: number, rows: number): void {
    this.#layout = computeLayout(this.#source.width, this.#source.height, columns, rows);
    this.#diff = new FrameDiff(this.#source, this.#layout, this.#palette);
    this.#lastStatus = '';
    this.#clearPending = true;
  }

  /** Build the frame text without writing it (the diff state advances as if it was written). */
  buildFrame(view: ViewFigures): string {
    let text = '';
    if (this.#clearPending) {
      text += '\x1b[0m\x1b[2J';
      this.#clearPending = false;
    }
    text += this.#diff.build(this.#source.now());
    const figures = this.#source.status();
    const columns = this.#layout.columns;
    const status = `${formatStatusBar(figures, view, columns)}\n${formatClockBar(figures, columns)}`;
    if (status !== this.#lastStatus) {
      this.#lastStatus = status;
      const [first, second] = status.split('\n');
      text += `\x1b[0m\x1b[1;1H${first}\x1b[K\x1b[2;1H${second}\x1b[K`;
    } else if (text.length > 0) {
      text += '\x1b[0m';
    }
    return text;
  }

  /** Build and write one frame in a single `write`; returns the characters written. [REND-1] */
  renderFrame(view: ViewFigures): number {
    const text = this.buildFrame(view);
    this.#lastBytes = text.length;
    if (text.length === 0) return 0;
    this.#frames++;
    this.#out.write(text);
    return text.length;
  }
}
