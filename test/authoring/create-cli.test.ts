/**
 * createCli as a user runs it: a script (test/authoring/fixtures/report-cli.ts) that makes a
 * program from a workflow's params, spawned with Node + tsx. [CLI-2] [CLI-3]
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from '../e2e/run-cli.js';

const script = join(root, 'test', 'authoring', 'fixtures', 'report-cli.ts');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('createCli', () => {
  it('--help lists every param with its type, default and description, and the env inputs', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: report [options]');
    expect(r.stdout).toContain('a sales report');
    expect(r.stdout).toMatch(/--city <string>\s+city to report on \(string, required\)/);
    expect(r.stdout).toMatch(/--days <integer>\s+days to cover \(integer, default: 7\)/);
    expect(r.stdout).toMatch(/--rate <number>\s+price per unit \(number, default: 1.5\)/);
    expect(r.stdout).toMatch(/--verbose\s+say more \(boolean, default: false\)/);
    expect(r.stdout).toContain('--no-verbose');
    expect(r.stdout).toMatch(
      /Environment:\n\s+REPORT_GREETING\s+first word \(string, default: "hello"\)/,
    );
  });

  it('parses the types, applies defaults and env, runs the workflow and prints its value', () => {
    expect(run(['--city', 'Lyon', '--days', '3']).stdout).toBe('hello Lyon: 4.5\n');
    const r = run(['--city', 'Oslo', '--rate', '2', '--verbose'], { REPORT_GREETING: 'hej' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ greeting: 'hej', city: 'Oslo', total: 14 });
  });

  it.each([
    [['--city', 'Lyon', '--days', 'x'], /--days <integer>.*must be an integer, got "x"/],
    [['--city', 'Lyon', '--rate', 'abc'], /--rate <number>.*must be a number/],
    [['--days', '3'], /required option '--city <string>' not specified/],
    [['--city', 'Lyon', '--bogus'], /unknown option '--bogus'/],
  ])('%j exits 2 with one line', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('an integer beyond the safe range exits 2', () => {
    const bad = run(['--city', 'Lyon', '--days', '99999999999999999999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must be an integer/);
  });

  it('a failing workflow exits 1 with one line naming the task and the cause', () => {
    const r = run(['--city', 'fail']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^report: task report#1 failed after 1 attempt: Error: no data for fail \[CASCADE_ERR_TASK_FAILED\]/,
    );
  });

  it('Ctrl+C cancels the run through its signal and exits 130 [CLI-3]', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', script, '--city', 'x', '--hold-ms', '60000'],
      {
        cwd: root,
        env: { PATH: process.env.PATH },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr === 'waiting\n') child.kill('SIGINT'); // once: a second one would kill it
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toBe('waiting\nreport: cancelled\n');
  });

  it('--dry-run prints the plan as JSON and runs nothing', () => {
    const r = run(['--dry-run']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { target: string; inputs: Array<{ name: string }> };
    expect(plan.target).toBe('report#1');
    expect(plan.inputs.map((i) => i.name)).toEqual([
      'holdMs',
      'city',
      'days',
      'rate',
      'verbose',
      'REPORT_GREETING',
    ]);
  });
});
