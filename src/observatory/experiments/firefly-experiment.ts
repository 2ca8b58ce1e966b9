/**
 * The firefly synchronisation experiment on the runtime path: W x H agents on a torus, each a
 * Cascade task in VM mode (see agents/firefly-agent.ts) on one shared Engine, linked to its 8
 * neighbours by DirectChannels, flashes published to `firefly/flash` on a LocalBus, time and
 * randomness from one Scheduler. The grid view, the monitor and the metrics read the
 * telemetry arrays directly.
 *
 * Invariants:
 * - [FLY-4] With the virtual clock and a seed, two runs produce the same flash log.
 * - [FLY-6] `--limit N`: one ResourceManager `{ cpu_slot: N }` is shared by every agent, each
 *   agent's step constrained to `cpu_slot: 1`, so at most N agents are inside a step at once.
 * - [FLY-7] `stop()` ends every agent run (no pending run, timer or listener is left behind).
 * - [FLY-8] `start()` yields to the event loop every few thousand agents.
 * - [FLY-9] Diagnostics never change a result: the pulse-sampling probe draws from a random
 *   stream of its own, so any `sampleRate` gives the flash log of `sampleRate: 0`.
 * - [FLY-10] The real clock paces the run and never reshapes it (RealClock [RCK-1]): with a
 *   seed and no input from outside, a real-clock run gives the virtual-clock flash log.
 * - [FLY-11] `halt()` ends no agent: no timer fires and nothing flashes after it, and the
 *   agents stay parked, for a thread whose heap ends with them.
 */
import {
  Engine,
  ResourceManager,
  type ConstraintSet,
  Scheduler,
  SeededRng,
  counterUniform,
} from '../../runtime/index.js';
import type { ClockKind } from '../../runtime/index.js';
import { DirectChannel, LocalBroker, LocalBus } from '../../messaging/index.js';
import type { Connector } from '../../messaging/index.js';
import { InvalidArgumentError } from '../../errors.js';
import { waitUntil } from '../../spec/index.js';
import { TorusTopology } from '../model/topology.js';
import { ConvergenceMonitor } from '../monitors/convergence-monitor.js';
import { FIREFLY_TASK, fireflyAgent } from '../agents/firefly-agent.js';
import type { FireflyWorld } from '../agents/firefly-agent.js';
import { resolveModelParams } from '../model/firefly-params.js';
import type { FireflyModelParams } from '../model/firefly-params.js';
import { FireflyTelemetry } from '../model/firefly-telemetry.js';
import { PulseExchange } from '../model/pulse-exchange.js';
import type { FireflyRunTarget, FireflyStats, OrderSampleHandler } from './firefly-run-target.js';

/** Agents started between two yields to the event loop in `start()`. */
const START_BATCH = 16_384;

/** The agent group of every firefly: the control plane's scope `group:fireflies`. */
export const FIREFLY_GROUP = 'fireflies';

/** The scopes whose constraints apply to every firefly's step (and whose pause pauses a run). */
export const FIREFLY_STEP_SCOPES: ReadonlySet<string> = new Set([
  'global',
  `group:${FIREFLY_GROUP}`,
  `task:${FIREFLY_TASK}`,
]);

/** The random stream the pulse-sampling probe draws from (never the model's) [FLY-9]. */
const PROBE_STREAM = 1;

export interface FireflyExperimentOptions extends Partial<FireflyModelParams> {
  width: number;
  height: number;
  /** RNG seed (default 1). */
  seed?: number;
  /** `'real'` (default) or `'virtual'`. */
  clock?: ClockKind;
  /** Real clock: simulated seconds per wall second (default 1). */
  speed?: number;
  /** Global concurrency limit: agents inside a step at once (default: none). */
  limit?: number;
  /** Where flashes are published (default: a LocalBus on a new broker of its own). */
  bus?: Connector;
  /**
   * The engine the agents run on (default: a new one). With `limit`, the experiment makes its
   * own (the limit is a resource manager of the engine's): give one or the other.
   */
  engine?: Engine;
  /**
   * The control plane's constraints (pause, concurrency, rate per scope) that every agent's
   * step enters (default: none). The experiment's own engine enforces them, so give this or
   * an `engine`. A run on worker threads (ShardedFireflies) splits the limits of the firefly
   * scopes between its shards instead ([SLIM-1]).
   */
  constraints?: ConstraintSet;
  /** The torus (default: a new `TorusTopology(width, height)`); must match the grid's size. */
  topology?: TorusTopology;
  /** Publish each flash on the bus (default true). */
  publishFlashes?: boolean;
  /** Fraction of pulses also published to `debug/sample/<agent>` (default 0). */
  sampleRate?: number;
  /** Inbox capacity per agent (default 16; overflow drops the newest pulse, counted). */
  inboxCapacity?: number;
  /** Called on every flash (agent id, time). */
  onFlash?: (id: number, t: number) => void;
  /**
   * Run only the agents `[from, to)` of the grid (a shard; see firefly-shards.ts): their
   * inboxes, runs and telemetry entries. Default: all.
   */
  shard?: { from: number; to: number };
  /** Telemetry to write into (a shard's view of shared arrays); default a new one. */
  telemetry?: FireflyTelemetry;
  /** Publish each flash only while this returns true (default: always). */
  flashGate?: () => boolean;
}

export type { FireflyStats } from './firefly-run-target.js';

/** Above this many agents the real-clock run computes R in chunks (about 4 ms per 65k agents). */
const CHUNKED_MONITOR_AGENTS = 100_000;

/**
 * @example
 * ```ts
 * const exp = new FireflyExperiment({ width: 50, height: 50, clock: 'virtual', seed: 1 });
 * exp.start();
 * await exp.runUntil(400_000);
 * console.log(exp.monitor.orderParameter(exp.now())); // R, about 1 once synchronised
 * await exp.stop();
 * ```
 */
export class FireflyExperiment implements FireflyRunTarget {
  readonly width: number;
  readonly height: number;
  readonly agents: number;
  readonly params: FireflyModelParams;
  readonly scheduler: Scheduler;
  readonly topology: TorusTopology;
  readonly telemetry: FireflyTelemetry;
  readonly monitor: ConvergenceMonitor;
  readonly bus: Connector;
  readonly engine: Engine;
  readonly resourceManager: ResourceManager | undefined;
  #limit: number | undefined;
  /** Delivers each flash to the neighbours at the next tick [PUL-1]. */
  readonly exchange: PulseExchange;
  /** The agents this experiment runs: `[from, to)`. */
  readonly from: number;
  readonly to: number;

  readonly #world: FireflyWorld;
  readonly #inboxes: DirectChannel<number>[];
  /**
   * Create agent i's inbox. start() calls it just before starting agent i, so that an agent's
   * inbox, fiber and run are allocated together, near each other in memory: a pulse touches the
   * inbox and then wakes the fiber. Measured about 12% faster at 1M agents than creating all
   * inboxes first (medians of 6 alternating runs); fewer TLB and DRAM-page misses is the likely
   * reason.
   */
  readonly #openInbox: (i: number) => void;
  /** Agent runs started and not yet ended. */
  #live = 0;
  /** Resolves `#stop`'s wait once `#live` is back to 0. */
  #onAllEnded: (() => void) | null = null;
  #failed = 0;
  #started = false;
  #stopping: Promise<void> | null = null;
  readonly #ownsBus: boolean;

  constructor(options: FireflyExperimentOptions) {
    this.params = resolveModelParams(options);
    if (
      options.topology !== undefined &&
      (options.topology.width !== options.width || options.topology.height !== options.height)
    ) {
      throw new InvalidArgumentError(
        'topology',
        `${options.topology.width}x${options.topology.height}`,
        `must match the grid (${options.width}x${options.height})`,
      );
    }
    if (options.engine !== undefined && options.constraints !== undefined) {
      throw new InvalidArgumentError(
        'engine',
        'with constraints',
        'give either an engine or constraints (the experiment makes the engine that enforces them)',
      );
    }
    if (options.engine !== undefined && options.limit !== undefined) {
      throw new InvalidArgumentError(
        'engine',
        'with limit',
        'give either an engine or a limit (the experiment makes the engine that enforces it)',
      );
    }
    this.topology = options.topology ?? new TorusTopology(options.width, options.height);
    this.width = options.width;
    this.height = options.height;
    this.agents = this.topology.size;
    const limit = options.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new InvalidArgumentError('limit', limit, 'must be an integer >= 1');
    }
    const sampleRate = options.sampleRate ?? 0;
    if (!(sampleRate >= 0 && sampleRate <= 1)) {
      throw new InvalidArgumentError('sampleRate', sampleRate, 'must be between 0 and 1');
    }
    const capacity = options.inboxCapacity ?? 16;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvalidArgumentError('inboxCapacity', capacity, 'must be an integer >= 1');
    }
    const from = options.shard?.from ?? 0;
    const to = options.shard?.to ?? this.agents;
    if (
      !Number.isInteger(from) ||
      !Number.isInteger(to) ||
      from < 0 ||
      to > this.agents ||
      from >= to
    ) {
      throw new InvalidArgumentError(
        'shard',
        options.shard,
        `must be a range within [0, ${this.agents})`,
      );
    }
    this.from = from;
    this.to = to;
    this.scheduler = new Scheduler({
      clock: options.clock ?? 'real',
      seed: options.seed ?? 1,
      ...(options.speed !== undefined && { speed: options.speed }),
      beforeTick: () => {
        this.#takeSample(); // R at the end of the tick before [SES-1]
        this.exchange.deliver(); // [PUL-1] pulses of the tick before, first
      },
    });
    this.telemetry = options.telemetry ?? new FireflyTelemetry(this.agents, this.params.periodMs);
    this.monitor = new ConvergenceMonitor(this.telemetry);
    this.#ownsBus = options.bus === undefined;
    this.bus = options.bus ?? new LocalBus({ broker: new LocalBroker(), name: 'fireflies' });
    this.#limit = limit;
    this.resourceManager =
      limit === undefined ? undefined : new ResourceManager({ cpu_slot: limit });
    this.engine =
      options.engine ??
      new Engine({
        ...(this.resourceManager !== undefined && { resourceManager: this.resourceManager }),
        ...(options.constraints !== undefined && { constraints: options.constraints }),
      });
    // on the virtual clock, a step the control plane's gate keeps waiting (a rate token comes
    // on wall time) holds simulated time: a limit slows the run and leaves it the same [SCH-7]
    if (this.scheduler.kind === 'virtual') this.engine.constraints?.gate.holdTime(this.scheduler);

    const clock = this.scheduler.clock;
    const seed = this.scheduler.seed;
    // [FLY-9] sampling draws from its own stream
    const probe =
      sampleRate > 0
        ? {
            connector: this.bus,
            sampleRate,
            rng: SeededRng.stream(this.scheduler.seed, PROBE_STREAM),
          }
        : undefined;
    // filled by start(), each inbox next to its agent's run (see #openInbox)
    this.#inboxes = new Array<DirectChannel<number>>(this.agents);
    this.#openInbox = (i) => {
      const inbox = new DirectChannel<number>({
        owner: `firefly/${i}`,
        capacity,
        overflow: 'drop-newest',
        clock,
        ...(probe !== undefined && { probe }),
      });
      // every agent starts as if just out of a flash: what arrives before its first step after
      // the refractory time is discarded [FLY-1]
      inbox.mute();
      this.#inboxes[i] = inbox;
    };
    this.exchange = new PulseExchange({
      neighbours: this.topology.neighbours,
      inboxes: this.#inboxes,
      telemetry: this.telemetry,
      tickMs: clock.queue.tickMs,
      from,
      to,
    });
    this.exchange.attach(this.scheduler, clock);
    this.#world = {
      clock,
      seed,
      draws: new Uint32Array(this.agents),
      params: this.params,
      telemetry: this.telemetry,
      neighbours: this.topology.neighbours,
      inboxes: this.#inboxes,
      pulses: this.exchange,
      cycleStart: new Float64Array(this.agents),
      wait: waitUntil(clock, 0),
      bus: options.publishFlashes === false ? undefined : this.bus,
      flashGate: options.flashGate,
      stopped: false,
      onFlash: options.onFlash,
    };
    // Start phases U[0, T): draw 0 of each agent's own stream [FLY-4, FLY-5].
    for (let i = from; i < to; i++) {
      const phase = counterUniform(seed, i, 0) * this.params.periodMs;
      this.telemetry.lastFlash[i] = -phase;
      this.#world.cycleStart[i] = -phase;
    }
  }

  /** The grid's row-major brightness source for the view: last flash time per cell. */
  get lastFlash(): Float64Array {
    return this.telemetry.lastFlash;
  }

  get periodMs(): number {
    return this.params.periodMs;
  }

  /** The experiment clock's time (simulated ms). */
  now(): number {
    return this.scheduler.clock.now();
  }

  /** The seed of every random stream of the run. */
  get seed(): number {
    return this.scheduler.seed;
  }

  /** In this thread nothing fails from outside the agents: never settles. */
  readonly failure: Promise<never> = new Promise<never>(() => undefined);

  /**
   * Sample R every `everyMs` of simulated time through `untilMs`, on the experiment's clock (a
   * timer) [SES-1]. Large grids on the real clock compute it in chunks between event-loop
   * turns, from a copy of the telemetry, so it is still exactly R at the sample's time.
   */
  sampleOrder(everyMs: number, untilMs: number | undefined, onSample: OrderSampleHandler): void {
    if (!(everyMs > 0)) throw new InvalidArgumentError('sampleEveryMs', everyMs, 'must be > 0');
    const clock = this.scheduler.clock;
    const chunked = this.clockKind === 'real' && this.agents > CHUNKED_MONITOR_AGENTS;
    // the timer marks the tick; R is taken once the whole tick has run (at the start of the
    // next visited tick, or at the end of runUntil), as every shard of a sharded run does
    const mark = (): void => {
      if (this.#world.stopped) return;
      this.#pendingSample = clock.now();
      this.scheduler.visit(this.#pendingSample + clock.queue.tickMs);
    };
    this.#sample = (t) => {
      const flashes = this.telemetry.flashes;
      const done = (r: number): void => {
        onSample(t, r, flashes);
        if (!this.#world.stopped && (untilMs === undefined || t < untilMs)) {
          clock.setTimer(t + everyMs, mark);
        }
      };
      if (!chunked) done(this.monitor.orderParameter(t));
      else void this.monitor.orderParameterAsync(t).then(done);
    };
    clock.setTimer(everyMs, mark);
  }

  /** R sampling: the tick marked for a sample (NaN: none), and what takes it. */
  #pendingSample = Number.NaN;
  #sample: ((t: number) => void) | null = null;

  #takeSample(): void {
    const t = this.#pendingSample;
    if (t !== t || this.#sample === null) return;
    this.#pendingSample = Number.NaN;
    this.#sample(t);
  }

  /** R now. */
  orderParameterNow(): number {
    return this.monitor.orderParameter(this.now());
  }

  /** `'real'` (paced to the wall) or `'virtual'`. */
  get clockKind(): ClockKind {
    return this.scheduler.kind;
  }

  /** Simulated ms per wall ms asked for (1 on the virtual clock). */
  get speed(): number {
    return this.scheduler.speed;
  }

  /** Whether simulated time is paused. */
  get paused(): boolean {
    return this.scheduler.paused;
  }

  /** Wall ms spent paused so far. */
  get pausedWallMs(): number {
    return this.scheduler.pausedWallMs;
  }

  /** Stop simulated time (agents stay parked; the view keeps drawing). */
  pause(): void {
    this.scheduler.pause();
  }

  /** Go on after {@link pause}. */
  resume(): void {
    this.scheduler.resume();
  }

  /** The global concurrency limit (`limit`), or undefined for none. */
  get limit(): number | undefined {
    return this.#limit;
  }

  /**
   * Change the global concurrency limit while running: agents waiting for a slot get one as
   * soon as fewer than `n` are inside a step. Throws on a run started without a limit (it has
   * no resource manager to change, by design: an unlimited run pays nothing for limits).
   */
  setLimit(n: number): void {
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError('limit', n, 'must be an integer >= 1');
    }
    if (this.resourceManager === undefined) {
      throw new InvalidArgumentError('limit', n, 'the run started without a limit (--limit)');
    }
    this.resourceManager.updateResource('cpu_slot', n);
    this.#limit = n;
  }

  /** Real clock: change the speed while running (throws on the virtual clock). */
  setSpeed(speed: number): void {
    this.scheduler.setSpeed(speed);
  }

  /** Simulated ms by which a real-clock run trails its pacing target (0: it keeps up). */
  behindMs(): number {
    return this.scheduler.behindMs();
  }

  /** Start every agent (and, with the real clock, the scheduler). */
  async start(): Promise<void> {
    if (this.#started)
      throw new InvalidArgumentError('start', 'twice', 'the experiment is already started');
    this.#started = true;
    if (this.#ownsBus) await this.bus.connect();
    const step = this.resourceManager === undefined ? null : { cpu_slot: 1 };
    const firefly = fireflyAgent(this.#world);
    for (let i = this.from; i < this.to; i++) {
      // [FLY-8] a million agents take seconds to start: yield now and then so Ctrl+C and
      // the terminal stay responsive (the clock does not run yet, see [CLK-4])
      if (i > this.from && (i - this.from) % START_BATCH === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.#world.stopped) {
          // stopped while starting: the world still gets every inbox (pulses reach any)
          for (let j = i; j < this.to; j++) this.#openInbox(j);
          break;
        }
      }
      this.#openInbox(i);
      let agent = firefly(i);
      if (step !== null) agent = agent.withConstraints(step);
      // spawn, not run: no promise per agent (a million of them would be 320 MB)
      this.#live++;
      this.engine.spawn(agent, {
        onValue: this.#onAgentEnd,
        onError: this.#onAgentError,
        group: FIREFLY_GROUP, // constraints on scope group:fireflies apply to every agent
      });
    }
    if (this.scheduler.kind === 'real' && !this.#world.stopped) this.scheduler.start();
  }

  /** One handler for every agent run, not a closure per agent. */
  readonly #onAgentEnd = (): void => {
    if (--this.#live === 0) this.#onAllEnded?.();
  };

  readonly #onAgentError = (error: unknown): void => {
    if (!this.#world.stopped) {
      this.#failed++;
      this.lastAgentError = error;
    }
    this.#onAgentEnd();
  };

  /** The last error an agent run ended with, if any (for diagnostics). */
  lastAgentError: unknown = undefined;

  /** Advance to simulated time `t` (virtual clock), or wait until the clock reads `t` (real). */
  async runUntil(t: number): Promise<void> {
    await this.scheduler.runUntil(t);
    this.#takeSample(); // a sample marked in the last tick run
  }

  /** Stop every agent and the scheduler; resolves when all agent runs have ended [FLY-7]. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /**
   * Stop firing timers and leave every agent where it stands, not woken and not ended [FLY-11]: for a
   * thread about to end, whose heap goes with its agents (a worker shard at a stop). Waking a
   * million agents one by one so that each ends its run costs most of a second and tells a
   * dying thread nothing. After `halt`, {@link stop} does nothing more.
   */
  halt(): Promise<void> {
    this.#stopping ??= this.#stop(false);
    return this.#stopping;
  }

  /** Stop time; with `endAgents`, wake every agent so that it ends its run [FLY-7]. */
  async #stop(endAgents = true): Promise<void> {
    this.#world.stopped = true;
    await this.scheduler.stop();
    if (endAgents) {
      // Wake every sleeper and waiter: each sees `stopped` and ends its run.
      this.scheduler.fireAllNow();
      if (this.#live > 0) {
        await new Promise<void>((resolve) => {
          this.#onAllEnded = resolve;
        });
      }
      for (const inbox of this.#inboxes) inbox?.close(); // none before start()
    }
    if (this.#ownsBus) await this.bus.disconnect();
  }

  stats(): FireflyStats {
    return {
      agents: this.agents,
      simTimeMs: this.now(),
      flashes: this.telemetry.flashes,
      discardedPulses: this.telemetry.discardedPulses,
      droppedPulses: this.telemetry.droppedPulses,
      failedAgents: this.#failed,
    };
  }
}
