/**
 * `cascade fireflies` as a user runs it: the built CLI in a child process (npm test builds
 * first). The live view under a terminal is tested in terminal-fireflies.test.ts (tmux).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, runCli, type CliResult } from './run-cli.js';

const run = (args: string[]): CliResult => runCli(['fireflies', ...args]);

describe('cascade fireflies', () => {
  it.each([
    [['--agents', '10'], /perfect square.*--grid/],
    [['--agents', '0'], /--agents must be an integer >= 1/],
    [['--period', '-1'], /--period must be a number > 0/],
    [['--nudge', '5', '--period', '5'], /--nudge .* must be smaller than --period/],
    [['--refractory', '6'], /--refractory .* must be smaller than --period/],
    [['--limit', '0'], /--limit must be an integer >= 1/],
    [['--clock', 'wall'], /--clock must be "real" or "virtual"/],
    [['--grid', '0x5'], /--grid must be WxH/],
    [['--grid', '100000x100000'], /--grid 100000x100000 has 10000000000 cells; at most 16777216/],
    [['--agents', '1e12'], /--agents must be an integer >= 1 and <= 16777216/],
    [['--clock', 'virtual', '--speed', '3'], /--speed applies to --clock real/],
    [['--jitter', '10'], /^cascade: --jitter \(10 s\) must be smaller than --period \(5 s\)\n$/],
    [
      ['--agents', '1e4'],
      /--agents must be .*, got "1e4" \(write an integer in plain decimal digits\)/,
    ],
    [['--agents', '0x10'], /--agents must be .*, got "0x10" \(write an integer in plain decimal/],
    [['--seed', '1e2'], /--seed must be an integer >= 0 and <= 4294967295, got "1e2"/],
    [['--limit', '2.0'], /--limit must be an integer >= 1, got "2\.0"/],
  ])('rejects %j with exit code 2 and a clear message, before starting', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('runs headless on the virtual clock and prints a JSON summary and a JSONL log', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascade-ff-'));
    const log = join(dir, 'metrics.jsonl');
    const r = run([
      '--grid',
      '12x12',
      '--clock',
      'virtual',
      '--duration',
      '30',
      '--no-visualize',
      '--json',
      '--log',
      log,
    ]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary.agents).toBe(144);
    expect(summary.simTimeMs).toBe(30_000);
    expect(summary.flashes as number).toBeGreaterThan(144 * 5);
    expect(summary.failedAgents).toBe(0);
    expect((summary.rSeries as unknown[]).length).toBeGreaterThanOrEqual(30);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    const last = JSON.parse(lines[lines.length - 1]) as {
      metrics: Record<string, { count: number }>;
    };
    const names = new Set(
      lines.flatMap((l) => Object.keys((JSON.parse(l) as { metrics: object }).metrics)),
    );
    expect(names).toContain('r_value');
    expect(names).toContain('flashes_per_s');
    expect(last.metrics).toBeTypeOf('object');
  });

  it('prints plain progress lines without escape codes when stdout is not a terminal', () => {
    const r = run(['--grid', '10x10', '--speed', '20', '--duration', '40']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toMatch(/agents=100/);
    expect(r.stdout).toMatch(/cascade fireflies: 100 agents \(10x10\), real clock x20/);
    // no frame figures for a view that drew none (they would read NaN)
    expect(r.stdout).toContain('  view: no frames drawn\n');
    expect(r.stdout).not.toContain('NaN');
  });

  it('stops cleanly on SIGINT: summary printed, log flushed, exit code 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascade-ff-'));
    const log = join(dir, 'm.jsonl');
    const child = spawn(
      process.execPath,
      [cli, 'fireflies', '--grid', '20x20', '--no-visualize', '--duration', '600', '--log', log],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (/agents=400/.test(out) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/stopped by SIGINT \(Ctrl\+C\)/);
    expect(readFileSync(log, 'utf8')).toMatch(/event_loop_lag_ms/);
  });
});

describe('cascade fireflies --help', () => {
  it('says --duration is simulated time and what --speed means', () => {
    const help = runCli(['fireflies', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(
      /--duration <seconds> simulated seconds to run; on the real clock a run that cannot keep up takes longer in wall time/,
    );
    expect(help).toMatch(
      /--speed <x> real clock: simulated seconds per wall second \(in the view, the keys \+ and - change it\)/,
    );
  });
});
