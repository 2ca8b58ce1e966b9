/**
 * The worker-thread side of a sharded firefly run (see firefly-shards.ts for the main side).
 * One worker runs one band of the grid as a FireflyExperiment of its own (its own Engine and
 * virtual-clock Scheduler, its agents Cascade VM-mode tasks) and advances in lock-step with
 * the other shards, one round per visited tick:
 *
 *   pace (real clock) -> take the border flashes of the round before -> run the tick ->
 *   snapshot at sample ticks -> write own border flashes -> counters, next tick -> barrier
 *
 * A flash at tick t reaches neighbours at the start of t + 1 [PUL-1], so one tick is the
 * lookahead and one barrier per round is all the synchronisation there is [SHD-3]. Every
 * shard computes the same next tick (the minimum over all shards), so all visit the same
 * ticks in the same order, and the flash log is the one a single process gives [SHD-4].
 *
 * Invariants:
 * - [SHD-3] No shard starts round k + 1 before every shard finished round k (the barrier);
 *   border flashes of round k are read in round k + 1 only.
 * - [SHD-9] The ticks visited are the union of every shard's due ticks, visit requests and
 *   sample ticks, in order, the same on every shard.
 * - [SHD-5] A worker never blocks for good: every wait has a timeout and checks STOP.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { IpcUplinkConnector } from '../../messaging/ipc-uplink.js';
import type { MessagePort } from 'node:worker_threads';
import { TorusTopology } from '../model/topology.js';
import { ShardStepper } from './shard-stepper.js';
import type { FireflyModelParams } from '../model/firefly-params.js';
import { FireflyTelemetry } from '../model/firefly-telemetry.js';
import { CTL, FLT, COUNTERS_PER_SHARD, planBands } from './shard-plan.js';
import type { ShardBuffers } from './shard-plan.js';
import { wallNow, applyStepLimitShare, isLimited, readStepLimits } from './shard-plan.js';
import { ConstraintSet } from '../../runtime/index.js';

/** What the main thread hands each worker. */
export interface ShardWorkerData {
  shard: number;
  workers: number;
  width: number;
  height: number;
  params: FireflyModelParams;
  seed: number;
  clock: 'real' | 'virtual';
  /** cpu_slot capacity of this shard's ResourceManager (the global limit split). */
  limit?: number;
  sampleEveryMs: number;
  publishFlashes: boolean;
  sampleRate: number;
  inboxCapacity?: number;
  buffers: ShardBuffers;
  /** The uplink port for flash telemetry (when flashes are published). */
  uplink?: MessagePort;
  /** Tests: throw after this many rounds (a shard that fails mid-run). */
  failAfterRounds?: number;
  /** The run takes step limits from a control plane: this shard's share goes through a gate [SLIM-1]. */
  controlled?: boolean;
  /** Where to record each round: a count, then (tick, work ms, wait ms) a round. */
  trace?: SharedArrayBuffer;
}

/** Messages to the main thread. */
export type ShardMessage =
  | { type: 'ready' }
  | { type: 'reached'; until: number }
  | { type: 'snapshot'; seq: number; t: number }
  | { type: 'stopped' };

/** Wall ms a worker spins at the barrier before it sleeps in `Atomics.wait`. */
const SPIN_MS = 0.05;
const WAIT_MS = 50;
/** Wall ms between looks for a change of the step limits while one is in force [SLIM-3]. */
const LIMIT_POLL_MS = 10;

async function main(data: ShardWorkerData): Promise<void> {
  const port = parentPort!;
  const post = (m: ShardMessage): void => port.postMessage(m);
  const b = data.buffers;
  const ctl = new Int32Array(b.control);
  const flt = new Float64Array(b.floats);
  const counters = new Float64Array(b.counters);
  const W = data.workers;
  const me = data.shard;
  const topology = new TorusTopology(data.width, data.height);
  const bands = planBands(data.width, data.height, W);
  const { from, to } = bands[me];
  const n = topology.size;
  const telemetry = new FireflyTelemetry(n, data.params.periodMs, {
    lastFlash: new Float64Array(b.lastFlash),
    interval: new Float64Array(b.interval),
    flashCount: new Uint32Array(b.flashCount),
  });
  const bus =
    data.publishFlashes && data.uplink !== undefined
      ? new IpcUplinkConnector({ port: data.uplink, name: `shard-${me}` })
      : undefined;
  const constraints = data.controlled === true ? new ConstraintSet() : undefined;
  // the band's model, the same as on a process shard (shard-stepper.ts)
  const stepper = new ShardStepper({
    ...(constraints !== undefined && { constraints }),
    shard: me,
    shards: W,
    width: data.width,
    height: data.height,
    params: data.params,
    seed: data.seed,
    ...(data.limit !== undefined && { limit: data.limit }),
    ...(bus !== undefined && { bus }),
    publishFlashes: data.publishFlashes,
    sampleRate: data.sampleRate,
    ...(data.inboxCapacity !== undefined && { inboxCapacity: data.inboxCapacity }),
    telemetry,
    flashGate: () => Atomics.load(ctl, CTL.FLASH_WANTED) !== 0, // [SHD-7]
  });
  const exp = stepper.exp;
  if (bus !== undefined) await bus.connect();
  await stepper.start();

  // rings: own border flashes out, the neighbours' in
  const outRings = new Map<number, Int32Array>();
  const inRings: Array<{ ring: Int32Array; slot: number }> = [];
  for (const [key, sab] of Object.entries(b.rings)) {
    const [i, j] = key.split('>').map(Number);
    const ring = new Int32Array(sab);
    if (i === me) outRings.set(j, ring);
    if (j === me) inRings.push({ ring, slot: ring.length / 2 });
  }
  const outSlot = new Map<number, number>();
  for (const [j, ring] of outRings) outSlot.set(j, ring.length / 2);
  const scratch = new Int32Array(Math.max(1, ...inRings.map((r) => r.slot - 1)));

  const stopped = (): boolean => Atomics.load(ctl, CTL.STOP) !== 0;
  /** Wait while `ctl[index] === value` (or until `ms`); false once stopped [SHD-5]. */
  const waitWhile = (index: number, value: number, ms = WAIT_MS): boolean => {
    if (stopped()) return false;
    Atomics.wait(ctl, index, value, Math.max(0, Math.min(ms, WAIT_MS)));
    return !stopped();
  };
  /** The barrier [SHD-3]: false when the run stopped meanwhile. */
  const barrier = (): boolean => {
    const gen = Atomics.load(ctl, CTL.GEN);
    if (Atomics.add(ctl, CTL.COUNT, 1) === W - 1) {
      Atomics.store(ctl, CTL.COUNT, 0);
      Atomics.add(ctl, CTL.GEN, 1);
      Atomics.notify(ctl, CTL.GEN);
      return !stopped();
    }
    // spin first (a futex wake-up costs tens of µs, more on a busy machine), then sleep
    const spinUntil = performance.now() + SPIN_MS;
    for (let i = 1; ; i++) {
      if (Atomics.load(ctl, CTL.GEN) !== gen) return !stopped();
      if ((i & 255) === 0 && performance.now() > spinUntil) break;
    }
    while (Atomics.load(ctl, CTL.GEN) === gen) if (!waitWhile(CTL.GEN, gen)) return false;
    return !stopped();
  };
  const writeCounters = (): void => {
    const base = me * COUNTERS_PER_SHARD;
    counters[base] = telemetry.flashes;
    counters[base + 1] = telemetry.discardedPulses;
    counters[base + 2] = telemetry.droppedPulses;
    counters[base + 3] = exp.stats().failedAgents;
    counters[base + 4] = stepper.borderIn;
    counters[base + 5] = barrierMs;
    counters[base + 6] = roundsMs;
  };
  let barrierMs = 0; // wall ms waiting in the barrier
  let roundsMs = 0; // wall ms of all rounds, barrier included

  post({ type: 'ready' });
  while (Atomics.load(ctl, CTL.GO) === 0) if (!waitWhile(CTL.GO, 0)) return finish();

  const every = data.sampleEveryMs;
  let nextSample = every;
  let snapSeq = 0;
  let k = 0;
  // round -1 (parity 1): agree on the first tick
  flt[FLT.NEXT + W + me] = Math.min(exp.scheduler.nextTime(), nextSample);
  if (!barrier()) return finish();
  let t = minNext(flt, 1, W);
  let prevT = 0;
  let reachedFor = Number.NaN;
  let roundStart = performance.now();
  let limitSeq = 0;
  const trace = data.trace === undefined ? null : new Float64Array(data.trace);
  const traceCap = trace === null ? 0 : (trace.length - 1) / 3;
  let limitWatch: NodeJS.Timeout | undefined;
  for (;;) {
    if (stopped()) break;
    if (data.failAfterRounds !== undefined && k >= data.failAfterRounds) {
      throw new Error(`injected failure after ${k} rounds`);
    }
    // the run's end: every tick up to UNTIL, then wait for more
    const untilSeq = Atomics.load(ctl, CTL.UNTIL_SEQ);
    const until = flt[FLT.UNTIL];
    if (t > until) {
      if (me === 0 && reachedFor !== until) {
        reachedFor = until;
        flt[FLT.TICK] = Math.max(flt[FLT.TICK], until);
        post({ type: 'reached', until });
      }
      waitWhile(CTL.UNTIL_SEQ, untilSeq);
      await yieldToLoop(); // let the uplink post its batch
      continue;
    }
    if (data.clock === 'real' && !pace(t)) break;
    if (constraints !== undefined && Atomics.load(ctl, CTL.LIMIT_SEQ) !== limitSeq) applyLimits();
    roundStart = performance.now(); // pacing waits are not round time
    // border flashes of the round before [SHD-3]
    const parityIn = (k + 1) & 1; // (k - 1) & 1
    if (k > 0) {
      for (const { ring, slot } of inRings) {
        const base = parityIn * slot;
        const count = ring[base];
        if (count === 0) continue;
        scratch.set(ring.subarray(base + 1, base + 1 + count));
        stepper.receive(scratch.subarray(0, count), prevT);
      }
    }
    await stepper.runTick(t);
    if (t === nextSample) {
      // [SES-1] R at the end of tick t, from a copy: wait until the main thread has consumed
      // the snapshot this slot held
      while (Atomics.load(ctl, CTL.SNAP_ACK) < snapSeq - 1) {
        if (!waitWhile(CTL.SNAP_ACK, Atomics.load(ctl, CTL.SNAP_ACK))) return finish();
      }
      const slot = snapSeq & 1;
      new Float64Array(b.snapLastFlash, 8 * slot * n + 8 * from, to - from).set(
        telemetry.lastFlash.subarray(from, to),
      );
      new Float64Array(b.snapInterval, 8 * slot * n + 8 * from, to - from).set(
        telemetry.interval.subarray(from, to),
      );
      counters[COUNTERS_PER_SHARD * W + slot * W + me] = telemetry.flashes;
      snapSeq++;
      nextSample += every;
    }
    // own border flashes out
    const parityOut = k & 1;
    for (const [j, ring] of outRings) {
      const base = parityOut * outSlot.get(j)!;
      const ids = stepper.borderOut(j);
      ring[base] = ids.length;
      ring.set(ids, base + 1);
    }
    writeCounters();
    flt[FLT.NEXT + parityOut * W + me] = stepper.nextDue(t, nextSample);
    const atBarrier = performance.now();
    if (!barrier()) break;
    const after = performance.now();
    barrierMs += after - atBarrier;
    roundsMs += after - roundStart;
    if (trace !== null && trace[0] < traceCap) {
      const at = 1 + 3 * trace[0];
      trace[at] = t;
      trace[at + 1] = atBarrier - roundStart;
      trace[at + 2] = after - atBarrier;
      trace[0]++;
    }
    roundStart = after;
    if (me === 0) {
      flt[FLT.TICK] = t;
      if (snapSeq > Atomics.load(ctl, CTL.SNAP_SEQ)) {
        flt[FLT.SNAP_TIME + ((snapSeq - 1) & 1)] = t;
        Atomics.store(ctl, CTL.SNAP_SEQ, snapSeq);
        post({ type: 'snapshot', seq: snapSeq, t });
      }
    }
    prevT = t;
    t = minNext(flt, parityOut, W);
    flt[FLT.NEXT_TICK] = t;
    k++;
  }
  return finish();

  /**
   * This shard's share of the run's step limits, from the next step on [SLIM-1]. While a limit
   * is in force a change is also looked for every {@link LIMIT_POLL_MS} during a round, so a
   * cleared or raised limit lets the steps waiting at the gate go on at once rather than at
   * the old rate until the round ends [SLIM-3].
   */
  function applyLimits(): void {
    limitSeq = Atomics.load(ctl, CTL.LIMIT_SEQ);
    const limits = readStepLimits(ctl, flt);
    applyStepLimitShare(constraints!, limits, W, me);
    const limited = isLimited(limits);
    if (limited && limitWatch === undefined) {
      limitWatch = setInterval(() => {
        if (Atomics.load(ctl, CTL.LIMIT_SEQ) !== limitSeq) applyLimits();
      }, LIMIT_POLL_MS);
    } else if (!limited && limitWatch !== undefined) {
      clearInterval(limitWatch);
      limitWatch = undefined;
    }
  }

  /** Real clock: wait until the pacing target reaches tick `t`; false once stopped. */
  function pace(time: number): boolean {
    for (;;) {
      const seq = Atomics.load(ctl, CTL.PACE_SEQ);
      if (Atomics.load(ctl, CTL.PAUSED) !== 0) {
        if (!waitWhile(CTL.PACE_SEQ, seq)) return false;
        continue;
      }
      const dueWall = flt[FLT.ANCHOR_WALL] + (time - flt[FLT.ANCHOR_SIM]) / flt[FLT.SPEED];
      const delay = dueWall - wallNow();
      if (delay <= 0) return true;
      if (!waitWhile(CTL.PACE_SEQ, seq, delay)) return false;
    }
  }

  async function finish(): Promise<void> {
    clearInterval(limitWatch);
    writeCounters();
    await exp.halt(); // the thread ends: its agents go with its heap [FLY-11]
    constraints?.close();
    writeCounters();
    if (bus !== undefined) await bus.disconnect();
    post({ type: 'stopped' });
  }
}

function minNext(flt: Float64Array, parity: number, workers: number): number {
  let min = Infinity;
  for (let i = 0; i < workers; i++) {
    const v = flt[FLT.NEXT + parity * workers + i];
    if (v < min) min = v;
  }
  return min;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

if (parentPort !== null && workerData !== null && typeof workerData === 'object') {
  const data = workerData as ShardWorkerData & { entry?: string };
  await main(data);
}
