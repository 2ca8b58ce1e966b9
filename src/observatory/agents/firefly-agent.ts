/**
 * One firefly as a Cascade agent: a task run in VM mode whose every step returns a `Wait` or
 * `tailCall`, so it lives as long as the experiment in constant stack and memory (docs/fireflies.md
 * §4). One step is one event of the agent's life: the end of the refractory time, a pulse,
 * or the phase reaching T. Between steps the agent is parked (`waitUntil`/`waitFor`), which
 * costs no promise: a million waiting fireflies are a million small objects, nothing more.
 *
 * The model [FLY-1..3], with phase(t) = t - cycleStart:
 * - [FLY-1] refractory (phase < r): wait until phase = r; pulses that arrive meanwhile are
 *   discarded and counted. The agent mutes its inbox when it flashes and unmutes it when the
 *   refractory time ends, so the channel counts them and buffers none (DCH-8).
 * - [FLY-2] sensitive: wait for a pulse or for phase = T; a pulse advances the phase by k
 *   (cycleStart -= k); reaching T flashes at once.
 * - [FLY-3] flash: telemetry `firefly/flash {agentId, t}` (fire-and-forget), a pulse to each of
 *   the 8 neighbours' channels (delivered at the start of the next tick by the world's pulse
 *   sink, PulseExchange [PUL-1]), phase reset to jitter ~ U[0, j).
 * - [FLY-5] Randomness is per agent and counter-based: draw n of agent i is
 *   `counterUniform(seed, i, n)` (draw 0 the start phase, then one per flash for the jitter),
 *   so no agent's draws depend on the order agents run in or on how the grid is cut.
 * Everything an agent shares with the others (clock, RNG, channels, telemetry) sits in one
 * {@link FireflyWorld}. An agent's own state (its cycle start) sits there too, in a typed
 * array indexed by its id, the argument of its task; whether it is refractory is whether its
 * inbox is muted. A step then touches its fiber and its inbox and otherwise memory that
 * neighbours share, which is what keeps a million agents fast (docs/fireflies.md, "The runtime path": telemetry every
 * agent writes lives in typed arrays).
 */
import { task } from '../../spec/index.js';
import type { TaskFactory } from '../../spec/index.js';
import type { Wait } from '../../spec/index.js';
import { counterUniform } from '../../runtime/index.js';
import type { Clock } from '../../runtime/index.js';
import { EMPTY } from '../../messaging/index.js';
import type { Connector, DirectChannel } from '../../messaging/index.js';
import type { FireflyModelParams } from '../model/firefly-params.js';
import type { FireflyTelemetry } from '../model/firefly-telemetry.js';
import type { PulseSink } from '../model/pulse-exchange.js';

/** The task name of every firefly: the control plane's scope `task:firefly`. */
export const FIREFLY_TASK = 'firefly';

/** The topic every flash is published on. */
export const FLASH_TOPIC = 'firefly/flash';

/** The payload of a `firefly/flash` message. */
export interface FlashMessage {
  agentId: number;
  t: number;
}

/** What all agents of one experiment share, and each agent's state by id. */
export interface FireflyWorld {
  readonly clock: Clock;
  /** The seed of every agent's random stream [FLY-5]. */
  readonly seed: number;
  /** Per agent: draws taken from its stream so far [FLY-5]. */
  readonly draws: Uint32Array;
  readonly params: FireflyModelParams;
  readonly telemetry: FireflyTelemetry;
  /** Neighbour ids, 8 per agent (TorusTopology.neighbours). */
  readonly neighbours: Int32Array;
  /**
   * Every agent's inbox, by id; a pulse carries the sender's id. Muted at the start: each agent
   * starts as if just out of a flash, so what arrives before its refractory time ends is
   * discarded [FLY-1].
   */
  readonly inboxes: readonly (DirectChannel<number> | undefined)[];
  /** Where a flash's pulses go: delivered to the neighbours at the next tick [PUL-1]. */
  readonly pulses: PulseSink;
  /** Per agent: the time at which its current cycle's phase was 0. */
  readonly cycleStart: Float64Array;
  /** The one Wait every step re-aims and returns (steps are synchronous): no allocation. */
  readonly wait: Wait;
  /** Where flashes are published; omit to skip flash telemetry messages. */
  readonly bus: Connector | undefined;
  /** Publish a flash only while this says so (a shard forwards flashes only when listened to). */
  readonly flashGate: (() => boolean) | undefined;
  /** Set when the experiment stops: agents end at their next step. */
  stopped: boolean;
  /** Optional flash hook (tests hash the flash log with it). */
  onFlash: ((id: number, t: number) => void) | undefined;
}

/** Why an agent ended (only when the experiment stops). */
export type FireflyEnd = 'stopped';

function flash(w: FireflyWorld, id: number, t: number): void {
  w.telemetry.recordFlash(id, t);
  w.onFlash?.(id, t);
  if (w.bus !== undefined && (w.flashGate === undefined || w.flashGate()))
    void w.bus.publish(FLASH_TOPIC, { agentId: id, t } satisfies FlashMessage);
  w.pulses.emit(id);
  w.cycleStart[id] = t - counterUniform(w.seed, id, ++w.draws[id]) * w.params.jitterMs; // [FLY-5]
  w.inboxes[id]!.mute(); // [FLY-1] refractory: pulses are discarded as they arrive
}

/**
 * One step of firefly `id`: handle what happened since its last step (time passed, pulses
 * arrived), then say what to wait for next. Returns a `Wait`, or `'stopped'` once the world
 * is stopped.
 *
 * @example
 * ```ts
 * const next = fireflyStep(world, 7); // e.g. waitFor(world.inboxes[7], deadline)
 * ```
 */
export function fireflyStep(w: FireflyWorld, id: number): FireflyEnd | Wait {
  if (w.stopped) return 'stopped';
  const clock = w.clock;
  const p = w.params;
  const now = clock.now();
  let start = w.cycleStart[id];
  if (now - start < p.refractoryMs) return w.wait.until(clock, start + p.refractoryMs); // [FLY-1]
  const inbox = w.inboxes[id]!;
  if (inbox.muted) {
    // [FLY-1] the refractory time is over: count what was discarded, and what was buffered
    // before the flash
    w.telemetry.discardedPulses += inbox.unmute();
    while (inbox.tryRecv() !== EMPTY) w.telemetry.discardedPulses++;
  }
  while (now - start < p.periodMs) {
    if (inbox.tryRecv() === EMPTY) {
      w.cycleStart[id] = start;
      return w.wait.for(inbox, start + p.periodMs); // [FLY-2]
    }
    start -= p.nudgeMs; // [FLY-2]
  }
  flash(w, id, now); // [FLY-3]
  return w.wait.until(clock, w.cycleStart[id] + p.refractoryMs); // [FLY-1] the next cycle
}

/**
 * The fireflies of one world as a Cascade task: `agent(id)` is a LazyResult to run with
 * `{ vm: true }`; it lives until `world.stopped`.
 *
 * @example
 * ```ts
 * const agent = fireflyAgent(world);
 * const runs = ids.map((id) => engine.run(agent(id), { vm: true }));
 * ```
 */
export function fireflyAgent(world: FireflyWorld): TaskFactory<[id: number], FireflyEnd | Wait> {
  return task((id: number) => fireflyStep(world, id), { name: FIREFLY_TASK });
}
