/**
 * The firefly experiment on every core: the grid cut into bands (shard-plan.ts), one worker
 * thread per band running its agents as Cascade VM-mode tasks on its own Engine and Scheduler
 * (firefly-shard-worker.ts), in lock-step one tick at a time, with live border links. This
 * main-thread side owns what the view, the monitor, the metrics and the summary read: every
 * agent's telemetry in SharedArrayBuffers (no message per flash), R from snapshots the shards
 * take at sample ticks, the counters, the pace, and the workers' lives.
 *
 * Invariants:
 * - [SHD-4] Same seed, virtual clock: the flash log of any worker count is the flash log of one
 *   process (same (tick, agent) flashes; within a tick the order is not part of the model).
 * - [SHD-6] A worker that throws or exits unasked is detected at once (its `error`/`exit`
 *   event): `failure` rejects with a ShardFailedError naming the shard, and every worker is
 *   stopped. `stop()` ends every worker in under a second (terminated if it does not end).
 * - [SHD-7] Flashes reach the main thread's bus through one worker uplink per shard (batched;
 *   a saturated uplink drops and counts, [UPL-2]), in tick order per shard, not across shards,
 *   and only while someone listens: on a LocalBus the shards forward them while a subscription
 *   matches `firefly/flash` (checked every 100 ms, so a new subscriber may miss the flashes of
 *   its first 100 ms); on any other connector always. A million flashes a second cloned
 *   across threads for nobody would take a core.
 * - [SHD-8] `--limit N` is split: shard i gets `cpu_slot` capacity floor(N / W) (+1 for the
 *   first N mod W shards); the sum is N. Steps are synchronous, so no slot is ever waited for.
 * - [SLIM-1] With `constraints`, the concurrency and rate limits that apply to every firefly
 *   (scopes `global`, `group:fireflies`, `task:firefly`; the most restrictive of each kind)
 *   are split between the shards as `--limit` is: shard i takes shareOf(limit) steps at once
 *   (at least 1) and perSec / W steps a second (burst split likewise, at least 1), through a
 *   gate of its own. They reach the shards through shared memory and hold from the next round
 *   (shard processes: in a `limits` control message, mqtt-shard.ts).
 * - [SLIM-2] A step a shard's gate keeps waiting holds the shard's virtual clock, so a limit
 *   slows the lock-step and never changes the flash log ([SCH-7], [GATE-7]). Pauses are not
 *   mirrored: the run's owner pauses the lock-step's clock (`pause()`).
 * - [SLIM-3] Real clock: a limit is a deliberate slowdown, paced like a pause. When the step
 *   limits change (set or cleared) the pace restarts from where the run stands [RCK-3], and
 *   while one is in force the pace follows the run (re-anchored within 100 ms whenever the
 *   lock-step trails it), so the time a limit takes is never caught up in a burst, during or
 *   after it, and `behindMs()` reads 0 meanwhile: the lag is the limit's, not the machine's.
 *   Its wall and simulated time are counted apart for the summary [PACE-3].
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, ShardFailedError } from '../../errors.js';
import type { ClockKind } from '../../runtime/index.js';
import { LocalBroker, LocalBus, bridgeUplink } from '../../messaging/index.js';
import { FLASH_TOPIC } from '../agents/firefly-agent.js';
import type { Connector, UplinkBridge } from '../../messaging/index.js';
import { ConvergenceMonitor } from '../monitors/convergence-monitor.js';
import type { FireflyModelParams } from '../model/firefly-params.js';
import { FireflyTelemetry } from '../model/firefly-telemetry.js';
import { LimitedSpans } from '../metrics/pace-meter.js';
import type { FireflyExperimentOptions } from './firefly-experiment.js';
import type { FireflyRunTarget, FireflyStats, OrderSampleHandler } from './firefly-run-target.js';
import {
  COUNTERS_PER_SHARD,
  CTL,
  FLT,
  allocateShardBuffers,
  planBands,
  type ShardBuffers,
  type StepLimits,
  checkSpeed,
  resolveShardedRun,
} from './shard-plan.js';
import type { ShardMessage, ShardWorkerData } from './firefly-shard-worker.js';
import { wallNow, errorText, shareOf, stepLimitsOf, writeStepLimits } from './shard-plan.js';
import { isLimited, sameStepLimits } from './shard-plan.js';

/** Options of {@link ShardedFireflies}. */
export interface ShardedFirefliesOptions extends FireflyExperimentOptions {
  /** Worker threads, one shard each (>= 1, at most the grid's height). */
  workers: number;
  /** Simulated ms between R samples (default 1000): every shard visits these ticks. */
  sampleEveryMs?: number;
  /** Tests: shard `shard` throws after `rounds` rounds. */
  failShard?: { shard: number; rounds: number };
  /**
   * Record every shard's work and barrier wait for each of the first this many rounds (24
   * bytes a round a shard), for {@link ShardedFireflies.roundBreakdown}. Default 0: none.
   */
  traceRounds?: number;
}

/** Where the lock-step's barrier time went, from a round trace (all times wall ms). */
export interface RoundBreakdown {
  /** Rounds counted. */
  rounds: number;
  /** A shard's work in a round (its tick and border exchange), mean over shards and rounds. */
  workMs: number;
  /** The slowest shard's work minus the fastest one's, mean over rounds: what waiting buys. */
  imbalanceMs: number;
  /**
   * The wait of the last shard to arrive, median over rounds: what the barrier itself costs
   * (a spin or a futex wake-up), apart from imbalance.
   */
  syncMs: number;
  /** The share of all waiting that falls in the 1% of rounds with the slowest shard work. */
  slowestShare: number;
}

/**
 * The breakdown of round traces (per shard: a count, then (tick, work ms, wait ms) per round,
 * the rounds of every shard in the same order), rounds at or after tick `fromMs` only.
 *
 * @example
 * ```ts
 * roundBreakdown([traceOf0, traceOf1], 2000); // { rounds: 3001, workMs: 1.3, ... }
 * ```
 */
export function roundBreakdown(traces: readonly Float64Array[], fromMs = 0): RoundBreakdown {
  const n = Math.min(...traces.map((t) => t[0]));
  let rounds = 0;
  let work = 0;
  let imbalance = 0;
  let waitAll = 0;
  const syncs: number[] = [];
  const slowest: Array<[number, number]> = []; // [max work, the round's waiting]
  for (let r = 0; r < n; r++) {
    if (traces[0][1 + 3 * r] < fromMs) continue;
    let max = -Infinity;
    let min = Infinity;
    let minWait = Infinity;
    let wait = 0;
    for (const t of traces) {
      const w = t[2 + 3 * r];
      const v = t[3 + 3 * r];
      work += w;
      wait += v;
      if (w > max) max = w;
      if (w < min) min = w;
      if (v < minWait) minWait = v;
    }
    rounds++;
    imbalance += max - min;
    waitAll += wait;
    syncs.push(minWait);
    slowest.push([max, wait]);
  }
  if (rounds === 0) {
    return { rounds: 0, workMs: 0, imbalanceMs: 0, syncMs: 0, slowestShare: 0 };
  }
  syncs.sort((a, b) => a - b);
  slowest.sort((a, b) => b[0] - a[0]);
  let slowWait = 0;
  for (let i = 0; i < Math.ceil(rounds / 100); i++) slowWait += slowest[i][1];
  return {
    rounds,
    workMs: work / (rounds * traces.length),
    imbalanceMs: imbalance / rounds,
    syncMs: syncs[rounds >> 1],
    slowestShare: waitAll > 0 ? slowWait / waitAll : 0,
  };
}

interface UntilWaiter {
  until: number;
  resolve: () => void;
}

/**
 * @example
 * ```ts
 * const exp = new ShardedFireflies({ width: 100, height: 100, workers: 2, clock: 'virtual' });
 * await exp.start();
 * await exp.runUntil(60_000);
 * await exp.stop();
 * ```
 */
export class ShardedFireflies implements FireflyRunTarget {
  readonly width: number;
  readonly height: number;
  readonly agents: number;
  readonly params: FireflyModelParams;
  readonly periodMs: number;
  readonly seed: number;
  readonly clockKind: ClockKind;
  readonly workers: number;
  readonly telemetry: FireflyTelemetry;
  readonly monitor: ConvergenceMonitor;
  readonly lastFlash: Float64Array;
  readonly bus: Connector;
  readonly failure: Promise<never>;

  readonly #options: ShardedFirefliesOptions;
  readonly #buffers: ShardBuffers;
  readonly #ctl: Int32Array;
  readonly #flt: Float64Array;
  readonly #counters: Float64Array;
  /** Per shard, its round trace (`traceRounds`). */
  readonly #traces: SharedArrayBuffer[] = [];
  /** One monitor per snapshot slot, each reading its slot's copy of the telemetry. */
  readonly #snapMonitors: ConvergenceMonitor[];
  readonly #sampleEveryMs: number;
  readonly #limit: number | undefined;
  readonly #ownsBus: boolean;
  #threads: Worker[] = [];
  #bridges: UplinkBridge[] = [];
  #exited: Promise<void>[] = [];
  #fail: (error: ShardFailedError) => void = () => undefined;
  #failed: ShardFailedError | null = null;
  #onSample: OrderSampleHandler | null = null;
  #sampleUntil: number | undefined;
  #reached: UntilWaiter[] = [];
  #stopping: Promise<void> | null = null;
  #started = false;
  #pausedAt = 0;
  #pausedWall = 0;
  #listening: NodeJS.Timeout | undefined;
  #offLimits: (() => void) | null = null;
  /** The step limits the shards hold to now, and the time spent under them [SLIM-3]. */
  #stepLimits: StepLimits = {};
  readonly #limitedSpans = new LimitedSpans(() => this.now());

  constructor(options: ShardedFirefliesOptions) {
    this.#options = options;
    const basics = resolveShardedRun(options);
    const speed = basics.speed;
    ({
      params: this.params,
      width: this.width,
      height: this.height,
      agents: this.agents,
      seed: this.seed,
      clockKind: this.clockKind,
    } = basics);
    this.periodMs = this.params.periodMs;
    const limit = options.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < options.workers)) {
      throw new InvalidArgumentError(
        'limit',
        limit,
        `must be an integer >= the number of workers (${options.workers}): it is split between them`,
      );
    }
    this.#limit = limit;
    this.#sampleEveryMs = options.sampleEveryMs ?? 1000;
    if (!(this.#sampleEveryMs > 0) || !Number.isInteger(this.#sampleEveryMs)) {
      throw new InvalidArgumentError(
        'sampleEveryMs',
        this.#sampleEveryMs,
        'must be an integer > 0',
      );
    }
    const trace = options.traceRounds ?? 0;
    if (!Number.isInteger(trace) || trace < 0) {
      throw new InvalidArgumentError('traceRounds', trace, 'must be an integer >= 0');
    }
    const bands = planBands(this.width, this.height, options.workers);
    this.workers = bands.length;
    const b = allocateShardBuffers(basics.topology, bands, this.periodMs);
    this.#buffers = b;
    this.#ctl = new Int32Array(b.control);
    this.#flt = new Float64Array(b.floats);
    this.#counters = new Float64Array(b.counters);
    this.#flt[FLT.SPEED] = speed;
    this.telemetry = new FireflyTelemetry(this.agents, this.periodMs, {
      lastFlash: new Float64Array(b.lastFlash),
      interval: new Float64Array(b.interval),
      flashCount: new Uint32Array(b.flashCount),
    });
    this.lastFlash = this.telemetry.lastFlash;
    this.monitor = new ConvergenceMonitor(this.telemetry);
    const n = this.agents;
    this.#snapMonitors = [0, 1].map(
      (slot) =>
        new ConvergenceMonitor(
          new FireflyTelemetry(n, this.periodMs, {
            lastFlash: new Float64Array(b.snapLastFlash, 8 * slot * n, n),
            interval: new Float64Array(b.snapInterval, 8 * slot * n, n),
            flashCount: new Uint32Array(0),
          }),
        ),
    );
    this.#ownsBus = options.bus === undefined;
    this.bus = options.bus ?? new LocalBus({ broker: new LocalBroker(), name: 'fireflies' });
    this.failure = new Promise<never>((_, reject) => {
      this.#fail = reject;
    });
    this.failure.catch(() => undefined); // observed through the run; never an unhandled rejection
  }

  /** Start every worker; resolves once all have set their agents up and been let go. */
  async start(): Promise<void> {
    if (this.#started)
      throw new InvalidArgumentError('start', 'twice', 'the experiment is already started');
    this.#started = true;
    if (this.#ownsBus) await this.bus.connect();
    const o = this.#options;
    const publish = o.publishFlashes !== false;
    const limit = o.limit;
    const ready: Promise<void>[] = [];
    const traceRounds = o.traceRounds ?? 0;
    for (let i = 0; i < this.workers && traceRounds > 0; i++) {
      this.#traces.push(new SharedArrayBuffer(8 * (1 + 3 * traceRounds)));
    }
    for (let i = 0; i < this.workers; i++) {
      const channel = publish ? new MessageChannel() : null;
      if (channel !== null) this.#bridges.push(bridgeUplink(channel.port1, this.bus));
      const data: ShardWorkerData = {
        shard: i,
        workers: this.workers,
        width: this.width,
        height: this.height,
        params: this.params,
        seed: this.seed,
        clock: this.clockKind,
        ...(limit !== undefined && {
          limit: shareOf(limit, this.workers, i),
        }),
        sampleEveryMs: this.#sampleEveryMs,
        publishFlashes: publish,
        sampleRate: o.sampleRate ?? 0,
        ...(o.inboxCapacity !== undefined && { inboxCapacity: o.inboxCapacity }),
        buffers: this.#buffers,
        ...(channel !== null && { uplink: channel.port2 }),
        ...(o.failShard?.shard === i && { failAfterRounds: o.failShard.rounds }),
        ...(o.constraints !== undefined && { controlled: true }),
        ...(this.#traces[i] !== undefined && { trace: this.#traces[i] }),
      };
      const worker = spawnShard(data, channel === null ? [] : [channel.port2]);
      this.#threads.push(worker);
      ready.push(this.#watch(worker, i));
    }
    await Promise.race([Promise.all(ready), this.failure]);
    // [SHD-7] forward flashes only while someone listens
    const bus = this.bus;
    const listened =
      bus instanceof LocalBus ? (): boolean => bus.broker.hasSubscribers(FLASH_TOPIC) : () => true;
    const check = (): void => {
      Atomics.store(this.#ctl, CTL.FLASH_WANTED, publish && listened() ? 1 : 0);
      // [SLIM-3] under a limit the pace follows the run: no debt to catch up later
      if (this.#limitedSpans.limited && this.#trailsMs() > 0) this.#repace();
    };
    check();
    this.#listening = setInterval(check, 100);
    this.#listening.unref();
    const constraints = o.constraints;
    if (constraints !== undefined) {
      // [SLIM-1] the shards' gates follow the run's constraints from the next round
      const mirror = (): void => {
        const limits = stepLimitsOf(constraints.list());
        writeStepLimits(this.#ctl, this.#flt, limits);
        if (sameStepLimits(limits, this.#stepLimits)) return;
        // [SLIM-3] a limit set or cleared: pace on from where the run stands
        this.#stepLimits = limits;
        this.#limitedSpans.setLimited(isLimited(limits));
        if (Atomics.load(this.#ctl, CTL.GO) !== 0) this.#repace();
      };
      mirror();
      this.#offLimits = constraints.events.on(mirror);
    }
    // the shared epoch of the pacing: set up is not run time [CLK-4]
    this.#flt[FLT.ANCHOR_WALL] = wallNow();
    this.#flt[FLT.ANCHOR_SIM] = 0;
    this.#flt[FLT.UNTIL] = this.clockKind === 'real' ? Infinity : 0;
    Atomics.store(this.#ctl, CTL.GO, 1);
    Atomics.notify(this.#ctl, CTL.GO);
  }

  /** Follow one worker: its messages, and its death [SHD-6]. Resolves when it is ready. */
  #watch(worker: Worker, shard: number): Promise<void> {
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      onReady = resolve;
    });
    let ended = false;
    worker.on('message', (m: ShardMessage) => {
      switch (m.type) {
        case 'ready':
          onReady();
          break;
        case 'reached':
          this.#onReached(m.until);
          break;
        case 'snapshot':
          this.#onSnapshot(m.seq, m.t);
          break;
        case 'stopped':
          ended = true;
          break;
      }
    });
    worker.on('error', (error) => {
      this.#onFailure(new ShardFailedError(shard, errorText(error), { cause: error }));
    });
    this.#exited.push(
      new Promise<void>((resolve) => {
        worker.on('exit', (code) => {
          if (!ended && this.#stopping === null) {
            this.#onFailure(new ShardFailedError(shard, `its worker exited with code ${code}`));
          }
          resolve();
        });
      }),
    );
    return ready;
  }

  #onFailure(error: ShardFailedError): void {
    if (this.#failed !== null) return;
    this.#failed = error;
    this.#raiseStop();
    this.#fail(error);
  }

  #onReached(until: number): void {
    const keep: UntilWaiter[] = [];
    for (const r of this.#reached) {
      if (r.until <= until) r.resolve();
      else keep.push(r);
    }
    this.#reached = keep;
  }

  #onSnapshot(seq: number, t: number): void {
    const slot = (seq - 1) & 1;
    const r = this.#snapMonitors[slot].orderParameter(t);
    let flashes = 0;
    const base = COUNTERS_PER_SHARD * this.workers + slot * this.workers;
    for (let i = 0; i < this.workers; i++) flashes += this.#counters[base + i];
    Atomics.store(this.#ctl, CTL.SNAP_ACK, seq);
    Atomics.notify(this.#ctl, CTL.SNAP_ACK);
    if (this.#onSample !== null && (this.#sampleUntil === undefined || t <= this.#sampleUntil)) {
      this.#onSample(t, r, flashes);
    }
  }

  /** Simulated ms: the last tick every shard has run. */
  now(): number {
    return this.#flt[FLT.TICK];
  }

  get speed(): number {
    return this.#flt[FLT.SPEED];
  }

  get paused(): boolean {
    return Atomics.load(this.#ctl, CTL.PAUSED) !== 0;
  }

  /** The global concurrency limit, split between the shards [SHD-8]; undefined for none. */
  get limit(): number | undefined {
    return this.#limit;
  }

  /** Not while sharded: the split would have to move between workers mid-tick. */
  setLimit(n: number): void {
    throw new InvalidArgumentError(
      'limit',
      n,
      'cannot change while the grid runs on several workers (restart with the new --limit)',
    );
  }

  get pausedWallMs(): number {
    return this.#pausedWall + (this.paused ? performance.now() - this.#pausedAt : 0);
  }

  /** Real clock: 0 while a step limit holds the run, whose lag is not the machine's [SLIM-3]. */
  behindMs(): number {
    return this.#limitedSpans.limited ? 0 : this.#trailsMs();
  }

  get limitedWallMs(): number {
    return this.#limitedSpans.wallMs;
  }

  get limitedSimMs(): number {
    return this.#limitedSpans.simMs;
  }

  /** Simulated ms the lock-step trails its pacing target (0 on the virtual clock, or paused). */
  #trailsMs(): number {
    if (this.clockKind !== 'real' || this.paused) return 0;
    const behind = this.#target() - this.#standsAt();
    return behind > 0 ? behind : 0;
  }

  /** The simulated time the wall allows now (the pacing target). */
  #target(): number {
    const flt = this.#flt;
    return flt[FLT.ANCHOR_SIM] + (wallNow() - flt[FLT.ANCHOR_WALL]) * flt[FLT.SPEED];
  }

  /** Where the lock-step stands: the tick it runs or waits to run next (simulated ms). */
  #standsAt(): number {
    const flt = this.#flt;
    const next = Math.min(flt[FLT.NEXT_TICK] || 0, flt[FLT.UNTIL]);
    return Math.max(this.now(), Number.isFinite(next) ? next : 0);
  }

  pause(): void {
    if (this.paused) return;
    this.#pausedAt = performance.now();
    this.#reanchor();
    this.#limitedSpans.setPaused(true);
    Atomics.store(this.#ctl, CTL.PAUSED, 1);
    this.#bump(CTL.PACE_SEQ);
  }

  resume(): void {
    if (!this.paused) return;
    this.#pausedWall += performance.now() - this.#pausedAt;
    this.#reanchor();
    this.#limitedSpans.setPaused(false);
    Atomics.store(this.#ctl, CTL.PAUSED, 0);
    this.#bump(CTL.PACE_SEQ);
  }

  setSpeed(speed: number): void {
    if (this.clockKind !== 'real') {
      throw new InvalidArgumentError('speed', speed, 'applies to the real clock only');
    }
    checkSpeed('real', speed);
    this.#reanchor();
    this.#flt[FLT.SPEED] = speed;
    this.#bump(CTL.PACE_SEQ);
  }

  /** Pace on from where the run stands [RCK-3]. */
  #reanchor(): void {
    this.#flt[FLT.ANCHOR_SIM] = this.now();
    this.#flt[FLT.ANCHOR_WALL] = wallNow();
  }

  /**
   * Real clock: forgive the lock-step's debt (pace on from where it stands when it trails the
   * target; a run that keeps up keeps its pace), and wake the shards' pacing [SLIM-3].
   */
  #repace(): void {
    if (this.clockKind !== 'real' || this.paused) return;
    const wall = wallNow();
    this.#flt[FLT.ANCHOR_SIM] = Math.min(this.#target(), this.#standsAt());
    this.#flt[FLT.ANCHOR_WALL] = wall;
    this.#bump(CTL.PACE_SEQ);
  }

  #bump(index: number): void {
    Atomics.add(this.#ctl, index, 1);
    Atomics.notify(this.#ctl, index);
  }

  runUntil(t: number): Promise<void> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    if (this.#stopping !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#reached.push({ until: t, resolve });
      this.#flt[FLT.UNTIL] = t;
      this.#bump(CTL.UNTIL_SEQ);
    });
  }

  sampleOrder(everyMs: number, untilMs: number | undefined, onSample: OrderSampleHandler): void {
    if (everyMs !== this.#sampleEveryMs) {
      throw new InvalidArgumentError(
        'sampleEveryMs',
        everyMs,
        `must be the shards' sample interval (${this.#sampleEveryMs} ms, an option of the experiment)`,
      );
    }
    this.#onSample = onSample;
    this.#sampleUntil = untilMs;
  }

  orderParameterNow(): number {
    return this.monitor.orderParameter(this.now());
  }

  /** Flashes carried across a shard border so far (each counted once per receiving shard). */
  get borderFlashes(): number {
    let s = 0;
    for (let i = 0; i < this.workers; i++) s += this.#counters[i * COUNTERS_PER_SHARD + 4];
    return s;
  }

  /**
   * The share of the shards' round time spent waiting in the barrier (what lock-step costs:
   * synchronisation plus imbalance between the bands), 0 before the first round.
   */
  get barrierShare(): number {
    let wait = 0;
    let total = 0;
    for (let i = 0; i < this.workers; i++) {
      wait += this.#counters[i * COUNTERS_PER_SHARD + 5];
      total += this.#counters[i * COUNTERS_PER_SHARD + 6];
    }
    return total > 0 ? wait / total : 0;
  }

  /**
   * Where the barrier time went in the rounds traced so far at or after simulated `fromMs`
   * (with `traceRounds`; null without).
   */
  roundBreakdown(fromMs = 0): RoundBreakdown | null {
    if (this.#traces.length === 0) return null;
    return roundBreakdown(
      this.#traces.map((b) => new Float64Array(b)),
      fromMs,
    );
  }

  stats(): FireflyStats {
    const c = this.#counters;
    const sum = (k: number): number => {
      let s = 0;
      for (let i = 0; i < this.workers; i++) s += c[i * COUNTERS_PER_SHARD + k];
      return s;
    };
    return {
      agents: this.agents,
      simTimeMs: this.now(),
      flashes: sum(0),
      discardedPulses: sum(1),
      droppedPulses: sum(2),
      failedAgents: sum(3),
    };
  }

  /** Stop every shard [SHD-6]: resolves when all workers have ended (or were terminated). */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  #raiseStop(): void {
    Atomics.store(this.#ctl, CTL.STOP, 1);
    for (const index of [CTL.GEN, CTL.GO, CTL.PACE_SEQ, CTL.UNTIL_SEQ, CTL.SNAP_ACK]) {
      Atomics.notify(this.#ctl, index);
    }
  }

  async #stop(): Promise<void> {
    clearInterval(this.#listening);
    this.#offLimits?.();
    this.#offLimits = null;
    this.#raiseStop();
    for (const r of this.#reached.splice(0)) r.resolve();
    const all = Promise.all(this.#exited);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), 900);
    });
    if ((await Promise.race([all, late])) === 'late') {
      await Promise.all(this.#threads.map((w) => w.terminate()));
    }
    clearTimeout(timer);
    for (const bridge of this.#bridges) bridge.close();
    if (this.#ownsBus) await this.bus.disconnect();
  }
}

/**
 * Start a shard's worker: the built `.js` next to this file, or, when running from the
 * TypeScript sources (tests), the `.ts` through tsx's loader registered in the worker.
 */
function spawnShard(data: ShardWorkerData, transfer: readonly MessagePortLike[]): Worker {
  const here = import.meta.url;
  const options = { workerData: data, transferList: transfer as never[] };
  if (here.endsWith('.js')) {
    return new Worker(new URL('./firefly-shard-worker.js', here), options);
  }
  const entry = new URL('./firefly-shard-worker.ts', here).href;
  const boot =
    `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })` +
    '.catch((e) => { setImmediate(() => { throw e; }); });';
  return new Worker(boot, { ...options, eval: true });
}

type MessagePortLike = object;
