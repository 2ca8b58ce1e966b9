/**
 * bench/gateway.ts as a user starts it: `--help` prints the usage with every option and exits
 * 0 without running; an unknown option exits 2 with the problem and the usage.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const run = (args: string[]) =>
  spawnSync(tsx, [join('bench', 'gateway.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('bench/gateway.ts', () => {
  it('--help lists every option and exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npx tsx bench\/gateway\.ts \[options\]\n/);
    for (const option of [
      '--connections',
      '--events',
      '--viewers',
      '--grid',
      '--view',
      '--fps',
      '--seconds',
      '--commands',
      '--connect-rate',
      '--paced',
      '--json',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${option}\\b`, 'm'));
    }
  });

  it('an unknown option or a bad value exits 2 with the usage', () => {
    const r = run(['--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^bench\/gateway\.ts: Unknown option '--bogus'/);
    const bad = run(['--connections', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--connections must be an integer >= 1/);
  });
});
