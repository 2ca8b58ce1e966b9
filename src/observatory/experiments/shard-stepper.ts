/**
 * One shard's side of a lock-step round, whatever carries the border flashes between shards:
 * shared memory between worker threads (firefly-shard-worker.ts) or an MQTT broker between
 * processes (mqtt-shard.ts). The model is written once, here and in FireflyExperiment; a
 * transport only moves the batches this produces and hands in the ones it receives.
 *
 * A round at tick t: `receive` the neighbours' border flashes of the round before ->
 * `runTick(t)` -> `borderOut(j)` for each neighbour shard j -> `nextDue(t, nextSample)` is this
 * shard's next tick; the next tick of the run is the minimum over every shard.
 *
 * Invariants:
 * - [SHD-10] A border flash reaches a neighbouring shard once per round whatever the number of
 *   its agents there (the receiving exchange fans it out), so a batch holds at most the
 *   sender's border agents, in the order they flashed.
 * - `nextDue` is the earliest of the shard's due timers, the tick after a flash (its pulses
 *   are delivered then [PUL-1]) and the next sample tick: with the transport's minimum over
 *   every shard, the ticks every shard visits [SHD-9].
 */
import { TorusTopology } from '../model/topology.js';
import type { FireflyTelemetry } from '../model/firefly-telemetry.js';
import type { Connector } from '../../messaging/index.js';
import type { ConstraintSet } from '../../runtime/index.js';
import { FireflyExperiment } from './firefly-experiment.js';
import type { FireflyModelParams } from '../model/firefly-params.js';
import { borderTargets, planBands } from './shard-plan.js';

/** What a shard needs to build its band. */
export interface ShardStepperOptions {
  shard: number;
  shards: number;
  width: number;
  height: number;
  params: FireflyModelParams;
  seed: number;
  /** cpu_slot capacity of this shard (its part of a global limit). */
  limit?: number;
  inboxCapacity?: number;
  sampleRate?: number;
  /** Where flashes are published (default: none). */
  bus?: Connector;
  publishFlashes?: boolean;
  flashGate?: () => boolean;
  /** Telemetry to write into (shared arrays on worker threads); default a new one. */
  telemetry?: FireflyTelemetry;
  /** Constraints every step of the band enters (its share of the run's limits) [SLIM-1]. */
  constraints?: ConstraintSet;
}

/**
 * @example
 * ```ts
 * const step = new ShardStepper({ shard: 0, shards: 2, width: 12, height: 12, params, seed: 1 });
 * await step.start();
 * await step.runTick(step.nextDue(0, 1000));
 * for (const j of step.neighbours) send(j, step.borderOut(j));
 * ```
 */
export class ShardStepper {
  readonly exp: FireflyExperiment;
  /** This shard's agents: `[from, to)`. */
  readonly from: number;
  readonly to: number;
  /** The shards this one borders, ascending. */
  readonly neighbours: readonly number[];
  /** Border flashes received from other shards so far. */
  borderIn = 0;
  readonly #targets: Int16Array;
  readonly #out = new Map<number, { ids: Int32Array; len: number }>();

  constructor(o: ShardStepperOptions) {
    const topology = new TorusTopology(o.width, o.height);
    const bands = planBands(o.width, o.height, o.shards);
    const { from, to } = bands[o.shard];
    this.from = from;
    this.to = to;
    const { targets, capacity } = borderTargets(topology, bands, o.shard);
    this.#targets = targets;
    this.neighbours = [...capacity.keys()].sort((a, b) => a - b);
    for (const [j, cap] of capacity) this.#out.set(j, { ids: new Int32Array(cap), len: 0 });
    this.exp = new FireflyExperiment({
      width: o.width,
      height: o.height,
      ...o.params,
      seed: o.seed,
      clock: 'virtual', // the lock-step paces it (real clock) or not (virtual)
      topology,
      ...(o.limit !== undefined && { limit: o.limit }),
      ...(o.bus !== undefined && { bus: o.bus }),
      publishFlashes: o.publishFlashes === true && o.bus !== undefined,
      sampleRate: o.sampleRate ?? 0,
      ...(o.inboxCapacity !== undefined && { inboxCapacity: o.inboxCapacity }),
      shard: { from, to },
      ...(o.telemetry !== undefined && { telemetry: o.telemetry }),
      ...(o.flashGate !== undefined && { flashGate: o.flashGate }),
      ...(o.constraints !== undefined && { constraints: o.constraints }),
    });
  }

  get telemetry(): FireflyTelemetry {
    return this.exp.telemetry;
  }

  start(): Promise<void> {
    return this.exp.start();
  }

  /** Border flashes another shard sent in the round before (at `time`) [PUL-1]. */
  receive(ids: Int32Array, time: number): void {
    this.exp.exchange.receive(ids, time);
    this.borderIn += ids.length;
  }

  /** Run tick `t`, then sort this shard's border flashes by neighbour [SHD-10]. */
  async runTick(t: number): Promise<void> {
    await this.exp.scheduler.runUntil(t);
    for (const out of this.#out.values()) out.len = 0;
    const own = this.exp.exchange.ownFlashes();
    const targets = this.#targets;
    const from = this.from;
    for (let x = 0; x < own.length; x++) {
      const id = own[x];
      const q = 2 * (id - from);
      for (let y = q; y < q + 2; y++) {
        const j = targets[y];
        if (j < 0) continue;
        const out = this.#out.get(j)!;
        out.ids[out.len++] = id;
      }
    }
  }

  /** The flashes of this shard's agents in the tick just run (all of them, in flash order). */
  ownFlashes(): Int32Array {
    return this.exp.exchange.ownFlashes();
  }

  /** The border flashes for neighbour `j` of the tick just run (valid until the next). */
  borderOut(j: number): Int32Array {
    const out = this.#out.get(j);
    return out === undefined ? new Int32Array(0) : out.ids.subarray(0, out.len);
  }

  /** This shard's next tick after `t` [SHD-9]; `t` is the tick just run (-Infinity: none). */
  nextDue(t: number, nextSample: number): number {
    return Math.min(
      this.exp.scheduler.nextTime(),
      this.exp.exchange.ownFlashes().length > 0 ? t + 1 : Infinity,
      nextSample,
    );
  }
}
