/**
 * bench/fireflies.ts: simulated seconds per wall second of the firefly experiment on the
 * virtual clock, headless, through the runtime path (every agent a VM-mode task over
 * DirectChannels), with the reference kernel beside it for scale. Prints parameters, machine
 * and a table; `--json` prints JSON. Never passes or fails on a time.
 *
 *   npx tsx bench/fireflies.ts [--sides 100,316,1000] [--sim 20] [--warmup 5] [--no-kernel] [--json]
 *
 * Each row runs in a child process of its own (same Node flags), as a user runs one experiment
 * per process: a million-agent heap or the JIT state of another size does not bleed into the
 * next row (measured: 1M agents ran at 0.37x after the 10k and 100k rows in one process, 0.50x
 * alone). `--in-process` runs them all in this process instead.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { FireflyExperiment } from '../src/observatory/experiments/firefly-experiment.js';
import { FireflyKernel } from '../src/observatory/experiments/firefly-kernel.js';
import { resolveModelParams } from '../src/observatory/experiments/firefly-params.js';
import { TorusTopology } from '../src/observatory/topology.js';
import { SeededRng } from '../src/runtime/rng.js';

const { values } = parseArgs({
  options: {
    sides: { type: 'string', default: '100,316,1000' },
    sim: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    'no-kernel': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    /** Internal: run one row (`runtime:316`) and print it as JSON. */
    row: { type: 'string' },
  },
});
const sides = values.sides.split(',').map(Number);
const simS = Number(values.sim);
const warmupS = Number(values.warmup);
const withKernel = !values['no-kernel'];

interface Row {
  path: 'runtime' | 'kernel';
  agents: number;
  grid: string;
  setupMs: number;
  simSeconds: number;
  wallSeconds: number;
  simPerWall: number;
  flashesPerWallSecond: number;
  heapMB: number;
}

async function runtimeRow(side: number): Promise<Row> {
  const t0 = performance.now();
  const exp = new FireflyExperiment({
    width: side,
    height: side,
    clock: 'virtual',
    seed: 1,
    publishFlashes: true,
  });
  await exp.start();
  const setupMs = performance.now() - t0;
  await exp.runUntil(warmupS * 1000);
  const f0 = exp.telemetry.flashes;
  const w0 = performance.now();
  await exp.runUntil((warmupS + simS) * 1000);
  const wall = (performance.now() - w0) / 1000;
  const flashes = exp.telemetry.flashes - f0;
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  await exp.stop();
  if (exp.stats().failedAgents > 0) throw new Error(`agents failed: ${String(exp.lastAgentError)}`);
  return row('runtime', side, setupMs, wall, flashes, heapMB);
}

function kernelRow(side: number): Row {
  const t0 = performance.now();
  const k = new FireflyKernel(
    new TorusTopology(side, side),
    resolveModelParams(),
    new SeededRng(1),
  );
  const setupMs = performance.now() - t0;
  k.runUntil(warmupS * 1000);
  const f0 = k.telemetry.flashes;
  const w0 = performance.now();
  k.runUntil((warmupS + simS) * 1000);
  const wall = (performance.now() - w0) / 1000;
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  return row('kernel', side, setupMs, wall, k.telemetry.flashes - f0, heapMB);
}

function row(
  path: Row['path'],
  side: number,
  setupMs: number,
  wall: number,
  flashes: number,
  heapMB: number,
): Row {
  return {
    path,
    agents: side * side,
    grid: `${side}x${side}`,
    setupMs,
    simSeconds: simS,
    wallSeconds: wall,
    simPerWall: simS / wall,
    flashesPerWallSecond: flashes / wall,
    heapMB,
  };
}

async function runRow(path: Row['path'], side: number): Promise<Row> {
  return path === 'runtime' ? runtimeRow(side) : kernelRow(side);
}

/** One row in a child process with the same Node flags (and NODE_OPTIONS, inherited). */
function childRow(path: Row['path'], side: number): Row {
  const args = [...process.execArgv, process.argv[1], '--row', `${path}:${side}`];
  args.push('--sim', String(simS), '--warmup', String(warmupS));
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Row;
}

if (values.row !== undefined) {
  const [path, side] = values.row.split(':');
  console.log(JSON.stringify(await runRow(path as Row['path'], Number(side))));
  process.exit(0);
}

const rows: Row[] = [];
for (const side of sides) {
  for (const path of withKernel ? (['runtime', 'kernel'] as const) : (['runtime'] as const)) {
    rows.push(values['in-process'] ? await runRow(path, side) : childRow(path, side));
    (globalThis as { gc?: () => void }).gc?.();
  }
}

const machine = {
  cores: os.availableParallelism(),
  cpu: os.cpus()[0]?.model ?? '?',
  node: process.version,
};
const params = {
  clock: 'virtual',
  seed: 1,
  warmupSimSeconds: warmupS,
  simSeconds: simS,
  model: resolveModelParams(),
};
if (values.json) {
  console.log(JSON.stringify({ bench: 'fireflies', machine, params, rows }, null, 2));
} else {
  console.log(
    `bench/fireflies: virtual clock, headless, seed 1, ${warmupS} s warm-up then ${simS} simulated s, ` +
      (values['in-process'] ? 'all rows in one process' : 'one process per row'),
  );
  console.log(`machine: ${machine.cores} cores, ${machine.cpu}, Node ${machine.node}`);
  console.log(
    'path     agents     grid        setup ms  wall s   sim s/wall s  flashes/wall s  heap MB',
  );
  for (const r of rows) {
    console.log(
      `${r.path.padEnd(8)} ${String(r.agents).padStart(9)}  ${r.grid.padEnd(10)} ${r.setupMs.toFixed(0).padStart(9)} ` +
        `${r.wallSeconds.toFixed(2).padStart(7)} ${r.simPerWall.toFixed(2).padStart(13)} ${r.flashesPerWallSecond
          .toFixed(0)
          .padStart(15)} ${r.heapMB.toFixed(0).padStart(8)}`,
    );
  }
}
