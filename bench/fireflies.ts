/**
 * bench/fireflies.ts: simulated seconds per wall second of the firefly experiment on the
 * virtual clock, headless, through the runtime path (every agent a VM-mode task over
 * DirectChannels), with the reference kernel beside it for scale. Prints parameters, machine
 * and a table; `--json` prints JSON. Never passes or fails on a time.
 *
 *   npx tsx bench/fireflies.ts [--sides 100,316,1000] [--workers 1] [--sim 20] [--warmup 5]
 *                              [--repeat 1] [--no-kernel] [--in-process] [--json]  (--help)
 *
 * `--workers 1,2,4` runs the runtime path with the grid cut into that many worker threads
 * (ShardedFireflies, lock-step, live border links) and adds, per row, the share of the
 * shards' round time spent waiting in the barrier (synchronisation plus imbalance), and from a
 * trace of every round after the warm-up where that time went: a shard's work per round, the
 * slowest shard's work minus the fastest's (imbalance), the wait of the last shard to arrive
 * (the barrier's own cost) and the share of all waiting in the 1% slowest rounds.
 *
 * `--repeat N` runs every row N times, runtime and kernel alternating, and prints the median
 * with the range and the median of the paired runtime/kernel ratios (each pair ran back to
 * back, so a shared machine's slow moments hit both): on a noisy machine, quote those.
 *
 * Each row runs in a child process of its own (same Node flags), as a user runs one experiment
 * per process: a million-agent heap or the JIT state of another size does not bleed into the
 * next row (measured: 1M agents ran at 0.37x after the 10k and 100k rows in one process, 0.50x
 * alone). `--in-process` runs them all in this process instead.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { FireflyExperiment } from '../src/observatory/experiments/firefly-experiment.js';
import { FireflyKernel } from '../src/observatory/experiments/firefly-kernel.js';
import { ShardedFireflies } from '../src/observatory/experiments/firefly-shards.js';
import type { RoundBreakdown } from '../src/observatory/experiments/firefly-shards.js';
import { resolveModelParams } from '../src/observatory/model/firefly-params.js';
import { TorusTopology } from '../src/observatory/model/topology.js';
import { SeededRng } from '../src/runtime/rng.js';
import { medianOf } from '../src/observatory/metrics/index.js';
import { numberOption, parseBenchArgs, type BenchUsage } from './args.js';

const usage: BenchUsage = {
  script: 'bench/fireflies.ts',
  about:
    'Simulated seconds per wall second of the firefly experiment on the virtual clock,\n' +
    'headless, through the runtime path (every agent a VM-mode task over DirectChannels), with\n' +
    'the reference kernel beside it for scale; seed 1, default model. Each run in a child\n' +
    'process of its own. Prints the parameters, the machine and a table. Never fails on time.',
  options: [
    [
      '--sides <list>',
      'grid sides, comma-separated; side s runs s x s agents (default 100,316,1000)',
    ],
    [
      '--workers <list>',
      'worker threads of the runtime path, comma-separated, e.g. 1,2,4 (default 1)',
    ],
    ['--sim <s>', 'simulated seconds measured per run (default 20)'],
    ['--warmup <s>', 'simulated seconds run before measuring (default 5)'],
    ['--repeat <n>', 'runs per row: medians, ranges, paired runtime/kernel ratios (default 1)'],
    ['--no-kernel', 'leave out the reference kernel rows'],
    ['--in-process', 'run every row in this process, not one child process per run'],
    ['--json', 'print the result as JSON'],
  ],
};

const values = parseBenchArgs(usage, {
  options: {
    sides: { type: 'string', default: '100,316,1000' },
    workers: { type: 'string', default: '1' },
    sim: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    repeat: { type: 'string', default: '1' },
    'no-kernel': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    /** Internal: run one row (`runtime:316`) and print it as JSON. */
    row: { type: 'string' },
  },
});
const sides = values.sides
  .split(',')
  .map((side) => numberOption(usage, '--sides', side.trim(), { integer: true, min: 1 }));
const simS = numberOption(usage, '--sim', values.sim, { min: 0, exclusive: true });
const warmupS = numberOption(usage, '--warmup', values.warmup, { min: 0 });
const withKernel = !values['no-kernel'];
const workerCounts = values.workers
  .split(',')
  .map((w) => numberOption(usage, '--workers', w.trim(), { integer: true, min: 1 }));
const repeat = numberOption(usage, '--repeat', values.repeat, { integer: true, min: 1 });

interface Row {
  path: 'runtime' | 'kernel';
  /** Worker threads (1: the main thread; the kernel always 1). */
  workers: number;
  agents: number;
  grid: string;
  setupMs: number;
  simSeconds: number;
  wallSeconds: number;
  simPerWall: number;
  flashesPerWallSecond: number;
  heapMB: number;
  /** Resident set of the whole process (every worker's heap included), MB. */
  rssMB: number;
  /** Share of the shards' round time spent in the barrier (sharded rows only). */
  barrierShare?: number;
  /** Where the barrier time went, rounds after the warm-up (sharded rows only). */
  rounds?: RoundBreakdown;
}

async function runtimeRow(side: number, workers: number): Promise<Row> {
  const t0 = performance.now();
  const options = { width: side, height: side, clock: 'virtual', seed: 1 } as const;
  // flashes go to the bus in one process; sharded, through each worker's uplink
  const exp =
    workers === 1
      ? new FireflyExperiment({ ...options, publishFlashes: true })
      : new ShardedFireflies({
          ...options,
          workers,
          publishFlashes: true,
          traceRounds: Math.ceil((warmupS + simS) * 1000) + 16, // at most a round a tick
        });
  await exp.start();
  const setupMs = performance.now() - t0;
  await exp.runUntil(warmupS * 1000);
  const f0 = exp.stats().flashes;
  const w0 = performance.now();
  await exp.runUntil((warmupS + simS) * 1000);
  const wall = (performance.now() - w0) / 1000;
  const flashes = exp.stats().flashes - f0;
  const { heapUsed, rss } = process.memoryUsage();
  const barrierShare = exp instanceof ShardedFireflies ? exp.barrierShare : undefined;
  const rounds = exp instanceof ShardedFireflies ? exp.roundBreakdown(warmupS * 1000) : null;
  await exp.stop();
  if (exp.stats().failedAgents > 0) throw new Error('agents failed');
  const r = row('runtime', side, setupMs, wall, flashes, heapUsed / 2 ** 20, rss / 2 ** 20);
  return {
    ...r,
    workers,
    ...(barrierShare !== undefined && { barrierShare }),
    ...(rounds !== null && { rounds }),
  };
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
  const { heapUsed, rss } = process.memoryUsage();
  return row(
    'kernel',
    side,
    setupMs,
    wall,
    k.telemetry.flashes - f0,
    heapUsed / 2 ** 20,
    rss / 2 ** 20,
  );
}

function row(
  path: Row['path'],
  side: number,
  setupMs: number,
  wall: number,
  flashes: number,
  heapMB: number,
  rssMB: number,
): Row {
  return {
    path,
    workers: 1,
    agents: side * side,
    grid: `${side}x${side}`,
    setupMs,
    simSeconds: simS,
    wallSeconds: wall,
    simPerWall: simS / wall,
    flashesPerWallSecond: flashes / wall,
    heapMB,
    rssMB,
  };
}

async function runRow(path: Row['path'], side: number, workers: number): Promise<Row> {
  return path === 'runtime' ? runtimeRow(side, workers) : kernelRow(side);
}

/** One row in a child process with the same Node flags (and NODE_OPTIONS, inherited). */
function childRow(path: Row['path'], side: number, workers: number): Row {
  const args = [...process.execArgv, process.argv[1], '--row', `${path}:${side}:${workers}`];
  args.push('--sim', String(simS), '--warmup', String(warmupS));
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Row;
}

if (values.row !== undefined) {
  const [path, side, workers] = values.row.split(':');
  console.log(JSON.stringify(await runRow(path as Row['path'], Number(side), Number(workers))));
  process.exit(0);
}

const rows: Row[] = [];
const progress = !values.json && process.stderr.isTTY;
/** The kinds of row, each run `repeat` times, alternating: runtime per worker count, kernel. */
const kinds: Array<{ path: Row['path']; workers: number }> = [
  ...workerCounts.map((workers) => ({ path: 'runtime' as const, workers })),
  ...(withKernel ? [{ path: 'kernel' as const, workers: 1 }] : []),
];
for (const side of sides) {
  for (let i = 0; i < repeat; i++) {
    for (const { path, workers } of kinds) {
      if (progress) {
        process.stderr.write(`  ${path} x${workers} ${side}x${side} run ${i + 1}/${repeat}\r`);
      }
      rows.push(
        values['in-process'] ? await runRow(path, side, workers) : childRow(path, side, workers),
      );
      (globalThis as { gc?: () => void }).gc?.();
    }
  }
}
if (progress) process.stderr.write(' '.repeat(40) + '\r');

/** Per kind and size: medians over the repeats, and the range of sim s / wall s. */
interface Summary {
  path: Row['path'];
  workers: number;
  agents: number;
  grid: string;
  runs: number;
  setupMs: number;
  simPerWall: number;
  simPerWallMin: number;
  simPerWallMax: number;
  flashesPerWallSecond: number;
  heapMB: number;
  rssMB: number;
  /** Median share of round time in the barrier (sharded rows). */
  barrierShare?: number;
  /** Medians of the round breakdowns (sharded rows). */
  rounds?: Omit<RoundBreakdown, 'rounds'>;
  /** Median paired ratio to the 1-worker runtime row of the same size (when both ran). */
  speedup?: number;
}
const summary: Summary[] = [];
const ratios: { agents: number; runtimeOverKernel: number }[] = [];
const pick = (path: Row['path'], workers: number, agents: number): Row[] =>
  rows.filter((r) => r.path === path && r.workers === workers && r.agents === agents);
for (const side of sides) {
  const agents = side * side;
  for (const { path, workers } of kinds) {
    const rs = pick(path, workers, agents);
    const speeds = rs.map((r) => r.simPerWall);
    const shares = rs.flatMap((r) => (r.barrierShare === undefined ? [] : [r.barrierShare]));
    const traced = rs.flatMap((r) => (r.rounds === undefined ? [] : [r.rounds]));
    const med = (k: keyof RoundBreakdown): number => medianOf(traced.map((b) => b[k]));
    const single = pick('runtime', 1, agents);
    const paired = path === 'runtime' && workers > 1 && single.length === rs.length;
    summary.push({
      path,
      workers,
      agents,
      grid: `${side}x${side}`,
      runs: rs.length,
      setupMs: medianOf(rs.map((r) => r.setupMs)),
      simPerWall: medianOf(speeds),
      simPerWallMin: Math.min(...speeds),
      simPerWallMax: Math.max(...speeds),
      flashesPerWallSecond: medianOf(rs.map((r) => r.flashesPerWallSecond)),
      heapMB: Math.max(...rs.map((r) => r.heapMB)),
      rssMB: Math.max(...rs.map((r) => r.rssMB)),
      ...(shares.length > 0 && { barrierShare: medianOf(shares) }),
      ...(traced.length > 0 && {
        rounds: {
          workMs: med('workMs'),
          imbalanceMs: med('imbalanceMs'),
          syncMs: med('syncMs'),
          slowestShare: med('slowestShare'),
        },
      }),
      ...(paired && {
        speedup: medianOf(rs.map((r, i) => r.simPerWall / single[i].simPerWall)),
      }),
    });
  }
  const rt = pick('runtime', 1, agents);
  const k = pick('kernel', 1, agents);
  if (withKernel && rt.length > 0 && rt.length === k.length) {
    ratios.push({
      agents,
      runtimeOverKernel: medianOf(rt.map((r, i) => r.simPerWall / k[i].simPerWall)),
    });
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
  workers: workerCounts,
  warmupSimSeconds: warmupS,
  simSeconds: simS,
  model: resolveModelParams(),
};
if (values.json) {
  console.log(
    JSON.stringify({ bench: 'fireflies', machine, params, repeat, summary, ratios, rows }, null, 2),
  );
} else {
  console.log(
    `bench/fireflies: virtual clock, headless, seed 1, ${warmupS} s warm-up then ${simS} simulated s, ` +
      `workers ${workerCounts.join(',')}, ` +
      `${repeat} run(s) per row, ` +
      (values['in-process'] ? 'all rows in one process' : 'one process per run'),
  );
  console.log(`machine: ${machine.cores} cores, ${machine.cpu}, Node ${machine.node}`);
  console.log(
    'path     workers     agents  grid        runs  setup ms  sim s/wall s (median, range)' +
      '  x1-worker  barrier  flashes/wall s  heap MB  rss MB  rss B/agent',
  );
  for (const r of summary) {
    const range = `${r.simPerWallMin.toFixed(2)}-${r.simPerWallMax.toFixed(2)}`;
    const speedup = r.speedup === undefined ? '-' : `${r.speedup.toFixed(2)}x`;
    const barrier = r.barrierShare === undefined ? '-' : `${(100 * r.barrierShare).toFixed(1)}%`;
    console.log(
      `${r.path.padEnd(8)} ${String(r.workers).padStart(7)} ${String(r.agents).padStart(10)}  ` +
        `${r.grid.padEnd(10)} ${String(r.runs).padStart(5)} ${r.setupMs.toFixed(0).padStart(9)} ` +
        `${r.simPerWall.toFixed(2).padStart(13)} ${range.padStart(16)} ${speedup.padStart(10)} ` +
        `${barrier.padStart(8)} ${r.flashesPerWallSecond.toFixed(0).padStart(15)} ` +
        `${r.heapMB.toFixed(0).padStart(8)} ${r.rssMB.toFixed(0).padStart(7)} ` +
        `${((r.rssMB * 2 ** 20) / r.agents).toFixed(0).padStart(12)}`,
    );
  }
  const traced = summary.filter((r) => r.rounds !== undefined);
  if (traced.length > 0) {
    console.log(
      '\nwhere the barrier time went (medians; wall ms per round, rounds after the warm-up):\n' +
        'workers     agents  work/shard  imbalance  last arrival waits  waiting in slowest 1%',
    );
    for (const r of traced) {
      const b = r.rounds!;
      console.log(
        `${String(r.workers).padStart(7)} ${String(r.agents).padStart(10)} ` +
          `${b.workMs.toFixed(3).padStart(11)} ${b.imbalanceMs.toFixed(3).padStart(10)} ` +
          `${b.syncMs.toFixed(3).padStart(19)} ${`${(100 * b.slowestShare).toFixed(1)}%`.padStart(22)}`,
      );
    }
  }
  for (const q of ratios) {
    console.log(
      `runtime/kernel at ${q.agents} agents: ${q.runtimeOverKernel.toFixed(2)} (median of paired runs)`,
    );
  }
}
