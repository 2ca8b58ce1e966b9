/**
 * Paired engine benchmark: the per-task overhead of this checkout's engine against another
 * version's, in one process, the two runs alternated pair by pair (and their order swapped
 * every pair), so both meet the same machine load. On a shared, busy machine wall-time medians
 * of separate processes differ by 2x from one minute to the next; the median of the paired
 * ratios does not. Prints the parameters, each side's median and minimum, and the ratio.
 *
 *   git archive <commit> src | tar -x -C /tmp/base    # the other version's src/
 *   npx tsx bench/engine-ab.ts --base /tmp/base [--pairs 100] [--nodes 10000] [--json]
 *
 * `--help` lists the options.
 */
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { medianOf } from '../src/observatory/metrics/index.js';
import { numberOption, parseBenchArgs, usageError, type BenchUsage } from './args.js';

const usage: BenchUsage = {
  script: 'bench/engine-ab.ts',
  about:
    'Per-task overhead of a wide graph (N-1 leaves joined by one) and a deep chain of N\n' +
    "nodes, this checkout's engine against the one in BASE/src, runs alternated pair by pair\n" +
    'in one process. Prints both medians and the median of the paired ratios base/this.',
  options: [
    ['--base <dir>', "a directory holding the other version's src/ (required)"],
    ['--pairs <n>', 'timed pairs per graph after 10 warm-up pairs (default 100)'],
    ['--nodes <n>', 'nodes of the wide and the deep graph (default 10000)'],
    ['--json', 'print the result as JSON'],
  ],
};

const values = parseBenchArgs(usage, {
  options: {
    base: { type: 'string' },
    pairs: { type: 'string', default: '100' },
    nodes: { type: 'string', default: '10000' },
    json: { type: 'boolean', default: false },
  },
});
if (values.base === undefined) usageError(usage, '--base is required');
const baseDir = resolve(values.base);
if (!existsSync(join(baseDir, 'src', 'spec', 'index.ts'))) {
  usageError(usage, `--base: no src/spec/index.ts under ${baseDir}`);
}
const pairs = numberOption(usage, '--pairs', values.pairs, { integer: true, min: 1 });
const nodes = numberOption(usage, '--nodes', values.nodes, { integer: true, min: 2 });

/** The part of a version's API this bench uses (the two versions' types are unrelated). */
interface Version {
  task: (fn: (...args: never[]) => unknown, options: { name: string }) => Factory;
  Engine: new () => { run(target: unknown): Promise<unknown> };
}
type Factory = (...args: unknown[]) => unknown;

async function load(dir: string): Promise<Version> {
  const url = (path: string): string => pathToFileURL(join(dir, 'src', path)).href;
  const spec = (await import(url('spec/index.ts'))) as Pick<Version, 'task'>;
  const runtime = (await import(url('runtime/index.ts'))) as Pick<Version, 'Engine'>;
  return { task: spec.task, Engine: runtime.Engine };
}

/** The two graphs of one version, each a function that runs it once. */
function graphsOf(v: Version): Record<'wide' | 'deep', () => Promise<unknown>> {
  const engine = new v.Engine();
  const leaf = v.task((i: number) => i, { name: 'leaf' });
  const joinAll = v.task((xs: number[]) => xs.length, { name: 'join' });
  const inc = v.task((x: number) => x + 1, { name: 'inc' });
  const leaves: unknown[] = [];
  for (let i = 0; i < nodes - 1; i++) leaves.push(leaf(i));
  const wide = joinAll(leaves);
  let deep = inc(0);
  for (let i = 1; i < nodes; i++) deep = inc(deep);
  return { wide: () => engine.run(wide), deep: () => engine.run(deep) };
}

const sides = {
  base: graphsOf(await load(baseDir)),
  this: graphsOf(await load(fileURLToPath(new URL('..', import.meta.url)))),
};

interface Row {
  graph: string;
  baseMedianUs: number;
  baseMinUs: number;
  thisMedianUs: number;
  thisMinUs: number;
  /** Median over the pairs of base time / this time: above 1, this checkout is faster. */
  pairedRatio: number;
}
const rows: Row[] = [];
const perTask = (ms: number): number => (ms * 1000) / nodes;
for (const graph of ['wide', 'deep'] as const) {
  for (let i = 0; i < 10; i++) {
    await sides.base[graph]();
    await sides.this[graph]();
  }
  const base: number[] = [];
  const mine: number[] = [];
  const ratios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const order = p % 2 === 0 ? (['base', 'this'] as const) : (['this', 'base'] as const);
    const ms = { base: 0, this: 0 };
    for (const side of order) {
      const t0 = performance.now();
      await sides[side][graph]();
      ms[side] = performance.now() - t0;
    }
    base.push(perTask(ms.base));
    mine.push(perTask(ms.this));
    ratios.push(ms.base / ms.this);
  }
  rows.push({
    graph,
    baseMedianUs: medianOf(base),
    baseMinUs: Math.min(...base),
    thisMedianUs: medianOf(mine),
    thisMinUs: Math.min(...mine),
    pairedRatio: medianOf(ratios),
  });
}

const machine = { cores: availableParallelism(), node: process.version };
const params = { base: baseDir, pairs, nodes };
if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ benchmark: 'engine-ab', machine, params, rows }, null, 2)}\n`,
  );
} else {
  process.stdout.write(
    `engine A/B — ${machine.cores} cores, Node ${machine.node}; base=${baseDir}, pairs=${pairs}, nodes=${nodes}\n\n` +
      'graph  base median  base min  this median  this min  base/this (paired median)  [µs/task]\n',
  );
  for (const r of rows) {
    const f = (x: number, w: number): string => x.toFixed(3).padStart(w);
    process.stdout.write(
      `${r.graph.padEnd(5)}  ${f(r.baseMedianUs, 11)}  ${f(r.baseMinUs, 8)}  ${f(r.thisMedianUs, 11)}  ${f(r.thisMinUs, 8)}  ${r.pairedRatio.toFixed(2).padStart(24)}x\n`,
    );
  }
}
