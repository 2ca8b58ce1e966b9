import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runFireflies } from '../../src/observatory/experiments/firefly-run.js';

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

describe('runFireflies', () => {
  it('on the virtual clock without a duration, advances until aborted [RUN-2]', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
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
  });
});
