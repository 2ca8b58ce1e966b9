/**
 * Engine benchmark: per-task overhead of a 10,000-node graph (wide: 10k independent leaves
 * joined by one; deep: a chain of 10k), and VM iterations per second for trivial sync and
 * async agents (plus one with per-iteration constraints, and a plain-loop baseline).
 * Prints parameters, machine and a table of medians; `--json` prints JSON. Never fails on time.
 * Beside wall time, each row gives the median in process CPU time (all threads, GC included),
 * which other processes on a shared machine disturb far less than wall time.
 *
 *   npx tsx bench/engine.ts [--reps 15] [--nodes 10000] [--iterations 1000000] [--json]
 *
 * `--help` lists the options.
 */
import { availableParallelism } from 'node:os';
import { task, tailCall, type LazyResult } from '../src/spec/index.js';
import { Engine, ResourceManager } from '../src/runtime/index.js';
import { medianOf } from '../src/observatory/metrics/index.js';
import { numberOption, parseBenchArgs, type BenchUsage } from './args.js';

const usage: BenchUsage = {
  script: 'bench/engine.ts',
  about:
    'Per-task overhead of a graph of N nodes (wide: N-1 independent leaves joined by one;\n' +
    'deep: a chain of N) and VM iterations per second of trivial sync and async agents (plus\n' +
    'one with per-iteration constraints, and a plain-loop baseline). Prints the parameters,\n' +
    'the machine and a table of medians. Never fails on time.',
  options: [
    ['--reps <n>', 'timed runs per case after a warm-up, the median reported (default 15)'],
    ['--nodes <n>', 'nodes of the wide and the deep graph (default 10000)'],
    ['--iterations <n>', 'iterations of each VM agent (default 1000000)'],
    ['--json', 'print the result as JSON'],
  ],
};

const values = parseBenchArgs(usage, {
  options: {
    reps: { type: 'string', default: '15' },
    nodes: { type: 'string', default: '10000' },
    iterations: { type: 'string', default: '1000000' },
    json: { type: 'boolean', default: false },
  },
});
const reps = numberOption(usage, '--reps', values.reps, { integer: true, min: 1 });
const nodes = numberOption(usage, '--nodes', values.nodes, { integer: true, min: 2 });
const iterations = numberOption(usage, '--iterations', values.iterations, {
  integer: true,
  min: 1,
});
const json = values.json;

/** Wall and CPU milliseconds of each timed run. */
interface Times {
  wall: number[];
  cpu: number[];
}

async function timeIt(fn: () => Promise<unknown>): Promise<Times> {
  // Warm-up: until the JIT has settled (10 runs and at least half a second), so the timed runs
  // measure the steady state rather than the compiler.
  const warmEnd = performance.now() + 500;
  for (let w = 0; w < 10 || performance.now() < warmEnd; w++) await fn();
  const out: Times = { wall: [], cpu: [] };
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    out.wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    out.cpu.push((c.user + c.system) / 1000);
  }
  return out;
}

const engine = new Engine();
const leaf = task((i: number) => i, { name: 'leaf' });
const join = task((xs: number[]) => xs.length, { name: 'join' });
const inc = task((x: number) => x + 1, { name: 'inc' });

function wide(): LazyResult<number> {
  const leaves: LazyResult<number>[] = [];
  for (let i = 0; i < nodes - 1; i++) leaves.push(leaf(i));
  return join(leaves);
}
function deep(): LazyResult<number> {
  let l: LazyResult<number> = inc(0);
  for (let i = 1; i < nodes; i++) l = inc(l);
  return l;
}

const syncAgent = task(({ n }: { n: number }): unknown => (n === 0 ? 0 : tailCall({ n: n - 1 })));
// A trivial async agent: one awaited promise per iteration.
const asyncAgent = task(({ n }: { n: number }): Promise<unknown> =>
  Promise.resolve(n === 0 ? 0 : tailCall({ n: n - 1 })),
);
const constrained = new Engine({ resourceManager: new ResourceManager({ cpu_slot: 4 }) });

function plainLoop(n: number): Promise<number> {
  const step = (o: { n: number }): { n: number } | number => (o.n === 0 ? 0 : { n: o.n - 1 });
  let r: { n: number } | number = { n };
  while (typeof r !== 'number') r = step(r);
  return Promise.resolve(r);
}

interface Row {
  case: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  /** The median in CPU time instead of wall time. */
  cpuMedian: number;
}
const rows: Row[] = [];

function perTask(name: string, times: Times): void {
  const us = (ms: number[]): number[] => ms.map((t) => (t * 1000) / nodes);
  const wall = us(times.wall);
  rows.push({
    case: name,
    unit: 'µs/task',
    median: medianOf(wall),
    min: Math.min(...wall),
    max: Math.max(...wall),
    cpuMedian: medianOf(us(times.cpu)),
  });
}
function perSecond(name: string, times: Times): void {
  const ips = (ms: number[]): number[] => ms.map((t) => iterations / (t / 1000));
  const wall = ips(times.wall);
  rows.push({
    case: name,
    unit: 'iter/s',
    median: medianOf(wall),
    min: Math.min(...wall),
    max: Math.max(...wall),
    cpuMedian: medianOf(ips(times.cpu)),
  });
}

const wideTarget = wide();
const deepTarget = deep();
perTask(`wide graph (${nodes} nodes), run only`, await timeIt(() => engine.run(wideTarget)));
perTask(`wide graph (${nodes} nodes), build + run`, await timeIt(() => engine.run(wide())));
perTask(`deep chain (${nodes} nodes), run only`, await timeIt(() => engine.run(deepTarget)));
perSecond(
  'VM sync agent',
  await timeIt(() => engine.run(syncAgent({ n: iterations }), { vm: true })),
);
perSecond(
  'VM async agent',
  await timeIt(() => engine.run(asyncAgent({ n: iterations }), { vm: true })),
);
perSecond(
  'VM sync agent + constraints/iter',
  await timeIt(() =>
    constrained.run(syncAgent({ n: iterations }).withConstraints({ cpu_slot: 1 }), { vm: true }),
  ),
);
perSecond('plain JS loop (baseline)', await timeIt(() => plainLoop(iterations)));

const machine = { cores: availableParallelism(), node: process.version };
const params = { reps, nodes, iterations };
if (json) {
  process.stdout.write(
    `${JSON.stringify({ benchmark: 'engine', machine, params, rows }, null, 2)}\n`,
  );
} else {
  process.stdout.write(
    `engine benchmark — ${machine.cores} cores, Node ${machine.node}; reps=${reps} (median), nodes=${nodes}, iterations=${iterations}\n\n`,
  );
  const fmt = (x: number): string =>
    x >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2);
  const w = Math.max(...rows.map((r) => r.case.length));
  process.stdout.write(
    `${'case'.padEnd(w)}  ${'median'.padStart(14)}  ${'min'.padStart(14)}  ${'max'.padStart(14)}  ${'CPU median'.padStart(14)}  unit\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.case.padEnd(w)}  ${fmt(r.median).padStart(14)}  ${fmt(r.min).padStart(14)}  ${fmt(r.max).padStart(14)}  ${fmt(r.cpuMedian).padStart(14)}  ${r.unit}\n`,
    );
  }
}
