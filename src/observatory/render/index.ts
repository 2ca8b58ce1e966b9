/** The terminal view: raw ANSI renderer, palette, frame diff, layout and terminal guard. */
export { AnsiRenderer, type AnsiRendererOptions } from './ansi-renderer.js';
export { FrameDiff } from './frame-diff.js';
export {
  brightnessAt,
  FLASH_DECAY_FRACTION,
  type GridSource,
  type GridStatus,
} from './grid-source.js';
export { computeLayout, STATUS_ROWS, type Layout } from './layout.js';
export { LEVELS, levelOf, Palette, paletteRgb, type ColorMode, type Rgb } from './palette.js';
export {
  formatClockBar,
  formatProgressLine,
  formatStatusBar,
  rBar,
  type ViewFigures,
} from './status-bar.js';
export { ENTER_SEQUENCE, RESTORE_SEQUENCE, TerminalGuard } from './terminal-guard.js';
