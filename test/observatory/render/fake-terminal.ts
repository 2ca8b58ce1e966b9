/* eslint-disable no-control-regex -- ANSI escape sequences are what these tests inspect */
/**
 * Test helpers: a Writable that records every write, a GridSource with a hand-driven clock,
 * and a tiny ANSI interpreter that replays frames onto a virtual screen of (char, fg, bg).
 */
import { Writable } from 'node:stream';
import type { GridSource, GridStatus } from '../../../src/observatory/render/grid-source.js';

export class CaptureStream extends Writable {
  readonly writes: string[] = [];
  constructor() {
    super({ decodeStrings: false });
  }
  override _write(chunk: unknown, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.writes.push(String(chunk));
    cb();
  }
  get text(): string {
    return this.writes.join('');
  }
}

export class ManualSource implements GridSource {
  readonly lastFlash: Float64Array;
  time = 0;
  statusCalls = 0;
  constructor(
    readonly width: number,
    readonly height: number,
    readonly periodMs = 1000,
  ) {
    this.lastFlash = new Float64Array(width * height).fill(NaN);
  }
  flash(x: number, y: number, at = this.time): void {
    this.lastFlash[y * this.width + x] = at;
  }
  now(): number {
    return this.time;
  }
  status(): GridStatus {
    this.statusCalls++;
    return {
      agents: this.width * this.height,
      r: 0.5,
      flashesPerSec: 12,
      simTimeMs: 0,
      clock: 'virtual',
      speed: 1,
    };
  }
}

export interface ScreenCell {
  ch: string;
  fg: string;
  bg: string;
}

/** Replays the subset of ANSI the renderer emits: CUP, SGR, ED 2, EL, alt screen, cursor. */
export class VirtualScreen {
  cells: ScreenCell[][];
  row = 1;
  col = 1;
  fg = 'default';
  bg = 'default';
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    this.cells = this.#blank();
  }
  #blank(): ScreenCell[][] {
    return Array.from({ length: this.rows }, () =>
      Array.from({ length: this.columns }, () => ({ ch: ' ', fg: 'default', bg: 'default' })),
    );
  }
  feed(text: string): void {
    const re = /\x1b\[([?0-9;]*)([A-Za-z])/y;
    let i = 0;
    while (i < text.length) {
      if (text[i] === '\x1b') {
        re.lastIndex = i;
        const m = re.exec(text);
        if (m === null)
          throw new Error(`unknown escape at ${i}: ${JSON.stringify(text.slice(i, i + 10))}`);
        this.#escape(m[1], m[2]);
        i = re.lastIndex;
        continue;
      }
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      if (this.row >= 1 && this.row <= this.rows && this.col >= 1 && this.col <= this.columns) {
        this.cells[this.row - 1][this.col - 1] = { ch, fg: this.fg, bg: this.bg };
      }
      this.col++;
      i += ch.length;
    }
  }
  #escape(params: string, cmd: string): void {
    if (cmd === 'H') {
      const [r, c] = params.split(';').map(Number);
      this.row = r ?? 1;
      this.col = c ?? 1;
    } else if (cmd === 'J') {
      this.cells = this.#blank();
    } else if (cmd === 'K') {
      for (let c = this.col; c <= this.columns; c++) {
        this.cells[this.row - 1][c - 1] = { ch: ' ', fg: this.fg, bg: this.bg };
      }
    } else if (cmd === 'm') {
      const p = params === '' ? ['0'] : params.split(';');
      for (let k = 0; k < p.length; k++) {
        if (p[k] === '0') {
          this.fg = 'default';
          this.bg = 'default';
        } else if (p[k] === '38' || p[k] === '48') {
          const value = p[k + 1] === '5' ? p[k + 2] : p.slice(k + 2, k + 5).join(',');
          if (p[k] === '38') this.fg = value;
          else this.bg = value;
          k += p[k + 1] === '5' ? 2 : 4;
        }
      }
    }
    // 'h' / 'l' (alt screen, cursor) do not change cells.
  }
  /** The visible colour of a cell: for '▀' the top half is fg, else bg. */
  colours(row: number, col: number): { top: string; bottom: string } {
    const c = this.cells[row - 1][col - 1];
    return c.ch === '\u2580' ? { top: c.fg, bottom: c.bg } : { top: c.bg, bottom: c.bg };
  }
  text(): string {
    return this.cells
      .map((r) =>
        r
          .map((c) => c.ch)
          .join('')
          .trimEnd(),
      )
      .join('\n');
  }
}
