/* eslint-disable no-control-regex -- ANSI escape sequences are what these tests inspect */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runLive } from '../../../src/observatory/live/run-live.js';
import {
  MetricsAggregator,
  type MetricsLine,
} from '../../../src/observatory/metrics/metrics-aggregator.js';
import {
  ENTER_SEQUENCE,
  RESTORE_SEQUENCE,
} from '../../../src/observatory/render/terminal-guard.js';
import { SyntheticGridSource } from '../../../src/observatory/diagnostics/renderer-diag.js';
import { CaptureStream, ManualSource } from '../render/fake-terminal.js';

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const exitListeners = (): number => process.listenerCount('exit');

describe('runLive on a terminal [LIVE-1][LIVE-2][LIVE-3]', () => {
  it('paces frames at fps, writes once per frame, restores the terminal and leaks nothing', async () => {
    const timersBefore = timers();
    const exitBefore = exitListeners();
    const source = new SyntheticGridSource({ sources: 500, rate: 4, width: 30, height: 20 });
    source.start();
    const out = new CaptureStream();
    const lines: MetricsLine[] = [];
    const metrics = new MetricsAggregator({ intervalMs: 0, onLine: (l) => lines.push(l) });
    const summary = await runLive({
      source,
      out,
      isTTY: true,
      columns: 80,
      rows: 24,
      fps: 30,
      metrics,
      signal: new AbortController().signal,
      durationMs: 1500,
    });
    source.stop();
    metrics.flush();
    await metrics.close();
    expect(out.writes[0]).toBe(ENTER_SEQUENCE);
    expect(out.writes.at(-1)).toBe(RESTORE_SEQUENCE);
    // ~45 frames expected in 1.5 s at 30 fps; a loaded CI machine may drop some
    expect(summary.frames).toBeGreaterThanOrEqual(25);
    expect(summary.frames).toBeLessThanOrEqual(47);
    expect(out.writes.length - 2).toBeLessThanOrEqual(summary.frames); // at most one write per frame
    expect(summary.wallMs).toBeGreaterThanOrEqual(1490);
    expect(summary.fps).toBeCloseTo(summary.frames / (summary.wallMs / 1000), 6);
    for (const v of [summary.flushP99Ms, summary.renderJitterP99Ms, summary.eventLoopLagP99Ms]) {
      expect(Number.isFinite(v)).toBe(true);
    }
    const names = new Set(lines.flatMap((l) => Object.keys(l.metrics)));
    for (const n of ['fps', 'render_jitter_ms', 'flush_duration_ms', 'event_loop_lag_ms']) {
      expect(names.has(n), n).toBe(true);
    }
    expect(timers()).toBeLessThanOrEqual(timersBefore);
    expect(exitListeners()).toBe(exitBefore);
  });

  it('stops and restores when the signal aborts (Ctrl+C)', async () => {
    const ac = new AbortController();
    const out = new CaptureStream();
    const started = performance.now();
    setTimeout(() => ac.abort(), 200);
    const summary = await runLive({
      source: new ManualSource(10, 10),
      out,
      isTTY: true,
      signal: ac.signal,
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(summary.frames).toBeGreaterThan(0);
    expect(out.text.endsWith(RESTORE_SEQUENCE)).toBe(true);
  });

  it('restores the terminal and rejects when drawing throws', async () => {
    const source = new ManualSource(5, 5);
    let calls = 0;
    source.status = () => {
      if (++calls === 3) throw new Error('source broke');
      return {
        agents: 1,
        r: 0,
        flashesPerSec: 0,
        simTimeMs: calls * 1000,
        clock: 'real',
        speed: 1,
      };
    };
    const timersBefore = timers();
    const out = new CaptureStream();
    await expect(
      runLive({ source, out, isTTY: true, signal: new AbortController().signal }),
    ).rejects.toThrow('source broke');
    expect(out.text.endsWith(RESTORE_SEQUENCE)).toBe(true);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  });

  it('redraws everything at the new size on resize', async () => {
    const out = new CaptureStream() as CaptureStream & { columns: number; rows: number };
    out.columns = 100;
    out.rows = 40;
    const ac = new AbortController();
    const done = runLive({ source: new ManualSource(50, 50), out, isTTY: true, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 100));
    out.columns = 20;
    out.rows = 10;
    out.emit('resize');
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await done;
    const afterResize = out.writes.findIndex((w, i) => i > 1 && w.includes('\x1b[2J'));
    expect(afterResize).toBeGreaterThan(1);
    // nothing is drawn beyond column 20 or row 10 after the resize
    for (const w of out.writes.slice(afterResize)) {
      for (const m of w.matchAll(/\x1b\[(\d+);(\d+)H/g)) {
        expect(Number(m[1])).toBeLessThanOrEqual(10);
        expect(Number(m[2])).toBeLessThanOrEqual(20);
      }
    }
    expect(out.listenerCount('resize')).toBe(0);
  });

  it('returns at once with zero frames when the signal is already aborted', async () => {
    const out = new CaptureStream();
    const s = await runLive({
      source: new ManualSource(2, 2),
      out,
      isTTY: true,
      signal: AbortSignal.abort(),
    });
    expect(s.frames).toBe(0);
    expect(out.writes).toHaveLength(0);
  });

  it('rejects a bad fps, naming the option', () => {
    expect(() =>
      runLive({
        source: new ManualSource(2, 2),
        out: new CaptureStream(),
        isTTY: true,
        fps: 0,
        signal: AbortSignal.abort(),
      }),
    ).toThrow(/fps/);
  });
});

describe('runLive without a terminal', () => {
  it('writes one plain progress line per second and no escape code', async () => {
    const source = new ManualSource(4, 4);
    const out = new CaptureStream();
    const summary = await runLive({
      source,
      out,
      isTTY: false,
      signal: new AbortController().signal,
      durationMs: 2200,
    });
    expect(out.text).not.toContain('\x1b');
    const lines = out.text.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).toMatch(/^t=0\.0s agents=16 R=0\.500 flashes\/s=12 lag_p99=\d+\.\d+ms$/);
    }
    expect(summary.frames).toBe(0);
  });

  it('builds frames offscreen when asked, still with no escape code on the output', async () => {
    const out = new CaptureStream();
    const summary = await runLive({
      source: new ManualSource(4, 4),
      out,
      isTTY: false,
      offscreen: true,
      signal: new AbortController().signal,
      durationMs: 1100,
    });
    expect(summary.frames).toBeGreaterThan(15);
    expect(out.text).not.toContain('\x1b');
    expect(out.text).toMatch(/fps=\d+\.\d flush_p99=/);
  });
});

describe('runLive backpressure [LIVE-4]', () => {
  it('skips frames while the output needs a drain, and draws again once it drained', async () => {
    const writes: string[] = [];
    // A terminal that takes 300 ms to accept each chunk, with a 1-byte high-water mark.
    const slow = new Writable({
      highWaterMark: 1,
      decodeStrings: false,
      write(chunk: unknown, _enc, cb: () => void) {
        writes.push(String(chunk));
        setTimeout(cb, 300);
      },
    });
    // Busy enough that every frame has changes to write.
    const source = new SyntheticGridSource({ sources: 400, rate: 10, width: 20, height: 20 });
    source.start();
    const summary = await runLive({
      source,
      out: slow,
      isTTY: true,
      fps: 60,
      signal: new AbortController().signal,
      durationMs: 700,
    });
    source.stop();
    // at 60 fps 700 ms would be ~42 frames; a terminal taking 300 ms per write accepts ~3
    expect(summary.frames).toBeGreaterThanOrEqual(1);
    expect(summary.frames).toBeLessThanOrEqual(4);
    expect(writes.length).toBeLessThanOrEqual(summary.frames + 2);
    await new Promise((r) => setTimeout(r, 700)); // let the slow stream finish its callbacks
  });
});
