import type { MetricsLine } from '../../src/observatory/metrics/index.js';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runFireflies } from '../../src/observatory/experiments/firefly-run.js';

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

describe('runFireflies', () => {
  it('on the virtual clock without a duration, advances until aborted [FRUN-2]', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort('SIGTERM'), 300);
    const s = await runFireflies({
      width: 10,
      height: 10,
      clock: 'virtual',
      visualize: false,
      out: sink(),
      isTTY: false,
      signal: ac.signal,
    });
    expect(s.cancelled).toBe(true);
    expect(s.stoppedBy).toBe('SIGTERM'); // the abort's reason, when it is a string
    expect(s.simTimeMs).toBeGreaterThan(10_000);
    expect(s.flashes).toBeGreaterThan(100);
    expect(s.failedAgents).toBe(0);
  });

  it('headless with a log writes one JSONL line per second of wall time', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'cascade-run-')), 'm.jsonl');
    const lines: string[] = [];
    const s = await runFireflies({
      width: 10,
      height: 10,
      clock: 'real',
      speed: 10,
      durationMs: 35_000,
      visualize: false,
      out: sink(),
      isTTY: false,
      logPath: log,
      signal: new AbortController().signal,
      onProgress: (l) => lines.push(l),
    });
    expect(s.cancelled).toBe(false);
    const intervals = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { interval_ms: number }).interval_ms);
    expect(intervals.length).toBeGreaterThanOrEqual(3);
    // every full interval is about a second (the last one is the partial rest at close)
    for (const ms of intervals.slice(0, -1)) expect(ms).toBeGreaterThan(900);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^t=\d+\.\ds agents=100 R=/);
    // [SES-2] every line carries its simulated time, rising with the wall at about x10
    const simT = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { sim_t: number }).sim_t);
    for (let i = 1; i < simT.length; i++) expect(simT[i]).toBeGreaterThan(simT[i - 1]);
    expect(simT.at(-1)).toBeGreaterThanOrEqual(35_000);
  });

  it('on the virtual clock logs one line per simulated second, the same for the same seed [SES-2]', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascade-run-'));
    const run = async (name: string): Promise<Array<{ sim_t: number; r: number }>> => {
      const log = join(dir, name);
      await runFireflies({
        width: 10,
        height: 10,
        clock: 'virtual',
        durationMs: 30_000,
        visualize: false,
        out: sink(),
        isTTY: false,
        logPath: log,
        signal: new AbortController().signal,
      });
      return readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const line = JSON.parse(l) as MetricsLine;
          return { sim_t: line.sim_t ?? Number.NaN, r: line.metrics.r_value?.avg ?? Number.NaN };
        });
    };
    const a = await run('a.jsonl');
    // one line per simulated second 1..30 (a final partial line may follow at close)
    expect(a.slice(0, 30).map((l) => l.sim_t)).toEqual(
      Array.from({ length: 30 }, (_, i) => (i + 1) * 1000),
    );
    expect(a.slice(0, 30).every((l) => l.r >= 0 && l.r <= 1)).toBe(true);
    const b = await run('b.jsonl');
    expect(b.slice(0, 30)).toEqual(a.slice(0, 30));
  });
});
