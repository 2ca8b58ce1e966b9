/**
 * `plotRuns` and `formatLogAnalysis` against golden files: real logs of two seeded
 * virtual-clock runs and a real-clock log with the live view's figures. [PLT-1][SVG-1]
 * `UPDATE_GOLDEN=1 npx vitest run test/observatory/report` rewrites the goldens (look at them!).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  analyzeMetricsLog,
  formatLogAnalysis,
  parseMetricsLog,
  plotRuns,
} from '../../../src/observatory/report/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const load = (name: string) => parseMetricsLog(readFileSync(join(dir, name), 'utf8'), name);
const update = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string): void {
  const path = join(dir, 'golden', name);
  if (update) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe('plot and analyze golden files', () => {
  const seed1 = load('virtual-seed1.jsonl');
  const seed2 = load('virtual-seed2.jsonl');
  const view = load('real-view.jsonl');

  it('SVG: two runs overlaid on one simulated time axis', () => {
    const svg = plotRuns([seed1, seed2], 'svg', { metrics: ['r_value', 'flashes_per_s'] });
    golden('two-runs.svg', svg);
    expect(svg.match(/<polyline /g)).toHaveLength(4); // 2 metrics x 2 runs
    expect(svg).toContain('simulated seconds');
  });

  it('HTML: charts inlined with min..max bands, no script, no external reference [PLT-2]', () => {
    const html = plotRuns([view], 'html');
    golden('real-view.html', html);
    expect(html).not.toMatch(/<script|<link|src=|href=|@import|url\(/i);
    // fps, flush, jitter and lag have min < max in the log: a band each
    expect(html.match(/<polygon /g)?.length).toBeGreaterThanOrEqual(4);
    expect(plotRuns([view], 'html')).toBe(html); // deterministic
  });

  it('text: Braille charts sized to the terminal, no colour off a terminal', () => {
    const text = plotRuns([seed1, seed2], 'text', { metrics: ['r_value'], columns: 72, rows: 8 });
    golden('r-value.txt', text);
    expect(text).not.toContain('\x1b[');
    const plotRows = text.split('\n').filter((l) => l.includes('│'));
    expect(plotRows).toHaveLength(8);
    for (const row of plotRows) expect([...row].length).toBe(72);
    const colored = plotRuns([seed1], 'text', { metrics: ['r_value'], color: true });
    expect(colored).toContain('\x1b[33m');
  });

  it('analyze: summary and correlations as a table and as JSON', () => {
    const a = analyzeMetricsLog(view);
    golden('real-view.analyze.txt', formatLogAnalysis(a));
    golden('real-view.analyze.json', `${JSON.stringify(a, null, 2)}\n`);
    expect(a.skippedLines).toBe(1); // the torn line
    const fps = a.summary.find((s) => s.metric === 'fps');
    expect(fps).toMatchObject({ lines: 30, samples: 30, max: 30 });
    const flush = a.correlations.find((c) => c.a === 'fps.min' && c.b === 'flush_duration_ms.avg');
    expect(flush?.n).toBe(30);
    expect(flush?.r).toBeLessThan(-0.9);
    expect(formatLogAnalysis(a)).toContain('fps.min falls as the flush time rises');
  });
});
