/**
 * The README's examples run as written: each block marked `<!-- readme-example: NAME -->` is
 * written inside the checkout (so `import ... from 'cascade'` resolves to this package's built
 * `dist/`, as for a user) and run with Node + tsx. npm test builds first.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = new Map(
  [...readme.matchAll(/<!-- readme-example: (\w+) -->\s*```ts\n([\s\S]*?)```/g)].map((m) => [
    m[1],
    m[2],
  ]),
);

function runExample(name: string): string {
  const code = blocks.get(name);
  expect(code, `README example "${name}"`).toBeDefined();
  const dir = join(root, '.readme-tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, code!);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr.replace(/npm warn.*\n/g, '')).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('README examples', () => {
  it('the ten-line workflow prints its events and 10.5', () => {
    const out = runExample('workflow').trim().split('\n');
    expect(out[0]).toBe('RunStarted');
    expect(out.filter((l) => l === 'TaskExecutionFinished')).toHaveLength(3);
    expect(out.at(-2)).toBe('RunFinished');
    expect(out.at(-1)).toBe('10.5');
  });

  it('the VM-mode agent sums a million iterations', () => {
    expect(runExample('agent').trim()).toBe('500000500000');
  });

  it('the messaging example shows retained-first delivery and a channel timeout', () => {
    expect(runExample('messaging').trim().split('\n')).toEqual([
      'sensors/kitchen/temp 21.5',
      'sensors/hall/temp 19',
      'pulse',
      'true',
    ]);
  });
});
