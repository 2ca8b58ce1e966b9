/**
 * Layout: where the grid goes on the terminal and how much it is downsampled.
 *
 * The grid is drawn as "pixels", each the max over a `block x block` square of cells:
 * - `cell` mode (block 1): a pixel is two character columns of background colour, one grid row
 *   per line, so cells look square. Used when the grid fits as is.
 * - `half` mode: a pixel is half a character. `▀` with foreground = the upper pixel and
 *   background = the lower one packs two pixel rows per line. The smallest block that fits the
 *   terminal is chosen, so a 1000x1000 grid fits any reasonable terminal.
 *
 * Invariants:
 * - [LAY-1] The drawn area never exceeds `columns x (rows - STATUS_ROWS)`.
 * - [LAY-2] `block` is the smallest that fits: the view downsamples no more than it must.
 */

/**
 * Lines reserved at the top of the screen for the status bar.
 *
 * @example
 * ```ts
 * const gridLines = rows - STATUS_ROWS;
 * ```
 */
export const STATUS_ROWS = 2;

/**
 * How the grid is mapped to character cells.
 *
 * @example
 * ```ts
 * const l: Layout = computeLayout(1000, 1000, 100, 40);
 * console.log(l.mode, l.block); // 'half' 13
 * ```
 */
export interface Layout {
  /** `cell`: 2 chars per pixel; `half`: 2 pixels (top/bottom) per char; `none`: no room. */
  readonly mode: 'cell' | 'half' | 'none';
  /** Side of the square of grid cells that one pixel shows (max over the square). */
  readonly block: number;
  /** Pixels across and down. */
  readonly pixelWidth: number;
  readonly pixelHeight: number;
  /** Character cells the grid occupies across and down. */
  readonly charCols: number;
  readonly charRows: number;
  /** 1-based terminal position of the grid's top-left character. */
  readonly originCol: number;
  readonly originRow: number;
  /** Terminal size the layout was computed for. */
  readonly columns: number;
  readonly rows: number;
}

/**
 * Compute the layout of a `width x height` grid on a `columns x rows` terminal.
 *
 * @example
 * ```ts
 * computeLayout(50, 50, 100, 40);     // { mode: 'half', block: 1, charCols: 50, charRows: 25, … }
 * computeLayout(1000, 1000, 100, 40); // { mode: 'half', block: 14, … }
 * ```
 */
export function computeLayout(
  width: number,
  height: number,
  columns: number,
  rows: number,
): Layout {
  const cols = Math.max(0, Math.floor(columns));
  const lines = Math.max(0, Math.floor(rows) - STATUS_ROWS);
  const make = (mode: Layout['mode'], block: number): Layout => {
    const pixelWidth = Math.ceil(width / block);
    const pixelHeight = Math.ceil(height / block);
    const charCols = mode === 'cell' ? pixelWidth * 2 : mode === 'half' ? pixelWidth : 0;
    const charRows =
      mode === 'cell' ? pixelHeight : mode === 'half' ? Math.ceil(pixelHeight / 2) : 0;
    return {
      mode,
      block,
      pixelWidth,
      pixelHeight,
      charCols,
      charRows,
      originCol: 1 + Math.max(0, Math.floor((cols - charCols) / 2)),
      originRow: 1 + STATUS_ROWS,
      columns: cols,
      rows: Math.floor(rows),
    };
  };
  if (cols < 1 || lines < 1 || width < 1 || height < 1) return make('none', 1);
  // [LAY-2] cell mode first, then the smallest half-block downsampling that fits.
  if (width * 2 <= cols && height <= lines) return make('cell', 1);
  let block = Math.max(1, Math.ceil(width / cols), Math.ceil(height / (2 * lines)));
  while (Math.ceil(width / block) > cols || Math.ceil(Math.ceil(height / block) / 2) > lines) {
    block++;
  }
  return make('half', block);
}
