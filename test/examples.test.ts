/**
 * Every example in examples/ runs as a user runs it (`npx tsx examples/NAME.ts`, in a child
 * process from the checkout's root, so `import ... from 'cascade'` is the built package) and
 * prints what it says it does. An example without a check here fails the suite: adding one
 * means saying what its output must be.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const examples = readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .sort();

/** What each example's standard output must show (lines without the trailing newline). */
const checks: Record<string, (lines: string[]) => void> = {
  'demo.ts': (lines) => {
    expect(lines[0]).toMatch(/^run \S+ started \(target format\)$/);
    // the flaky task fails its first attempt, is retried and succeeds
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}flaky#\d+ failed in [\d.]+ ms: flaky failure$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}flaky#\d+ retrying after attempt 1 in 5 ms$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}flaky#\d+ started \(attempt 2\)$/));
    const finished = lines.filter((l) => / succeeded in [\d.]+ ms$/.test(l) && l.startsWith('  '));
    expect(finished).toHaveLength(4); // fetchNumber, flaky, add, format
    expect(lines.at(-2)).toMatch(/^run \S+ succeeded in [\d.]+ ms$/);
    expect(lines.at(-1)).toBe('result: the answer is 42');
  },
};

describe('examples/', () => {
  it('has a check for every example', () => {
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.filter((f) => checks[f] === undefined)).toEqual([]);
  });

  it.each(examples)('%s runs and prints what it says', (file) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join('examples', file)], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    checks[file]?.(r.stdout.trimEnd().split('\n'));
  });
});
