/**
 * The live view without a terminal: piped output gets plain progress lines and no escape
 * code; bad values exit 2 before anything starts. Runs the built CLI (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, root } from './run-cli.js';
const dir = mkdtempSync(join(tmpdir(), 'cascade-pipe-'));

const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 20_000 });

beforeAll(() => {
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cascade diag renderer with piped output', () => {
  it('prints one plain progress line per second, no escape code, a summary, and logs JSONL', () => {
    const log = join(dir, 'renderer.jsonl');
    const r = run('diag', 'renderer', '--duration', '2', '--log', log);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    const progress = r.stdout.split('\n').filter((l) => l.startsWith('t='));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(2);
    for (const l of progress) {
      expect(l).toMatch(
        /^t=\d+\.\ds agents=5000 R=\d\.\d{3} flashes\/s=\d+ fps=\d+\.\d flush_p99=/,
      );
    }
    expect(r.stdout).toMatch(/cascade diag renderer: 5000 sources x 2\/s on 50x50, 2\.\d s\n/);
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            metrics: Record<string, { count: number }>;
          },
      );
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => (l.metrics.fps?.count ?? 0) > 0)).toBe(true);
    const flushes = lines.reduce((s, l) => s + (l.metrics.flush_duration_ms?.count ?? 0), 0);
    expect(flushes).toBeGreaterThan(30); // ~60 frames in 2 s, all recorded
  });

  it('prints only JSON on stdout with --json', () => {
    const r = run(
      'diag',
      'renderer',
      '--duration',
      '1',
      '--json',
      '--grid',
      '20x10',
      '--sources',
      '100',
    );
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      sources: 100,
      rate: 2,
      grid: '20x10',
      targetFps: 30,
      interrupted: false,
    });
    for (const k of [
      'frames',
      'fps',
      'renderJitterP99Ms',
      'flushP99Ms',
      'eventLoopLagP99Ms',
      'wallMs',
    ]) {
      expect(typeof summary[k], k).toBe('number');
    }
  });

  it('exits 2 with a clear message on bad values', () => {
    for (const [args, message] of [
      [['--grid', '0x5'], /--grid must be WxH/],
      [['--sources', '-3'], /--sources must be an integer >= 1/],
      [['--rate', 'fast'], /--rate must be a number > 0/],
      [['--duration', '0'], /--duration must be a number > 0/],
    ] as const) {
      const r = run('diag', 'renderer', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});
