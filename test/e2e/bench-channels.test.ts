/**
 * `cascade bench channels` as a user runs it (built CLI, child process, small parameters): in a
 * checkout it runs bench/channels.ts; without bench/ it says where the benchmarks are.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, runCli, type CliResult } from './run-cli.js';

const run = (args: string[]): CliResult => runCli(['bench', 'channels', ...args]);

describe('cascade bench channels', () => {
  it('--json prints parameters, machine and one row per scenario with every message delivered', () => {
    const r = run(['--producers', '10', '--messages', '200', '--repetitions', '1', '--json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as {
      params: Record<string, unknown>;
      machine: Record<string, unknown>;
      rows: Array<{ scenario: string; delivered: number; msgsPerSec: number; p99Us: number }>;
    };
    expect(d.machine).toHaveProperty('cores');
    expect(d.rows.map((x) => x.scenario)).toContain('mqemitter');
    for (const row of d.rows) {
      expect(row.delivered).toBe(10 * 200 * 8);
      expect(row.msgsPerSec).toBeGreaterThan(0);
      expect(row.p99Us).toBeGreaterThanOrEqual(0);
    }
  });

  it.each([
    [['--only', 'bogus'], /--only: unknown scenario "bogus"/],
    [['--producers', '0'], /--producers must be an integer >= 1/],
    [['--producers', '4'], /invalid fanout: 8/],
  ])('rejects %j with exit code 2', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("--help is the script's own usage", () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npx tsx bench\/channels\.ts \[options\]/);
    expect(r.stdout).toMatch(/^ {2}--only <list>/m);
  });

  it('from an installed package without bench/: one line saying where they are, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascade-installed-'));
    try {
      // the package as npm installs it: dist/ and package.json, its dependencies beside it
      cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
      const r = spawnSync(
        process.execPath,
        [join(dir, 'dist', 'cli', 'main.js'), 'bench', 'channels'],
        {
          cwd: dir,
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^cascade: the benchmarks are scripts of the source repository/);
      expect(r.stderr).toContain('npx tsx bench/channels.ts');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
