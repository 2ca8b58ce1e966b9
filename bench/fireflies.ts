/**
 * bench/fireflies.ts: simulated seconds per wall second of the firefly experiment on the
 * virtual clock, headless, through the runtime path (every agent a VM-mode task over
 * DirectChannels), with the reference kernel beside it for scale. Prints parameters, machine
 * and a table; `--json` prints JSON. Never passes or fails on a time.
 *
 *   npx tsx bench/fireflies.ts [--sides 100,316,1000] [--sim 20] [--warmup 5] [--no-kernel] [--json]
 */
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

const rows: Row[] = [];
for (const side of sides) {
  rows.push(await runtimeRow(side));
  if (withKernel) rows.push(kernelRow(side));
  (globalThis as { gc?: () => void }).gc?.();
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
    `bench/fireflies: virtual clock, headless, seed 1, ${warmupS} s warm-up then ${simS} simulated s`,
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
