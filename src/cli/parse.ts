/**
 * Parsing of command-line values shared by every subcommand: numbers with a range, grid sizes.
 * Bad input throws a UsageError naming the option, so the command exits with code 2 before
 * anything starts.
 */
import { UsageError } from './usage-error.js';

/** The range a numeric option accepts. */
export interface NumberRule {
  integer?: boolean;
  min: number;
  /** When true, `min` itself is not allowed. */
  exclusive?: boolean;
  max?: number;
}

/**
 * Parse `text` as a number within `rule`, or throw a UsageError naming `option`.
 *
 * @example
 * ```ts
 * parseNumber('--limit', '4', { integer: true, min: 1 }); // 4
 * ```
 */
export function parseNumber(option: string, text: string, rule: NumberRule): number {
  const value = Number(text);
  // Number() also reads '1e4', '0x10', '0b11' and '1.0' as integers: an integer option takes
  // plain decimal digits only, so what the user typed is what the run uses
  const digits = /^-?\d+$/.test(text.trim());
  const bad =
    text.trim() === '' ||
    !Number.isFinite(value) ||
    (rule.integer === true && (!digits || !Number.isSafeInteger(value))) ||
    (rule.exclusive === true ? value <= rule.min : value < rule.min) ||
    (rule.max !== undefined && value > rule.max);
  if (bad) {
    const kind = rule.integer === true ? 'an integer' : 'a number';
    const range = `${rule.exclusive === true ? '>' : '>='} ${rule.min}`;
    const max = rule.max === undefined ? '' : ` and <= ${rule.max}`;
    const hint =
      rule.integer !== true || !Number.isFinite(value)
        ? ''
        : !digits
          ? ' (write an integer in plain decimal digits)'
          : !Number.isSafeInteger(value)
            ? ` (at most ${Number.MAX_SAFE_INTEGER})`
            : '';
    throw new UsageError(`${option} must be ${kind} ${range}${max}, got "${text}"${hint}`);
  }
  return value;
}

/**
 * The largest grid the commands accept (4096 x 4096). Whether a grid fits in this process's
 * heap is checked separately, before the run (memory-estimate.ts).
 */
export const MAX_GRID_CELLS = 4096 * 4096;

/**
 * Parse a grid size `WxH`.
 *
 * @example
 * ```ts
 * parseGrid('100x50'); // { width: 100, height: 50 }
 * ```
 */
export function parseGrid(
  text: string,
  option = '--grid',
  maxCells = MAX_GRID_CELLS,
): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/i.exec(text.trim());
  const width = m === null ? NaN : Number(m[1]);
  const height = m === null ? NaN : Number(m[2]);
  if (!(width >= 1 && height >= 1)) {
    throw new UsageError(
      `${option} must be WxH with W and H integers >= 1 (e.g. 50x50), got "${text}"`,
    );
  }
  if (width * height > maxCells) {
    throw new UsageError(
      `${option} ${text} has ${width * height} cells; at most ${maxCells} are supported`,
    );
  }
  return { width, height };
}
