/** `cascade bench channels` as a user runs it (built CLI, child process, small parameters). */
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './run-cli.js';

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
});
