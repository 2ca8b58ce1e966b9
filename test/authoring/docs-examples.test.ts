/**
 * docs/authoring.md's examples run as written: each block marked
 * `<!-- authoring-example: NAME [ARGS...] -->` is written inside the checkout (so `cascade`
 * resolves to this package's built `dist/`, as for a user) and run with Node + tsx and ARGS.
 * npm test builds first.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../e2e/run-cli.js';

const doc = readFileSync(join(root, 'docs', 'authoring.md'), 'utf8');
const blocks = new Map(
  [...doc.matchAll(/<!-- authoring-example: (\w+)([^>]*?) -->\s*```ts\n([\s\S]*?)```/g)].map(
    (m) => [m[1], { args: m[2].trim().split(/\s+/).filter(Boolean), code: m[3] }],
  ),
);

function runExample(name: string, extra?: string[]) {
  const block = blocks.get(name);
  expect(block, `docs/authoring.md example "${name}"`).toBeDefined();
  const dir = join(root, '.readme-tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `authoring-${name}.ts`);
  writeFileSync(file, block!.code);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...(extra ?? block!.args)], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/npm warn.*\n/g, '') };
}

describe('docs/authoring.md examples', () => {
  it('cli: runs with its arguments, and --help is the text the page shows', () => {
    const r = runExample('cli');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello Lyon: 30 sales in 3 days\n');
    const help = runExample('cli', ['--help']);
    const shown = /`node --import tsx report.ts --help` prints:\n\n```\n([\s\S]*?)```/.exec(
      doc,
    )![1];
    expect(help.stdout).toBe(shown);
    const bad = runExample('cli', ['--days', 'x']);
    expect(bad.code).toBe(2);
  });

  it('plan: stages, policies and the Mermaid text', () => {
    const r = runExample('plan');
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('[["fetchSales#0","fetchCosts#1"],["margin#2"]]');
    expect(lines[1]).toBe('3 memory');
    expect(lines[2]).toBe('flowchart TB');
  });

  it('flow: a router, a pipeline and a subflow in a sequence', () => {
    const r = runExample('flow');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('[ 1, 16 ]\nrouter\n');
  });

  it('json: a round trip through JSON, run with an overridden resource', () => {
    const r = runExample('json');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('300\n');
  });
});
