/**
 * The status bar and the plain progress line: the figures of a GridSource plus the view's own
 * (FPS, frame build time), as text. No escape codes here; the renderer adds them.
 *
 * Invariants:
 * - [STAT-1] The status text never exceeds the terminal width (it is cut, never wrapped).
 * - [STAT-2] The plain progress line has the stable form
 *   `t=12.0s agents=2500 R=0.412 flashes/s=503 fps=30.0 …` (key=value, space separated).
 * - [STAT-3] A run that cannot keep its asked speed says so, on the clock line and the progress
 *   line alike: asked and achieved speed and how far behind.
 */
import type { GridStatus } from './grid-source.js';

/**
 * Figures the view measures itself.
 *
 * @example
 * ```ts
 * const view: ViewFigures = { fps: 30, flushP99Ms: 1.2, lagP99Ms: 3.4 };
 * ```
 */
export interface ViewFigures {
  /** Frames per second over the last second. */
  fps: number;
  /** p99 of frame build+write time over the last second, ms. */
  flushP99Ms?: number;
  /** p99 of event-loop lag over the last second, ms. */
  lagP99Ms?: number;
}

const BAR_WIDTH = 10;

/**
 * A bar of `width` characters filled in proportion to `r` in [0, 1].
 *
 * @example
 * ```ts
 * rBar(0.5, 4); // '██░░'
 * ```
 */
export function rBar(r: number, width = BAR_WIDTH): string {
  const filled = Math.max(0, Math.min(width, Math.round((Number.isFinite(r) ? r : 0) * width)));
  return '\u2588'.repeat(filled) + '\u2591'.repeat(width - filled);
}

/**
 * The status bar text, cut to `columns` characters. [STAT-1]
 *
 * @example
 * ```ts
 * formatStatusBar(source.status(), { fps: 30 }, 100);
 * // ' agents 2500  R 0.412 ████████░░░░░░░░░░░░  flashes/s 503  fps 30.0  sim 12.0s  real x1'
 * ```
 */
export function formatStatusBar(status: GridStatus, view: ViewFigures, columns: number): string {
  let text =
    ` agents ${status.agents}  R ${status.r.toFixed(3)} ${rBar(status.r)}` +
    `  flashes/s ${Math.round(status.flashesPerSec)}  fps ${view.fps.toFixed(1)}` +
    `  sim ${(status.simTimeMs / 1000).toFixed(1)}s`;
  if (view.flushP99Ms !== undefined) text += `  frame p99 ${view.flushP99Ms.toFixed(1)}ms`;
  return cut(text, columns);
}

/**
 * The second status line: the clock, its pace [STAT-3], the paused state and the keys. [STAT-1]
 *
 * @example
 * ```ts
 * formatClockBar({ ...status, clock: 'real', speed: 20, achievedSpeed: 7.4, behindMs: 12_300, lagging: true, keys: true }, 100);
 * // ' real clock x20 asked, x7.4 achieved, 12.3 s behind   space pause  +/- speed  q quit'
 * ```
 */
export function formatClockBar(status: GridStatus, columns: number): string {
  let text = status.paused === true ? ' PAUSED ' : ' ';
  if (status.clock === 'virtual') {
    text += 'virtual clock';
    if (status.achievedSpeed !== undefined && Number.isFinite(status.achievedSpeed)) {
      text += ` x${formatSpeed(status.achievedSpeed)} sim/wall`;
    }
  } else {
    text += `real clock x${formatSpeed(status.speed)}`;
    if (status.lagging === true) text += ` asked, ${paceBehind(status)}`;
  }
  if (status.keys === true) {
    text +=
      status.clock === 'real'
        ? `   space ${status.paused === true ? 'resume' : 'pause'}  +/- speed  q quit`
        : `   space ${status.paused === true ? 'resume' : 'pause'}  q quit`;
  }
  return cut(text, columns);
}

/** `x7.4 achieved, 12.3 s behind` [STAT-3]. */
function paceBehind(status: GridStatus): string {
  const achieved = status.achievedSpeed;
  const behind = ((status.behindMs ?? 0) / 1000).toFixed(1);
  return achieved !== undefined && Number.isFinite(achieved)
    ? `x${formatSpeed(achieved)} achieved, ${behind} s behind`
    : `${behind} s behind`;
}

function cut(text: string, columns: number): string {
  return text.length > columns ? text.slice(0, Math.max(0, columns)) : text;
}

/**
 * The plain progress line written once per second when the output is not a terminal. [STAT-2]
 *
 * @example
 * ```ts
 * formatProgressLine(source.status(), { fps: 0 });
 * // 't=12.0s agents=2500 R=0.412 flashes/s=503 fps=0.0'
 * ```
 */
export function formatProgressLine(status: GridStatus, view: ViewFigures): string {
  let line =
    `t=${(status.simTimeMs / 1000).toFixed(1)}s agents=${status.agents} R=${status.r.toFixed(3)}` +
    ` flashes/s=${Math.round(status.flashesPerSec)}`;
  if (status.nominalFlashesPerSec !== undefined) {
    line += ` N/T=${Math.round(status.nominalFlashesPerSec)}`;
  }
  // the pace, from sources that measure it (a paced run)
  if (status.achievedSpeed !== undefined && Number.isFinite(status.achievedSpeed)) {
    if (status.clock === 'real') line += ` speed=x${formatSpeed(status.speed)}`;
    line += ` achieved=x${formatSpeed(status.achievedSpeed)}`;
  }
  if (status.lagging === true) line += ` behind=${((status.behindMs ?? 0) / 1000).toFixed(1)}s`;
  if (status.paused === true) line += ' paused';
  // fps and flush only when frames are drawn (offscreen); plain progress draws none
  if (view.flushP99Ms !== undefined) {
    line += ` fps=${view.fps.toFixed(1)} flush_p99=${view.flushP99Ms.toFixed(2)}ms`;
  }
  if (view.lagP99Ms !== undefined) line += ` lag_p99=${view.lagP99Ms.toFixed(2)}ms`;
  return line;
}

/** 20, 7.4, 0.25, 12.7, 4100: three significant digits, whole numbers from 1000 up. */
function formatSpeed(speed: number): string {
  if (Number.isInteger(speed) || speed >= 1000) return String(Math.round(speed));
  return String(Number(speed.toPrecision(3)));
}
