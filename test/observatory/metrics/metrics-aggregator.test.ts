import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MetricsAggregator,
  type MetricsLine,
} from '../../../src/observatory/metrics/metrics-aggregator.js';
import {
  percentileOf,
  SampleReservoir,
} from '../../../src/observatory/metrics/sample-reservoir.js';

const dir = mkdtempSync(join(tmpdir(), 'cascade-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readLines = (path: string): MetricsLine[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as MetricsLine);

describe('MetricsAggregator', () => {
  it('writes one JSONL line per flush with count/min/avg/max/p99 per metric', async () => {
    let now = 1000;
    const path = join(dir, 'a.jsonl');
    const m = new MetricsAggregator({ path, intervalMs: 0, now: () => now });
    for (const v of [10, 20, 30, 40]) m.record('fps', v);
    m.record('render_jitter_ms', 2.5);
    now = 2000;
    m.flush();
    m.record('fps', 5);
    now = 2500;
    await m.close();
    const lines = readLines(path);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      t: 2000,
      interval_ms: 1000,
      metrics: {
        fps: { count: 4, min: 10, avg: 25, max: 40, p99: 40 },
        render_jitter_ms: { count: 1, min: 2.5, avg: 2.5, max: 2.5, p99: 2.5 },
      },
    });
    // close() flushed the partial last interval [MET-1]
    expect(lines[1]).toEqual({
      t: 2500,
      interval_ms: 500,
      metrics: { fps: { count: 1, min: 5, avg: 5, max: 5, p99: 5 } },
    });
  });

  it('with simNow, every line carries its simulated time; flush(simT) overrides it', async () => {
    let sim = 0;
    const m = new MetricsAggregator({ intervalMs: 0, now: () => 5, simNow: () => sim });
    m.record('r_value', 0.5);
    sim = 1234.5678;
    expect(m.flush()?.sim_t).toBe(1234.568);
    m.record('r_value', 0.6);
    const line = m.flush(2000);
    expect(line?.sim_t).toBe(2000);
    expect(Object.keys(line ?? {})).toEqual(['t', 'interval_ms', 'sim_t', 'metrics']);
    await m.close();
    // without simNow the line has no sim_t
    const plain = new MetricsAggregator({ intervalMs: 0 });
    plain.record('x', 1);
    expect(plain.flush()).not.toHaveProperty('sim_t');
    await plain.close();
  });

  it('writes no line for an interval with nothing recorded [MET-3]', async () => {
    const path = join(dir, 'empty.jsonl');
    const m = new MetricsAggregator({ path, intervalMs: 0 });
    expect(m.flush()).toBeUndefined();
    await m.close();
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('flushes on its own every intervalMs, and loses nothing recorded across intervals', async () => {
    const path = join(dir, 'timer.jsonl');
    const m = new MetricsAggregator({ path, intervalMs: 40 });
    let recorded = 0;
    const start = Date.now();
    while (Date.now() - start < 200) {
      m.record('flush_duration_ms', Math.random());
      recorded++;
      await new Promise((r) => setTimeout(r, 2));
    }
    // lines already on disk before close: synchronous writes
    expect(readLines(path).length).toBeGreaterThanOrEqual(2);
    await m.close();
    const lines = readLines(path);
    const total = lines.reduce((s, l) => s + (l.metrics.flush_duration_ms?.count ?? 0), 0);
    expect(total).toBe(recorded);
    for (const l of lines) expect(l.interval_ms).toBeGreaterThan(0);
  });

  it('close is idempotent and record after close is ignored [MET-2]', async () => {
    const path = join(dir, 'closed.jsonl');
    const m = new MetricsAggregator({ path, intervalMs: 0 });
    m.record('x', 1);
    await m.close();
    await m.close();
    m.record('x', 2);
    expect(m.flush()).toBeUndefined();
    expect(m.closed).toBe(true);
    expect(readLines(path)).toHaveLength(1);
  });

  it('hands lines to onLine without a file', () => {
    const seen: MetricsLine[] = [];
    const m = new MetricsAggregator({ intervalMs: 0, onLine: (l) => seen.push(l) });
    m.record('event_loop_lag_ms', 3);
    m.flush();
    expect(seen[0].metrics.event_loop_lag_ms.max).toBe(3);
    void m.close();
  });

  it('rejects a negative interval, naming the option', () => {
    expect(() => new MetricsAggregator({ intervalMs: -1 })).toThrow(/intervalMs/);
  });
});

describe('SampleReservoir [RSV-1][RSV-2]', () => {
  it('gives exact nearest-rank percentiles while under capacity', () => {
    const r = new SampleReservoir();
    for (let i = 1; i <= 1000; i++) r.add(i);
    expect(r.percentile(99)).toBe(990);
    expect(r.percentile(50)).toBe(500);
    expect(r.percentile(100)).toBe(1000);
    expect(percentileOf(new Float64Array(0), 99)).toBeNaN();
  });

  it('keeps exact count/min/max/mean and bounded memory past capacity', () => {
    const r = new SampleReservoir(100);
    for (let i = 0; i < 100_000; i++) r.add(i % 1000);
    expect(r.count).toBe(100_000);
    expect(r.min).toBe(0);
    expect(r.max).toBe(999);
    expect(r.mean).toBeCloseTo(499.5, 6);
    const p99 = r.percentile(99);
    expect(p99).toBeGreaterThan(900); // a uniform sample of 0..999
  });
});
