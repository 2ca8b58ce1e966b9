/**
 * How a firefly grid is cut into shards and what they share. The torus is cut into horizontal
 * bands of whole rows, one per worker thread, so a shard's agents are one contiguous id range
 * and its border agents sit in its first and last rows. Everything the shards and the main
 * thread share lives in SharedArrayBuffers laid out here:
 *
 * - `control` (Int32): the barrier, stop/pause flags and the sequence numbers that wake a
 *   waiting worker (`Atomics.wait`/`notify`);
 * - `floats` (Float64): the tick just run, the pacing anchor (speed, wall epoch, simulated
 *   time), the run's end, and each shard's next tick (double-buffered by round parity);
 * - `counters` (Float64, 7 per shard): flashes, discarded and dropped pulses, failed agents,
 *   border flashes received, wall ms in the barrier and in all rounds;
 * - telemetry: every agent's last flash time, last interval and flash count (the view and the
 *   monitor read them directly) and two snapshot slots of the first two for R samples;
 * - one ring per ordered pair of adjacent shards, double-buffered by round parity: the ids of
 *   the sender's border agents that flashed in the round (a count, then the ids).
 *
 * Invariants:
 * - [SHD-1] Bands are whole rows, at least one each; shard i owns ids `[from_i, to_i)`.
 * - [SHD-2] A ring slot is written only in rounds of its parity and read only in the next
 *   round, after the barrier between them: writer and reader never touch it at once.
 */
import { InvalidArgumentError } from '../../errors.js';
import { TorusTopology } from '../model/topology.js';
import { resolveModelParams, type FireflyModelParams } from '../model/firefly-params.js';
import type { Constraint, ConstraintSet } from '../../runtime/index.js';
import { FIREFLY_STEP_SCOPES } from './firefly-experiment.js';

/** Indices into the `control` Int32Array. */
export const CTL = {
  /** Barrier: arrivals in the current round. */
  COUNT: 0,
  /** Barrier: generation, bumped when the last party arrives. */
  GEN: 1,
  /** 1 once the run stops. */
  STOP: 2,
  /** 1 while paused. */
  PAUSED: 3,
  /** Bumped on every change of the pace (pause, resume, speed). */
  PACE_SEQ: 4,
  /** Bumped on every change of the run's end (`UNTIL`). */
  UNTIL_SEQ: 5,
  /** Snapshots the main thread has consumed. */
  SNAP_ACK: 6,
  /** Workers set up and waiting to start. */
  READY: 7,
  /** 1 when the main thread lets the workers go. */
  GO: 8,
  /** Snapshots taken. */
  SNAP_SEQ: 9,
  /** 1 while someone on the main thread's bus listens to flashes (the shards forward them). */
  FLASH_WANTED: 10,
  /** Bumped on every change of the step limits below ([SLIM-1]). */
  LIMIT_SEQ: 11,
  /** The run's concurrency limit on firefly steps, 0 for none (each shard takes its share). */
  LIMIT_CONCURRENCY: 12,
  LENGTH: 16,
} as const;

/** Indices into the `floats` Float64Array. */
export const FLT = {
  /** The last tick every shard has run (simulated ms). */
  TICK: 0,
  SPEED: 1,
  /** Pacing anchor: absolute wall ms (`performance.timeOrigin + performance.now()`). */
  ANCHOR_WALL: 2,
  /** Pacing anchor: simulated ms at ANCHOR_WALL. */
  ANCHOR_SIM: 3,
  /** Run every tick up to this simulated time, then wait. */
  UNTIL: 4,
  /** The tick the shards run next (simulated ms). */
  NEXT_TICK: 5,
  /** Simulated time of the snapshot in slot 0 and 1. */
  SNAP_TIME: 6,
  /** The run's rate limit on firefly steps per second, 0 for none ([SLIM-1], CTL.LIMIT_SEQ). */
  LIMIT_RATE: 8,
  /** The rate limit's burst in steps, 0 for the default. */
  LIMIT_BURST: 9,
  /** Per shard and round parity: the shard's next tick; `NEXT + parity * workers + shard`. */
  NEXT: 10,
} as const;

/**
 * Per shard in `counters`: flashes, discarded, dropped, failed agents, border flashes received
 * from other shards, wall ms spent in the barrier, wall ms of all rounds; then, per snapshot
 * slot and shard, the flashes at the snapshot.
 */
export const COUNTERS_PER_SHARD = 7;

/** A band of rows: shard i runs ids `[from, to)`. */
export interface ShardBand {
  from: number;
  to: number;
}

/** The buffers one run's shards and main thread share (structured-clonable to workers). */
export interface ShardBuffers {
  control: SharedArrayBuffer;
  floats: SharedArrayBuffer;
  counters: SharedArrayBuffer;
  lastFlash: SharedArrayBuffer;
  interval: SharedArrayBuffer;
  flashCount: SharedArrayBuffer;
  /** Two slots of `agents` Float64 each. */
  snapLastFlash: SharedArrayBuffer;
  snapInterval: SharedArrayBuffer;
  /** Ring from shard i to shard j under key `i>j`: Int32, two slots of `1 + capacity`. */
  rings: Record<string, SharedArrayBuffer>;
}

/**
 * Cut `height` rows into `workers` bands [SHD-1].
 *
 * @example
 * ```ts
 * planBands(10, 5, 2); // [{ from: 0, to: 20 }, { from: 20, to: 50 }]
 * ```
 */
export function planBands(width: number, height: number, workers: number): ShardBand[] {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new InvalidArgumentError('workers', workers, 'must be an integer >= 1');
  }
  if (workers > height) {
    throw new InvalidArgumentError(
      'workers',
      workers,
      `must be at most the grid's height (${height} rows): each shard is a band of whole rows`,
    );
  }
  const bands: ShardBand[] = [];
  for (let i = 0; i < workers; i++) {
    const r0 = Math.floor((i * height) / workers);
    const r1 = Math.floor(((i + 1) * height) / workers);
    bands.push({ from: r0 * width, to: r1 * width });
  }
  return bands;
}

/** The shard of each row (bands are whole rows). */
export function shardOfRow(bands: readonly ShardBand[], width: number, height: number): Int32Array {
  const of = new Int32Array(height);
  bands.forEach((b, i) => of.fill(i, b.from / width, b.to / width));
  return of;
}

/**
 * For each agent of shard `i`: the other shards it has neighbours in (at most two, since a
 * band's neighbours are the bands above and below), as `targets[2k]`, `targets[2k+1]` for its
 * k-th agent, -1 for none; and how many of its agents border each shard.
 */
export function borderTargets(
  topology: TorusTopology,
  bands: readonly ShardBand[],
  i: number,
): { targets: Int16Array; capacity: Map<number, number> } {
  const { width, height, neighbours } = topology;
  const rowShard = shardOfRow(bands, width, height);
  const { from, to } = bands[i];
  const targets = new Int16Array(2 * (to - from)).fill(-1);
  const capacity = new Map<number, number>();
  for (let a = from; a < to; a++) {
    const k = 2 * (a - from);
    for (let j = a * 8; j < a * 8 + 8; j++) {
      const s = rowShard[Math.floor(neighbours[j] / width)];
      if (s === i || targets[k] === s || targets[k + 1] === s) continue;
      targets[targets[k] === -1 ? k : k + 1] = s;
      capacity.set(s, (capacity.get(s) ?? 0) + 1);
    }
  }
  return { targets, capacity };
}

/**
 * Allocate the shared buffers of a run.
 *
 * @example
 * ```ts
 * const buffers = allocateShardBuffers(topology, bands, 5000);
 * ```
 */
export function allocateShardBuffers(
  topology: TorusTopology,
  bands: readonly ShardBand[],
  periodMs: number,
): ShardBuffers {
  const n = topology.size;
  const w = bands.length;
  const f64 = (count: number): SharedArrayBuffer => new SharedArrayBuffer(8 * count);
  const buffers: ShardBuffers = {
    control: new SharedArrayBuffer(4 * CTL.LENGTH),
    floats: f64(FLT.NEXT + 2 * w),
    counters: f64(COUNTERS_PER_SHARD * w + 2 * w),
    lastFlash: f64(n),
    interval: f64(n),
    flashCount: new SharedArrayBuffer(4 * n),
    snapLastFlash: f64(2 * n),
    snapInterval: f64(2 * n),
    rings: {},
  };
  new Float64Array(buffers.interval).fill(periodMs);
  for (let i = 0; i < w; i++) {
    for (const [j, cap] of borderTargets(topology, bands, i).capacity) {
      buffers.rings[`${i}>${j}`] = new SharedArrayBuffer(4 * 2 * (1 + cap));
    }
  }
  return buffers;
}

/** What every sharded run (worker threads or processes) resolves from its options. */
export interface ShardedRunBasics {
  params: FireflyModelParams;
  width: number;
  height: number;
  agents: number;
  /** The torus, built once (it checks the grid). */
  topology: TorusTopology;
  seed: number;
  clockKind: 'real' | 'virtual';
  speed: number;
}

/**
 * The model, grid, seed, clock and speed of a sharded run, checked: a typed error names a bad
 * clock or speed.
 *
 * @example
 * ```ts
 * const b = resolveShardedRun({ width: 100, height: 100, clock: 'virtual' }); // b.agents 10000
 * ```
 */
export function resolveShardedRun(
  options: Partial<FireflyModelParams> & {
    width: number;
    height: number;
    seed?: number;
    clock?: string;
    speed?: number;
  },
): ShardedRunBasics {
  const clockKind = options.clock ?? 'real';
  if (clockKind !== 'real' && clockKind !== 'virtual') {
    throw new InvalidArgumentError('clock', clockKind, 'must be "real" or "virtual"');
  }
  const speed = options.speed ?? 1;
  checkSpeed(clockKind, speed);
  const topology = new TorusTopology(options.width, options.height);
  return {
    params: resolveModelParams(options),
    width: options.width,
    height: options.height,
    agents: topology.size,
    topology,
    seed: options.seed ?? 1,
    clockKind,
    speed,
  };
}

/**
 * A speed a sharded run may take: a finite number > 0, on the real clock.
 *
 * @example
 * ```ts
 * checkSpeed('real', 10); // fine; checkSpeed('virtual', 10) throws INVALID_ARGUMENT
 * ```
 */
export function checkSpeed(clockKind: 'real' | 'virtual', speed: number): void {
  if (!(speed > 0) || !Number.isFinite(speed)) {
    throw new InvalidArgumentError('speed', speed, 'must be a finite number > 0');
  }
  if (clockKind !== 'real' && speed !== 1) {
    throw new InvalidArgumentError('speed', speed, 'applies to the real clock only');
  }
}

/** Absolute wall ms, the same in every thread and process: pacing anchors are these. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** An error's message, or the thrown value as text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Shard `i`'s share of `total` split over `shards`: floor(total / shards), plus one for the
 * first `total mod shards` shards, so the shares add up to `total` [SHD-8].
 *
 * @example
 * ```ts
 * shareOf(10, 4, 0); // 3 (3 + 3 + 2 + 2)
 * ```
 */
export function shareOf(total: number, shards: number, i: number): number {
  return Math.floor(total / shards) + (i < total % shards ? 1 : 0);
}

/** The limits on every firefly step of a run: undefined where there is none. */
export interface StepLimits {
  concurrency?: number;
  perSec?: number;
  burst?: number;
}

/**
 * The most restrictive concurrency and rate limits among `constraints` that apply to every
 * firefly's step [SLIM-1].
 *
 * @example
 * ```ts
 * stepLimitsOf(set.list()); // { concurrency: 50, perSec: 2000 }
 * ```
 */
export function stepLimitsOf(constraints: Iterable<Constraint>): StepLimits {
  const out: StepLimits = {};
  for (const c of constraints) {
    if (!FIREFLY_STEP_SCOPES.has(c.scope)) continue;
    if (c.kind === 'concurrency' && (out.concurrency === undefined || c.limit < out.concurrency)) {
      out.concurrency = c.limit;
    } else if (c.kind === 'rate' && (out.perSec === undefined || c.perSec < out.perSec)) {
      out.perSec = c.perSec;
      if (c.burst !== undefined) out.burst = c.burst;
      else delete out.burst;
    }
  }
  return out;
}

/** Whether `limits` limits anything (a concurrency or a rate). */
export function isLimited(limits: StepLimits): boolean {
  return limits.concurrency !== undefined || limits.perSec !== undefined;
}

/** Whether two step limits are the same (a change re-anchors a real-clock run's pace). */
export function sameStepLimits(a: StepLimits, b: StepLimits): boolean {
  return a.concurrency === b.concurrency && a.perSec === b.perSec && a.burst === b.burst;
}

/** Write a run's step limits where worker shards read them, and bump their sequence [SLIM-1]. */
export function writeStepLimits(ctl: Int32Array, flt: Float64Array, limits: StepLimits): void {
  Atomics.store(ctl, CTL.LIMIT_CONCURRENCY, limits.concurrency ?? 0);
  flt[FLT.LIMIT_RATE] = limits.perSec ?? 0;
  flt[FLT.LIMIT_BURST] = limits.burst ?? 0;
  Atomics.add(ctl, CTL.LIMIT_SEQ, 1); // after the floats: a reader that sees it sees them
}

/** The step limits {@link writeStepLimits} wrote. */
export function readStepLimits(ctl: Int32Array, flt: Float64Array): StepLimits {
  const concurrency = Atomics.load(ctl, CTL.LIMIT_CONCURRENCY);
  const perSec = flt[FLT.LIMIT_RATE];
  const burst = flt[FLT.LIMIT_BURST];
  return {
    ...(concurrency > 0 && { concurrency }),
    ...(perSec > 0 && { perSec }),
    ...(burst > 0 && { burst }),
  };
}

/**
 * Give shard `me` of `shards` its share of a run's step limits, on scope `global` of its own
 * constraint set [SLIM-1]: shareOf(concurrency) (at least 1), perSec / shards, the burst
 * (default 1% of a second's worth, at least 1) split likewise. A limit the run no longer has
 * is cleared.
 *
 * @example
 * ```ts
 * applyStepLimitShare(set, { perSec: 2000 }, 2, 0); // this shard: 1,000 steps/s
 * ```
 */
export function applyStepLimitShare(
  set: ConstraintSet,
  limits: StepLimits,
  shards: number,
  me: number,
): void {
  if (limits.concurrency !== undefined) {
    const limit = Math.max(1, shareOf(limits.concurrency, shards, me));
    set.set({ scope: 'global', kind: 'concurrency', limit });
  } else set.clear('global', 'concurrency');
  if (limits.perSec !== undefined) {
    const total = limits.burst ?? Math.max(1, Math.ceil(limits.perSec / 100));
    set.set({
      scope: 'global',
      kind: 'rate',
      perSec: limits.perSec / shards,
      burst: Math.max(1, Math.ceil(total / shards)),
    });
  } else set.clear('global', 'rate');
}
