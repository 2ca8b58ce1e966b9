/**
 * `cascade diag headless`, `cascade diag renderer` and `cascade profile` as a user runs them
 * (built CLI, child process).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from './run-cli.js';

const run = (args: string[]): CliResult => runCli(args);

describe('cascade diag headless', () => {
  it('prints flashes/s against N/T and the event-loop lag each second, then the summary', () => {
    const r = run(['diag', 'headless', '--grid', '20x20', '--speed', '10', '--duration', '25']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('t='));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toMatch(
      /agents=400 R=\d\.\d{3} flashes\/s=\d+ N\/T=80 speed=x10 achieved=x[\d.]+ lag_p99=[\d.]+ms/,
    );
    // headed by what ran, not by `cascade fireflies`
    expect(r.stdout).toMatch(/\ncascade diag headless: 400 agents \(20x20\), real clock x10/);
    expect(r.stdout).not.toContain('cascade fireflies:');
    expect(r.stdout).not.toContain('\x1b');
  });

  it('rejects a bad option with exit code 2', () => {
    const r = run(['diag', 'headless', '--limit', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--limit must be an integer >= 1/);
  });
});

describe('cascade diag renderer', () => {
  it('counts one source as "1 source"', () => {
    const r = run(['diag', 'renderer', '--sources', '1', '--grid', '1x1', '--duration', '0.3']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^cascade diag renderer: 1 source x 2\/s on 1x1, /m);
  });
});

describe('cascade profile', () => {
  it('writes a .cpuprofile and lists the top functions by self time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascade-prof-'));
    const out = join(dir, 'run.cpuprofile');
    const r = run([
      'profile',
      '--grid',
      '20x20',
      '--clock',
      'virtual',
      '--duration',
      '60',
      '--out',
      out,
      '--top',
      '5',
    ]);
    expect(r.code).toBe(0);
    const profile = JSON.parse(readFileSync(out, 'utf8')) as {
      nodes: unknown[];
      samples: number[];
    };
    expect(profile.nodes.length).toBeGreaterThan(10);
    expect(profile.samples.length).toBeGreaterThan(10);
    expect(r.stdout).toContain(`profile written to ${out}; top 5 functions by self time:`);
    const rows = r.stdout.split('\n').filter((l) => /^\s+\d+\.\d\s+\d+\.\d%/.test(l));
    expect(rows).toHaveLength(5);
  });

  it('runs on the virtual clock for 60 simulated s unless told otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascade-prof-'));
    const out = join(dir, 'run.cpuprofile');
    const r = run(['profile', '--grid', '10x10', '--out', out, '--top', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cascade profile: 100 agents \(10x10\), virtual clock, seed 1\n/m);
    expect(r.stdout).toMatch(/^ {2}simulated 60\.0 s in /m);
  });

  it('--help states one default for --duration and --clock, the ones it uses', () => {
    const r = run(['profile', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--duration <seconds> simulated seconds to run;[^)]*\(default: "60"\)/);
    expect(help).toContain('(default: "virtual")');
    expect(help.match(/default[^)]*\b10\b/g)).toBeNull();
    expect(help).not.toContain('Ctrl+C');
  });
});
