/**
 * The coordinator of a firefly run spread over processes (`cascade fireflies --shards N
 * --broker URL`): it offers the run (retained config), waits for its N shards
 * (`cascade fireflies --shard I/N --broker URL`, mqtt-shard.ts) to say ready, lets them go, and
 * is the run's target for everything the view, the monitor, the metrics and the summary read
 * ({@link FireflyRunTarget}), as ShardedFireflies is for worker threads. It runs no agent.
 *
 * What it reads: every shard's `done` of each round (the tick all have run, counters) and
 * every shard's telemetry (its first phases, then its flashes batched over rounds), which it
 * replays into a FireflyTelemetry of the whole grid. R is sampled at a sample tick once every
 * shard's flashes through that tick are in and none after it is applied [SHP-4], so the R
 * series is the one-process series.
 *
 * Invariants:
 * - [SHP-4] Flashes are applied in tick order up to the tick every shard has covered; R at a
 *   sample tick s sees exactly the flashes at ticks <= s.
 * - [SHP-2] A shard that goes away after it said ready (its last will: the process died or
 *   lost the broker) or reports a failure ends the run: `failure` rejects with a
 *   ShardFailedError naming it; the other shards are told to stop.
 * - The config carries a fresh session; a message of another session is ignored [SHP-1].
 * - Keeps [SLIM-3] as worker threads do: on the real clock a change of the step limits re-anchors
 *   the pace where the run stands (a `pace` message after the `limits` one), and while a
 *   limit is in force the pace follows the run (re-anchored within 250 ms whenever the shards
 *   trail it) and `behindMs()` reads 0.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CascadeError, InvalidArgumentError, ShardFailedError } from '../../errors.js';
import type { ClockKind } from '../../runtime/index.js';
import { MqttConnectError, MqttConnector } from '../../messaging/index.js';
import { ConvergenceMonitor } from '../monitors/convergence-monitor.js';
import type { FireflyModelParams } from '../model/firefly-params.js';
import { FireflyTelemetry } from '../model/firefly-telemetry.js';
import { LimitedSpans } from '../metrics/pace-meter.js';
import type { FireflyExperimentOptions } from './firefly-experiment.js';
import type { FireflyRunTarget, FireflyStats, OrderSampleHandler } from './firefly-run-target.js';
import { checkSpeed, planBands, resolveShardedRun, stepLimitsOf } from './shard-plan.js';
import { isLimited, sameStepLimits, type StepLimits } from './shard-plan.js';
import {
  decodeDone,
  decodeTelemetry,
  shardPrefix,
  type ShardControl,
  type ShardDone,
  type ShardPace,
  type ShardRunConfig,
  type ShardStatus,
} from './shard-wire.js';
import { wallNow } from './shard-plan.js';

/** Options of {@link MqttShardCoordinator}. */
export interface MqttShardCoordinatorOptions extends FireflyExperimentOptions {
  /** The broker every shard reaches, `mqtt://HOST:PORT`. */
  url: string;
  /** Shard processes (>= 1, at most the grid's height). */
  shards: number;
  /** The run's name on the broker (default `fireflies`): shards must be started with it. */
  run?: string;
  /** MQTT protocol version (default 5; 4 for Aedes). */
  protocolVersion?: 4 | 5;
  /** Simulated ms between R samples (default 1000). */
  sampleEveryMs?: number;
  /** Rounds of flashes a shard batches into one telemetry message at most (default 16). */
  telemetryEveryRounds?: number;
  /** Called as shards say ready, before the run starts. */
  onWaiting?: (ready: number, shards: number) => void;
}

interface UntilWaiter {
  until: number;
  resolve: () => void;
}

/** Wall ms a shard's will waits for the broker's own end to be seen first. */
const WILL_GRACE_MS = 200;

/** Wall ms between checks, under a step limit, that the pace has not run ahead [SLIM-3]. */
const LIMITED_REPACE_MS = 250;

/** The until of a real-clock run: every tick (JSON has no Infinity). */
const FOREVER = Number.MAX_SAFE_INTEGER;

/**
 * @example
 * ```ts
 * const run = new MqttShardCoordinator({ url, shards: 2, width: 20, height: 20, clock: 'virtual' });
 * await run.start(); // once both shard processes said ready
 * await run.runUntil(10_000);
 * await run.stop();
 * ```
 */
export class MqttShardCoordinator implements FireflyRunTarget {
  readonly width: number;
  readonly height: number;
  readonly agents: number;
  readonly params: FireflyModelParams;
  readonly periodMs: number;
  readonly seed: number;
  readonly clockKind: ClockKind;
  readonly shards: number;
  readonly telemetry: FireflyTelemetry;
  readonly monitor: ConvergenceMonitor;
  readonly lastFlash: Float64Array;
  readonly failure: Promise<never>;
  readonly limit: number | undefined;

  readonly #o: MqttShardCoordinatorOptions;
  readonly #prefix: string;
  readonly #session = randomInt(1, 2 ** 31);
  readonly #sampleEveryMs: number;
  readonly #mqtt: MqttConnector;
  /** Per shard: its nonce once ready, whether its first phases came, its last counters. */
  readonly #nonce: Array<string | null>;
  readonly #init: boolean[];
  readonly #counters: Array<ShardDone | null>;
  /** Per shard: flashes received and not yet applied, and the tick it has covered through. */
  readonly #pending: Array<Array<{ t: number; ids: Float64Array }>>;
  readonly #covered: number[];
  readonly #rounds = new Map<number, { count: number; t: number; next: number }>();
  /** Shards that ended (stopped, failed, or went away). */
  readonly #ended = new Set<number>();
  #tick = 0;
  #nextTick = Number.NaN;
  #fail: (e: CascadeError) => void = () => undefined;
  #failed: CascadeError | null = null;
  #onReady: () => void = () => undefined;
  #onStopped: () => void = () => undefined;
  #reached: UntilWaiter[] = [];
  #onSample: OrderSampleHandler | null = null;
  #sampleUntil: number | undefined;
  #nextSample: number;
  #pace: ShardPace = { anchorWall: 0, anchorSim: 0, speed: 1, paused: false };
  #pausedAt = 0;
  #pausedWall = 0;
  #started = false;
  #going = false;
  #stopping: Promise<void> | null = null;
  #offLimits: (() => void) | null = null;
  /** The step limits the shards hold to now, and the time spent under them [SLIM-3]. */
  #stepLimits: StepLimits = {};
  readonly #limitedSpans = new LimitedSpans(() => this.now());
  #repacing: NodeJS.Timeout | undefined;

  constructor(options: MqttShardCoordinatorOptions) {
    this.#o = options;
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
    this.#pace.speed = speed;
    this.shards = planBands(this.width, this.height, options.shards).length;
    const limit = options.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < this.shards)) {
      throw new InvalidArgumentError(
        'limit',
        limit,
        `must be an integer >= the number of shards (${this.shards}): it is split between them`,
      );
    }
    this.limit = limit;
    this.#sampleEveryMs = options.sampleEveryMs ?? 1000;
    if (!(this.#sampleEveryMs > 0) || !Number.isInteger(this.#sampleEveryMs)) {
      throw new InvalidArgumentError(
        'sampleEveryMs',
        this.#sampleEveryMs,
        'must be an integer > 0',
      );
    }
    this.#nextSample = this.#sampleEveryMs;
    const every = options.telemetryEveryRounds ?? 16;
    if (!Number.isInteger(every) || every < 1) {
      throw new InvalidArgumentError('telemetryEveryRounds', every, 'must be an integer >= 1');
    }
    this.telemetry = new FireflyTelemetry(this.agents, this.periodMs);
    this.lastFlash = this.telemetry.lastFlash;
    this.monitor = new ConvergenceMonitor(this.telemetry);
    const n = this.shards;
    this.#nonce = new Array<string | null>(n).fill(null);
    this.#init = new Array<boolean>(n).fill(false);
    this.#counters = new Array<ShardDone | null>(n).fill(null);
    this.#pending = Array.from({ length: n }, () => []);
    this.#covered = new Array<number>(n).fill(-Infinity);
    this.#prefix = shardPrefix(options.run ?? 'fireflies');
    this.#mqtt = new MqttConnector({
      url: options.url,
      name: 'shard-coordinator',
      ...(options.protocolVersion !== undefined && { protocolVersion: options.protocolVersion }),
      keepaliveSeconds: 2,
      // [SHP-5] gone: the broker clears the run, which every shard takes as the end
      will: { topic: `${this.#prefix}/config`, payload: new Uint8Array(0), qos: 1, retain: true },
    });
    this.failure = new Promise<never>((_, reject) => {
      this.#fail = reject;
    });
    this.failure.catch(() => undefined); // observed through the run
  }

  /** Offer the run and wait for every shard; resolves once they are let go. */
  async start(): Promise<void> {
    if (this.#started)
      throw new InvalidArgumentError('start', 'twice', 'the experiment is already started');
    this.#started = true;
    const P = this.#prefix;
    const m = this.#mqtt;
    await m.connect();
    // [SHP-2] messages in flight when the broker goes are gone: lock-step cannot resume
    m.events.on((e) => {
      if (e.type === 'ConnectionChanged' && e.state === 'lost' && this.#stopping === null) {
        this.#failWith(
          new MqttConnectError(
            this.#o.url,
            'the connection was lost mid-run (the run cannot resume)',
          ),
        );
      }
    });
    const ready = new Promise<void>((resolve) => {
      this.#onReady = resolve;
    });
    const subs = [
      m.subscribe(`${P}/shard/+`, (topic, payload) => this.#onStatus(shardOf(topic), payload)),
      m.subscribe(`${P}/done/+`, (topic, payload) => {
        const d = payload instanceof Uint8Array ? decodeDone(payload) : null;
        if (d !== null && d.session === this.#session) this.#onDone(shardOf(topic), d);
      }),
      m.subscribe(`${P}/telemetry/+`, (topic, payload) => {
        if (payload instanceof Uint8Array) this.#onTelemetry(shardOf(topic), payload);
      }),
    ];
    for (const sub of subs) await sub.ready;
    const o = this.#o;
    const config: ShardRunConfig = {
      session: this.#session,
      shards: this.shards,
      width: this.width,
      height: this.height,
      params: this.params,
      seed: this.seed,
      clock: this.clockKind,
      sampleEveryMs: this.#sampleEveryMs,
      telemetryEveryRounds: o.telemetryEveryRounds ?? 16,
      ...(o.inboxCapacity !== undefined && { inboxCapacity: o.inboxCapacity }),
      ...(this.limit !== undefined && { limit: this.limit }),
      ...(o.constraints !== undefined && { controlled: true }),
    };
    o.onWaiting?.(0, this.shards);
    await m.publish(`${P}/config`, config, { retain: true, qos: 1 });
    await Promise.race([ready, this.failure]);
    if (this.#stopping !== null) return;
    this.#going = true;
    this.#pace.anchorWall = wallNow();
    this.#pace.anchorSim = 0;
    const joined = this.#nonce.map((x) => x ?? '');
    await this.#control({
      type: 'go',
      session: this.#session,
      until: this.clockKind === 'real' ? FOREVER : 0,
      joined,
      ...this.#pace,
    });
    // a shard process that comes now is told the run has started without it
    await m.publish(`${P}/config`, { ...config, joined }, { retain: true, qos: 1 });
    const constraints = o.constraints;
    if (constraints !== undefined) {
      // [SLIM-1] every shard takes its share of the run's limits, now and on each change
      const send = (): void => {
        const limits = stepLimitsOf(constraints.list());
        this.#control({ type: 'limits', session: this.#session, limits }).catch(() => undefined);
        if (sameStepLimits(limits, this.#stepLimits)) return;
        // [SLIM-3] a limit set or cleared: pace on from where the run stands
        this.#stepLimits = limits;
        this.#limitedSpans.setLimited(isLimited(limits));
        this.#repace();
      };
      send();
      this.#offLimits = constraints.events.on(send);
      if (this.clockKind === 'real') {
        this.#repacing = setInterval(() => {
          if (this.#limitedSpans.limited && this.#trailsMs() > 0) this.#repace();
        }, LIMITED_REPACE_MS);
        this.#repacing.unref();
      }
    }
  }

  #control(c: ShardControl): Promise<void> {
    return this.#mqtt.publish(`${this.#prefix}/control`, c, { qos: 1 });
  }

  #onStatus(shard: number, raw: unknown): void {
    // a last will has no MQTT 5 content type: its JSON arrives as bytes
    const payload = raw instanceof Uint8Array ? parseJson(raw) : raw;
    if (!(shard >= 0 && shard < this.shards) || typeof payload !== 'object' || payload === null) {
      return;
    }
    const s = payload as ShardStatus;
    if (s.state === 'gone') {
      // [SHP-2] only the process that joined this run counts
      if (s.nonce === this.#nonce[shard] && !this.#ended.has(shard)) {
        this.#end(shard);
        // a broker that shuts down sends every client's will first: if this connection goes
        // too in a moment, the broker is what went away
        setTimeout(() => {
          if (this.#mqtt.online) {
            this.#failure(shard, 'its process went away (the broker closed its connection)');
          }
        }, WILL_GRACE_MS).unref();
      }
      return;
    }
    if (s.session !== this.#session) return; // [SHP-1]
    switch (s.state) {
      case 'ready':
        if (this.#going || this.#nonce[shard] !== null) return;
        this.#nonce[shard] = s.nonce;
        this.#checkReady();
        break;
      case 'stopped':
        this.#end(shard);
        if (this.#stopping === null) this.#failure(shard, 'it stopped before it was asked to');
        break;
      case 'failed':
        this.#end(shard);
        this.#failure(shard, s.error);
        break;
    }
  }

  #checkReady(): void {
    const ready = this.#nonce.filter((x) => x !== null).length;
    this.#o.onWaiting?.(ready, this.shards);
    if (ready === this.shards && this.#init.every(Boolean)) this.#onReady();
  }

  #end(shard: number): void {
    this.#ended.add(shard);
    if (this.#ended.size >= this.#nonce.filter((x) => x !== null).length) this.#onStopped();
  }

  #failure(shard: number, reason: string): void {
    this.#failWith(new ShardFailedError(shard, reason));
  }

  #failWith(error: CascadeError): void {
    if (this.#failed !== null) return;
    this.#failed = error;
    this.#fail(error);
  }

  /** A shard ran a round: once all have, that round's tick is run and the next agreed. */
  #onDone(shard: number, d: ShardDone): void {
    if (!(shard >= 0 && shard < this.shards)) return;
    this.#counters[shard] = d;
    let round = this.#rounds.get(d.round);
    if (round === undefined)
      this.#rounds.set(d.round, (round = { count: 0, t: d.t, next: Infinity }));
    round.count++;
    round.next = Math.min(round.next, d.next);
    if (round.count < this.shards) return;
    this.#rounds.delete(d.round);
    if (d.round >= 0) this.#tick = Math.max(this.#tick, round.t);
    this.#nextTick = round.next;
    this.#checkReached();
  }

  #onTelemetry(shard: number, bytes: Uint8Array): void {
    if (!(shard >= 0 && shard < this.shards)) return;
    const m = decodeTelemetry(bytes);
    if (m === null || m.session !== this.#session) return;
    if (m.kind === 'init') {
      this.telemetry.lastFlash.set(m.lastFlash, m.from);
      this.telemetry.interval.set(m.interval, m.from);
      this.#init[shard] = true;
      this.#checkReady();
      return;
    }
    const pending = this.#pending[shard];
    for (const tick of m.ticks) pending.push(tick);
    this.#covered[shard] = m.through;
    this.#drain();
  }

  /** Apply flashes up to the tick every shard covered, R at each sample tick [SHP-4]. */
  #drain(): void {
    let covered = Infinity;
    for (const c of this.#covered) covered = Math.min(covered, c);
    while (this.#nextSample <= covered) {
      const s = this.#nextSample;
      this.#apply(s);
      if (this.#onSample !== null && (this.#sampleUntil === undefined || s <= this.#sampleUntil)) {
        this.#onSample(s, this.monitor.orderParameter(s), this.telemetry.flashes);
      }
      this.#nextSample += this.#sampleEveryMs;
    }
    this.#apply(covered);
    this.#checkReached();
  }

  #apply(through: number): void {
    const tel = this.telemetry;
    const onFlash = this.#o.onFlash;
    // tick order across shards: an agent's flashes are in its shard's order, and agents of
    // different shards do not touch each other's entries
    for (const pending of this.#pending) {
      let i = 0;
      for (; i < pending.length && pending[i].t <= through; i++) {
        const { t, ids } = pending[i];
        for (let x = 0; x < ids.length; x++) {
          tel.recordFlash(ids[x], t);
          onFlash?.(ids[x], t);
        }
      }
      if (i > 0) pending.splice(0, i);
    }
  }

  #checkReached(): void {
    if (Number.isNaN(this.#nextTick)) return;
    let covered = Infinity;
    for (const c of this.#covered) covered = Math.min(covered, c);
    if (covered < this.#tick) return; // the telemetry of the last round is not in yet
    const keep: UntilWaiter[] = [];
    for (const r of this.#reached) {
      if (r.until < this.#nextTick) {
        this.#tick = Math.max(this.#tick, r.until);
        r.resolve();
      } else keep.push(r);
    }
    this.#reached = keep;
  }

  now(): number {
    return this.#tick;
  }

  get speed(): number {
    return this.#pace.speed;
  }

  get paused(): boolean {
    return this.#pace.paused;
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

  /** Simulated ms the shards trail the pacing target (0 on the virtual clock, or paused). */
  #trailsMs(): number {
    if (this.clockKind !== 'real' || this.paused || !this.#going) return 0;
    const behind = this.#target() - this.#standsAt();
    return behind > 0 ? behind : 0;
  }

  /** The simulated time the wall allows now (the pacing target). */
  #target(): number {
    const p = this.#pace;
    return p.anchorSim + (wallNow() - p.anchorWall) * p.speed;
  }

  /** Where the shards stand: the tick they run or wait to run next (simulated ms). */
  #standsAt(): number {
    return Math.max(this.#tick, Number.isNaN(this.#nextTick) ? 0 : this.#nextTick);
  }

  pause(): void {
    if (this.paused) return;
    this.#pausedAt = performance.now();
    this.#setPace({ paused: true });
    this.#limitedSpans.setPaused(true);
  }

  resume(): void {
    if (!this.paused) return;
    this.#pausedWall += performance.now() - this.#pausedAt;
    this.#setPace({ paused: false });
    this.#limitedSpans.setPaused(false);
  }

  setSpeed(speed: number): void {
    if (this.clockKind !== 'real') {
      throw new InvalidArgumentError('speed', speed, 'applies to the real clock only');
    }
    checkSpeed('real', speed);
    this.#setPace({ speed });
  }

  /** Re-anchor the pace where the run stands and tell the shards [RCK-3]. */
  #setPace(change: Partial<ShardPace>): void {
    this.#pace = { ...this.#pace, ...change, anchorSim: this.#tick, anchorWall: wallNow() };
    if (!this.#going || this.#stopping !== null) return;
    this.#control({ type: 'pace', session: this.#session, ...this.#pace }).catch(() => undefined);
  }

  /**
   * Real clock: forgive the shards' debt (pace on from where they stand when they trail the
   * target; a run that keeps up keeps its pace) and tell them [SLIM-3].
   */
  #repace(): void {
    if (this.clockKind !== 'real' || this.paused || !this.#going || this.#stopping !== null) {
      return;
    }
    const anchorSim = Math.min(this.#target(), this.#standsAt());
    this.#pace = { ...this.#pace, anchorSim, anchorWall: wallNow() };
    this.#control({ type: 'pace', session: this.#session, ...this.#pace }).catch(() => undefined);
  }

  setLimit(n: number): void {
    throw new InvalidArgumentError(
      'limit',
      n,
      'cannot change while the grid runs on several shards (restart with the new --limit)',
    );
  }

  runUntil(t: number): Promise<void> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    if (this.#stopping !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#reached.push({ until: t, resolve });
      this.#checkReached();
      this.#control({ type: 'until', session: this.#session, until: t }).catch(() => undefined);
    });
  }

  sampleOrder(everyMs: number, untilMs: number | undefined, onSample: OrderSampleHandler): void {
    if (everyMs !== this.#sampleEveryMs) {
      throw new InvalidArgumentError(
        'sampleEveryMs',
        everyMs,
        `must be the shards' sample interval (${this.#sampleEveryMs} ms, an option of the run)`,
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
    for (const c of this.#counters) s += c?.borderIn ?? 0;
    return s;
  }

  stats(): FireflyStats {
    const sum = (k: 'flashes' | 'discarded' | 'dropped' | 'failed'): number => {
      let s = 0;
      for (const c of this.#counters) s += c?.[k] ?? 0;
      return s;
    };
    return {
      agents: this.agents,
      simTimeMs: this.now(),
      flashes: sum('flashes'),
      discardedPulses: sum('discarded'),
      droppedPulses: sum('dropped'),
      failedAgents: sum('failed'),
    };
  }

  /** Tell every shard to stop, clear the run, wait (at most 1 s) for them, disconnect. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    clearInterval(this.#repacing);
    this.#offLimits?.();
    this.#offLimits = null;
    for (const r of this.#reached.splice(0)) r.resolve();
    this.#onReady();
    if (!this.#mqtt.connected) return;
    const joined = this.#nonce.filter((x) => x !== null).length;
    const all = new Promise<void>((resolve) => {
      this.#onStopped = resolve;
      if (this.#ended.size >= joined) resolve();
    });
    try {
      // offline, a QoS 1 publish would wait for the broker's ack forever
      if (!this.#mqtt.online) return;
      await this.#control({ type: 'stop', session: this.#session });
      // an empty retained payload clears the offer, as the will would
      await this.#mqtt.publish(`${this.#prefix}/config`, '', { retain: true, qos: 1 });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        all,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 1000);
        }),
      ]);
      clearTimeout(timer);
    } finally {
      await this.#mqtt.disconnect();
    }
  }
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

function shardOf(topic: string): number {
  return Number(topic.slice(topic.lastIndexOf('/') + 1));
}
