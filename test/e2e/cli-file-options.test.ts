/**
 * File options (`--log`, `profile --out`) that name a place nobody can write are refused
 * before the run starts: exit code 2, one line naming the option and the reason, no stack
 * trace, and (for `profile`) no run whose profile would then be lost.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'cascade-fo-'));
// long enough that a run which started would blow the test's time limit
const long = ['--clock', 'virtual', '--duration', '100000'];

describe('unwritable file options', () => {
  it.each([
    [['fireflies', '--no-visualize', ...long, '--log', '/nonexistent/x.jsonl'], '--log'],
    [['fireflies', '--no-visualize', ...long, '--log', dir], '--log'],
    [['diag', 'headless', ...long, '--log', '/nonexistent/x.jsonl'], '--log'],
    [['diag', 'renderer', '--duration', '600', '--log', '/nonexistent/x.jsonl'], '--log'],
    [['diag', 'renderer', '--duration', '600', '--log', dir], '--log'],
    [['profile', ...long, '--out', '/nonexistent/p.cpuprofile'], '--out'],
    [['profile', ...long, '--out', dir], '--out'],
  ])('%j: exit 2 before starting, one line naming %s', (args, option) => {
    const t0 = Date.now();
    const r = runCli(args, 20_000);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^cascade: ${option} \\S+: (directory /nonexistent does not exist|is a directory, not a file)$`,
      ),
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
