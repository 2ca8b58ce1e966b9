/* eslint-disable no-control-regex -- ANSI escape sequences are what these tests inspect */
import { describe, expect, it } from 'vitest';
import { AnsiRenderer } from '../../../src/observatory/render/ansi-renderer.js';
import { computeLayout, STATUS_ROWS } from '../../../src/observatory/render/layout.js';
import { LEVELS, levelOf, Palette } from '../../../src/observatory/render/palette.js';
import { CaptureStream, ManualSource, VirtualScreen } from './fake-terminal.js';
import { formatClockBar, formatProgressLine } from '../../../src/observatory/render/status-bar.js';
import type { GridStatus } from '../../../src/observatory/render/grid-source.js';

const palette = new Palette('256');
const colourOf = (level: number): string => /48;5;(\d+)m/.exec(palette.bg[level])![1];

/** The RGB of an xterm-256 colour index from the 6x6x6 cube (16..231) or the grey ramp. */
function xtermRgb(n: number): [number, number, number] {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return [v, v, v];
  }
  const steps = [0, 95, 135, 175, 215, 255];
  const i = n - 16;
  return [steps[Math.floor(i / 36)], steps[Math.floor(i / 6) % 6], steps[i % 6]];
}

describe('AnsiRenderer frame diff [REND-1][DIFF-1]', () => {
  it('draws every cell on the first frame, then nothing while nothing changes', () => {
    const source = new ManualSource(4, 3);
    const out = new CaptureStream();
    const r = new AnsiRenderer({ source, out, columns: 80, rows: 24 });
    expect(r.layout.mode).toBe('cell');
    r.renderFrame({ fps: 30 });
    expect(out.writes).toHaveLength(1);
    expect(r.lastChangedCells).toBe(12);
    r.renderFrame({ fps: 30 });
    expect(out.writes).toHaveLength(1); // no change, no write
    expect(r.lastChangedCells).toBe(0);
  });

  it('writes only the changed cell, in one write, with a single cursor move', () => {
    const source = new ManualSource(10, 10);
    const out = new CaptureStream();
    const r = new AnsiRenderer({ source, out, columns: 80, rows: 24 });
    r.renderFrame({ fps: 30 });
    source.time = 5;
    source.flash(3, 7, 5);
    r.renderFrame({ fps: 30 });
    expect(out.writes).toHaveLength(2);
    expect(r.lastChangedCells).toBe(1);
    const frame = out.writes[1];
    const { originCol, originRow } = r.layout;
    // cell mode: 2 characters per cell
    expect(
      frame.startsWith(`\x1b[${originRow + 7};${originCol + 6}H${palette.bg[LEVELS - 1]}  `),
    ).toBe(true);
    expect(frame.match(/\x1b\[\d+;\d+H/g)).toHaveLength(1);
  });

  it('fades a flash to dark over 0.3 * period [GRID-2]', () => {
    const source = new ManualSource(2, 2, 1000);
    const out = new CaptureStream();
    const screen = new VirtualScreen(40, 10);
    const r = new AnsiRenderer({ source, out, columns: 40, rows: 10 });
    source.flash(1, 1, 0);
    const at = (t: number): string => {
      source.time = t;
      r.renderFrame({ fps: 30 });
      screen.feed(out.writes.at(-1)!);
      const { originCol, originRow } = r.layout;
      return screen.colours(originRow + 1, originCol + 2).top;
    };
    expect(at(0)).toBe(colourOf(LEVELS - 1));
    expect(at(150)).toBe(colourOf(levelOf(0.5)));
    expect(at(300)).toBe(colourOf(0));
    expect(at(10_000)).toBe(colourOf(0));
  });

  it('after any sequence of frames the screen equals a fresh full redraw', () => {
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const [w, h, cols, rows] of [
      [8, 6, 40, 12], // cell mode
      [30, 25, 40, 20], // half blocks
      [200, 150, 40, 20], // downsampled half blocks
    ] as const) {
      const source = new ManualSource(w, h, 1000);
      const out = new CaptureStream();
      const r = new AnsiRenderer({ source, out, columns: cols, rows });
      const screen = new VirtualScreen(cols, rows);
      for (let frame = 0; frame < 40; frame++) {
        source.time = frame * 33;
        for (let k = 0; k < 5; k++) {
          source.flash(Math.floor(rand() * w), Math.floor(rand() * h), source.time - rand() * 200);
        }
        r.renderFrame({ fps: 30 });
        screen.feed(out.writes.at(-1) ?? '');
      }
      const fresh = new CaptureStream();
      new AnsiRenderer({ source, out: fresh, columns: cols, rows }).renderFrame({ fps: 30 });
      const reference = new VirtualScreen(cols, rows);
      reference.feed(fresh.text);
      for (let row = 2; row <= rows; row++) {
        for (let col = 1; col <= cols; col++) {
          expect(screen.colours(row, col), `${w}x${h} at ${row},${col}`).toEqual(
            reference.colours(row, col),
          );
        }
      }
    }
  });
});

describe('downsampling [LAY-1][LAY-2]', () => {
  it('fits 1000x1000 on a 100x40 terminal with half blocks', () => {
    const l = computeLayout(1000, 1000, 100, 40);
    expect(l.mode).toBe('half');
    expect(l.charCols).toBeLessThanOrEqual(100);
    const lines = 40 - STATUS_ROWS;
    expect(l.charRows).toBeLessThanOrEqual(lines);
    // the smallest block that fits: one less would not fit
    const b = l.block - 1;
    expect(Math.ceil(1000 / b) > 100 || Math.ceil(Math.ceil(1000 / b) / 2) > lines).toBe(true);
  });

  it('uses two grid rows per line when the grid is taller than the terminal', () => {
    const l = computeLayout(50, 50, 100, 40);
    expect(l).toMatchObject({ mode: 'half', block: 1, charCols: 50, charRows: 25 });
  });

  it('shows the max brightness over a block: one flashing cell lights its pixel', () => {
    const source = new ManualSource(1000, 1000);
    const out = new CaptureStream();
    const r = new AnsiRenderer({ source, out, columns: 100, rows: 40 });
    const { block, originCol, originRow } = r.layout;
    expect(block).toBeGreaterThan(1);
    source.flash(517, 333, 0);
    source.flash(518, 334, -250); // dimmer neighbour in the same block must not win
    r.renderFrame({ fps: 30 });
    const screen = new VirtualScreen(100, 40);
    screen.feed(out.text);
    const px = Math.floor(517 / block);
    const py = Math.floor(333 / block);
    const c = screen.colours(originRow + Math.floor(py / 2), originCol + px);
    expect(py % 2 === 0 ? c.top : c.bottom).toBe(colourOf(LEVELS - 1));
    // every other visible pixel is dark
    let lit = 0;
    for (let row = 2; row <= 40; row++) {
      for (let col = 1; col <= 100; col++) {
        const k = screen.colours(row, col);
        if (k.top === colourOf(LEVELS - 1) || k.bottom === colourOf(LEVELS - 1)) lit++;
      }
    }
    expect(lit).toBe(1);
  });

  it('redraws everything at the new size after a resize [REND-2]', () => {
    const source = new ManualSource(50, 50);
    const out = new CaptureStream();
    const r = new AnsiRenderer({ source, out, columns: 100, rows: 40 });
    r.renderFrame({ fps: 30 });
    r.resize(30, 12);
    expect(r.layout.charCols).toBeLessThanOrEqual(30);
    expect(r.layout.charRows).toBeLessThanOrEqual(11);
    r.renderFrame({ fps: 30 });
    const frame = out.writes.at(-1)!;
    expect(frame.startsWith('\x1b[0m\x1b[2J')).toBe(true);
    expect(r.lastChangedCells).toBe(r.layout.charCols * r.layout.charRows);
  });

  it('draws no grid when the terminal has no room, without throwing', () => {
    const r = new AnsiRenderer({
      source: new ManualSource(5, 5),
      out: new CaptureStream(),
      columns: 10,
      rows: 1,
    });
    expect(r.layout.mode).toBe('none');
    expect(() => r.renderFrame({ fps: 1 })).not.toThrow();
  });
});

describe('status bar and palette', () => {
  it('shows agents, R with a bar, flashes/s, fps, sim time and clock, cut to the width [STAT-1]', () => {
    const source = new ManualSource(4, 4);
    const out = new CaptureStream();
    new AnsiRenderer({ source, out, columns: 120, rows: 20 }).renderFrame({ fps: 29.5 });
    const screen = new VirtualScreen(120, 20);
    screen.feed(out.text);
    const [status, clockLine] = screen.text().split('\n');
    expect(status).toMatch(/agents 16 +R 0\.500 █████░░░░░ +flashes\/s 12 +fps 29\.5 +sim 0\.0s/);
    expect(clockLine).toMatch(/^ virtual clock/);
    const narrow = new CaptureStream();
    new AnsiRenderer({ source, out: narrow, columns: 30, rows: 20 }).renderFrame({ fps: 30 });
    const s2 = new VirtualScreen(30, 20);
    s2.feed(narrow.text);
    expect(s2.text().split('\n')[0].length).toBeLessThanOrEqual(30);
    expect(s2.text().split('\n')[1].length).toBeLessThanOrEqual(30);
  });

  it('quantises brightness monotonically into 16 levels [PAL-1][PAL-2]', () => {
    let prev = 0;
    for (let b = 0; b <= 1; b += 0.001) {
      const l = levelOf(b);
      expect(l).toBeGreaterThanOrEqual(prev);
      prev = l;
    }
    expect(levelOf(0)).toBe(0);
    expect(levelOf(NaN)).toBe(0);
    expect(levelOf(1)).toBe(LEVELS - 1);
    expect(levelOf(0.01)).toBe(1); // a faint flash is still visible
    expect(new Set(palette.bg).size).toBeGreaterThan(10);
    expect(new Palette('truecolor').bg[LEVELS - 1]).toMatch(/^\x1b\[48;2;\d+;\d+;\d+m$/);
  });

  it('gives every 256-colour level its own colour, never darker than the level below, greys only at night [PAL-4]', () => {
    const indexes = Array.from({ length: LEVELS }, (_, level) => Number(colourOf(level)));
    expect(new Set(indexes).size).toBe(LEVELS);
    const luminance = indexes.map((n) => {
      const [r, g, b] = xtermRgb(n);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    });
    for (let l = 1; l < LEVELS; l++) expect(luminance[l]).toBeGreaterThanOrEqual(luminance[l - 1]);
    const greys = indexes.flatMap((n, level) => (n >= 232 ? [level] : []));
    expect(Math.max(...greys)).toBeLessThan(LEVELS / 4); // the night: levels 0..3
    expect(indexes[LEVELS - 1]).toBe(230); // the flash: yellow-white
  });
});

describe('the clock line and the progress line show the pace [STAT-3]', () => {
  const base: GridStatus = {
    agents: 100,
    r: 0.5,
    flashesPerSec: 20,
    simTimeMs: 12_000,
    clock: 'real',
    speed: 20,
  };

  it('says asked, achieved and how far behind when the run cannot keep up', () => {
    const lagging = { ...base, achievedSpeed: 7.4, behindMs: 12_300, lagging: true, keys: true };
    expect(formatClockBar(lagging, 200)).toBe(
      ' real clock x20 asked, x7.4 achieved, 12.3 s behind   space pause  +/- speed  q quit',
    );
    expect(formatProgressLine(lagging, { fps: 0, lagP99Ms: 1.5 })).toBe(
      't=12.0s agents=100 R=0.500 flashes/s=20 speed=x20 achieved=x7.4 behind=12.3s lag_p99=1.50ms',
    );
    const keeping = { ...base, achievedSpeed: 19.9, behindMs: 3, lagging: false };
    expect(formatClockBar(keeping, 200)).toBe(' real clock x20');
  });

  it('shows the paused state and the keys, cut to the width [STAT-1]', () => {
    const paused = { ...base, paused: true, keys: true };
    expect(formatClockBar(paused, 200)).toBe(
      ' PAUSED real clock x20   space resume  +/- speed  q quit',
    );
    expect(formatClockBar(paused, 12)).toHaveLength(12);
    expect(formatProgressLine(paused, { fps: 0 })).toMatch(/ paused$/);
    const virtual = {
      ...base,
      clock: 'virtual' as const,
      speed: 1,
      achievedSpeed: 412,
      keys: true,
    };
    expect(formatClockBar(virtual, 200)).toBe(' virtual clock x412 sim/wall   space pause  q quit');
  });
});
