import { describe, expect, it } from 'vitest';
import { CascadeError, ErrorCode, InvalidArgumentError } from '../../../src/errors.js';
import {
  analyzeMetricsLog,
  niceTicks,
  parseMetricsLog,
  pearson,
  plotRuns,
} from '../../../src/observatory/report/index.js';

const line = (o: Record<string, unknown>): string => JSON.stringify(o);
const stat = (v: number) => ({ count: 1, min: v, avg: v, max: v, p99: v });

describe('parseMetricsLog', () => {
  it('uses simulated time when lines carry sim_t [LOG-1]', () => {
    const run = parseMetricsLog(
      [
        line({ t: 5000, interval_ms: 10, sim_t: 1000, metrics: { r_value: stat(0.1) } }),
        line({ t: 5010, interval_ms: 10, sim_t: 2000, metrics: { r_value: stat(0.2) } }),
      ].join('\n'),
      'a',
    );
    expect(run.timeAxis).toBe('simulated');
    expect(run.metrics.get('r_value')?.map((p) => p.t)).toEqual([1, 2]);
  });

  it('falls back to wall seconds since the first line for logs without sim_t [LOG-1]', () => {
    const run = parseMetricsLog(
      [
        line({ t: 5000, interval_ms: 1000, metrics: { fps: stat(30) } }),
        line({ t: 7500, interval_ms: 1000, metrics: { fps: stat(29) } }),
      ].join('\n'),
      'a',
    );
    expect(run.timeAxis).toBe('wall');
    expect(run.metrics.get('fps')?.map((p) => p.t)).toEqual([0, 2.5]);
  });

  it('skips and counts lines that are not metrics lines [LOG-2]', () => {
    const run = parseMetricsLog(
      ['{', line({ t: 1, metrics: { fps: stat(30) } }), '[1,2]', line({ t: 2, x: 1 })].join('\n'),
      'a',
    );
    expect(run.lines).toBe(1);
    expect(run.skipped).toEqual([1, 3, 4]);
  });

  it('throws InvalidMetricsLogError for a file with no metrics line [LOG-2]', () => {
    for (const text of ['', 'hello\nworld\n', '{"a":1}']) {
      let error: unknown;
      try {
        parseMetricsLog(text, 'x.jsonl');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CascadeError);
      expect((error as CascadeError).code).toBe(ErrorCode.INVALID_METRICS_LOG);
      expect((error as CascadeError).details.source).toBe('x.jsonl');
    }
  });
});

describe('analysis', () => {
  it('pearson: +1, -1, and null where undefined [ANA-2]', () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).toBeCloseTo(-1, 12);
    expect(pearson([1, 2], [1, 2])).toBeNull(); // too few
    expect(pearson([3, 3, 3], [1, 2, 3])).toBeNull(); // no variance
  });

  it('summary: extremes of every value, count-weighted mean [ANA-1]', () => {
    const run = parseMetricsLog(
      [
        line({ t: 1, sim_t: 1000, metrics: { x: { count: 3, min: 1, avg: 2, max: 9, p99: 9 } } }),
        line({ t: 2, sim_t: 2000, metrics: { x: { count: 1, min: 6, avg: 6, max: 6, p99: 6 } } }),
      ].join('\n'),
      'a',
    );
    const [s] = analyzeMetricsLog(run).summary;
    expect(s).toMatchObject({ metric: 'x', lines: 2, samples: 4, min: 1, max: 9, mean: 3 });
  });
});

describe('plot', () => {
  const run = parseMetricsLog(line({ t: 1, sim_t: 1000, metrics: { fps: stat(30) } }), 'a');

  it('a metric no log has is an InvalidArgumentError naming those it has [PLT-3]', () => {
    expect(() => plotRuns([run], 'svg', { metrics: ['nope'] })).toThrow(InvalidArgumentError);
    expect(() => plotRuns([run], 'svg', { metrics: ['nope'] })).toThrow(/they have fps/);
  });

  it('nice ticks cover the domain at a 1-2-2.5-5 step', () => {
    expect(niceTicks(0, 0.93, 5)).toEqual({
      domain: [0, 1],
      ticks: [0, 0.2, 0.4, 0.6, 0.8, 1],
      step: 0.2,
    });
    const flat = niceTicks(30, 30, 4);
    expect(flat.domain[0]).toBeLessThan(30);
    expect(flat.domain[1]).toBeGreaterThan(30);
  });
});
