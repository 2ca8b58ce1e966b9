/**
 * The benchmark scripts as a user starts them (`npx tsx bench/<name>.ts`): `--help` prints the
 * usage and exits 0 without running anything; an unknown option or a bad value is a one-line
 * problem and the usage on stderr, exit code 2, no stack trace.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './run-cli.js';

const tsx = join(root, 'node_modules', '.bin', 'tsx');

function runBench(
  script: string,
  args: string[],
): { code: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(tsx, [join('bench', script), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

describe.each([
  ['engine.ts', ['--reps', '--nodes', '--iterations', '--json']],
  ['engine-ab.ts', ['--base', '--pairs', '--nodes', '--json']],
  ['channels.ts', ['--producers', '--messages', '--fanout', '--repetitions', '--json']],
  [
    'fireflies.ts',
    ['--sides', '--sim', '--warmup', '--repeat', '--no-kernel', '--in-process', '--json'],
  ],
  [
    'mqtt.ts',
    [
      '--messages',
      '--latency-samples',
      '--batch',
      '--batch-publishes',
      '--apply-samples',
      '--rate-seconds',
      '--shard-grid',
      '--shard-seconds',
      '--no-shards',
      '--json',
    ],
  ],
  [
    'state-codec.ts',
    ['--side', '--view', '--early', '--late', '--frames', '--seed', '--levels', '--json'],
  ],
  ['cache.ts', ['--reps', '--entries', '--gets', '--redis', '--json']],
  ['page.ts', ['--sides', '--workers', '--seconds', '--chromium', '--json']],
])('bench/%s', (script, options) => {
  it('--help prints the usage with every option and exits 0 without running', () => {
    const r = runBench(script, ['--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^Usage: npx tsx bench/${script.replace('.', '\\.')} \\[options\\]\n`),
    );
    for (const option of options) expect(r.stdout).toMatch(new RegExp(`^  ${option}\\b`, 'm'));
    // nothing measured: the usage is all it prints
    expect(r.stdout).toMatch(/\n {2}-h, --help +print this help and exit\n$/);
    expect(r.ms).toBeLessThan(20_000);
  });

  it('an unknown option: exit 2, the problem and the usage, no stack trace', () => {
    const r = runBench(script, ['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^bench/${script.replace('.', '\\.')}: Unknown option '--bogus'`),
    );
    expect(r.stderr).toContain('Usage: npx tsx');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bench option values', () => {
  it.each([
    ['engine.ts', ['--reps', '2.5'], /--reps must be an integer >= 1, got "2\.5"/],
    ['engine-ab.ts', ['--pairs', '1'], /--base is required/],
    ['channels.ts', ['--producers', '1e2'], /--producers must be an integer >= 1, got "1e2"/],
    ['fireflies.ts', ['--sides', '100,x'], /--sides must be an integer >= 1, got "x"/],
    ['state-codec.ts', ['--side', '0'], /--side must be an integer >= 1, got "0"/],
    ['cache.ts', ['--entries', '0'], /--entries must be an integer >= 1, got "0"/],
    ['page.ts', ['--sides', '100,x'], /--sides must be an integer >= 2, got "x"/],
    ['cache.ts', ['--redis', 'localhost'], /--redis must be a redis:\/\/ URL, got "localhost"/],
  ])('%s %j: exit 2 naming the option', (script, args, message) => {
    const r = runBench(script, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
