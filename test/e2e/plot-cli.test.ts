/**
 * `cascade plot` and `cascade analyze` as a user runs them (the built command): files written,
 * text on a pipe, JSON, and the exit codes of bad input.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const fixtures = 'test/observatory/report/fixtures';
const dir = mkdtempSync(join(tmpdir(), 'cascade-plot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cascade plot / analyze', () => {
  it('writes an SVG and an HTML report, and plain text on a pipe', () => {
    const svg = join(dir, 'p.svg');
    const r = runCli([
      'plot',
      `${fixtures}/virtual-seed1.jsonl`,
      `${fixtures}/virtual-seed2.jsonl`,
      '--out',
      svg,
      '--metric',
      'r_value',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${svg}\n`);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg xmlns/);
    const html = join(dir, 'p.html');
    expect(runCli(['plot', `${fixtures}/real-view.jsonl`, '--out', html]).code).toBe(0);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
    const text = runCli(['plot', `${fixtures}/real-view.jsonl`, '--metric', 'fps']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('fps: frames per second');
    expect(text.stdout).not.toContain('\x1b[');
    expect(text.stderr).toContain('skipped 1 line(s)');
  });

  it('analyze prints a table, or JSON with --json', () => {
    const table = runCli(['analyze', `${fixtures}/real-view.jsonl`]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('correlations (Pearson r');
    const json = runCli(['analyze', `${fixtures}/real-view.jsonl`, '--json']);
    const a = JSON.parse(json.stdout) as { lines: number; columns: string[] };
    expect(a.lines).toBe(30);
    expect(a.columns).toContain('fps.min');
  });

  it('bad input: unknown metric and bad --out exit 2, a file that is no log exits 1 with its code', () => {
    const unknown = runCli(['plot', `${fixtures}/real-view.jsonl`, '--metric', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('they have r_value');
    expect(runCli(['plot', `${fixtures}/real-view.jsonl`, '--out', 'x.png']).code).toBe(2);
    expect(runCli(['analyze', join(dir, 'missing.jsonl')]).code).toBe(2);
    const notLog = runCli(['analyze', 'package.json']);
    expect(notLog.code).toBe(1);
    expect(notLog.stderr).toContain('CASCADE_ERR_INVALID_METRICS_LOG');
  });
});
