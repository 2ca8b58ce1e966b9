/**
 * One firefly as a Cascade agent: a task run in VM mode whose every step returns a `Wait` or
 * `tailCall`, so it lives as long as the experiment in constant stack and memory (DESIGN.md
 * §4). One step is one event of the agent's life: the end of the refractory time, a pulse,
 * or the phase reaching T. Between steps the agent is parked (`waitUntil`/`waitFor`), which
 * costs no promise: a million waiting fireflies are a million small objects, nothing more.
 *
 * The model [FLY-1..3], with phase(t) = t - cycleStart:
 * - [FLY-1] refractory (phase < r): wait until phase = r; pulses that arrived meanwhile are
 *   discarded and counted.
 * - [FLY-2] sensitive: wait for a pulse or for phase = T; a pulse advances the phase by k
 *   (cycleStart -= k); reaching T flashes at once.
 * - [FLY-3] flash: telemetry `firefly/flash {agentId, t}` (fire-and-forget), a pulse to each of
 *   the 8 neighbours' channels, phase reset to jitter ~ U[0, j).
 * Everything an agent shares with the others (clock, RNG, channels, telemetry) sits in one
 * {@link FireflyWorld}; the per-agent state is one small object, mutated in place.
 */
import { task, waitFor, waitUntil } from '../../spec/index.js';
import type { Wait } from '../../spec/index.js';
import type { Clock, Rng } from '../../runtime/index.js';
import { EMPTY } from '../../messaging/index.js';
import type { Connector, DirectChannel } from '../../messaging/index.js';
import type { FireflyModelParams } from '../experiments/firefly-params.js';
import type { FireflyTelemetry } from '../experiments/firefly-telemetry.js';

/** The topic every flash is published on. */
export const FLASH_TOPIC = 'firefly/flash';

/** The payload of a `firefly/flash` message. */
export interface FlashMessage {
  agentId: number;
  t: number;
}

/** What all agents of one experiment share. */
export interface FireflyWorld {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly params: FireflyModelParams;
  readonly telemetry: FireflyTelemetry;
  /** Neighbour ids, 8 per agent (TorusTopology.neighbours). */
  readonly neighbours: Int32Array;
  /** Every agent's inbox, by id; a pulse carries the sender's id. */
  readonly inboxes: readonly DirectChannel<number>[];
  /** Where flashes are published; omit to skip flash telemetry messages. */
  readonly bus: Connector | undefined;
  /** Set when the experiment stops: agents end at their next step. */
  stopped: boolean;
  /** Optional flash hook (tests hash the flash log with it). */
  onFlash: ((id: number, t: number) => void) | undefined;
}

/**
 * One agent's own state, mutated in place across steps. A class, not a plain object, so the
 * engine's argument scan (which looks for LazyResults inside plain objects and arrays) does
 * not walk into the shared world.
 *
 * @example
 * ```ts
 * const self = new FireflyState(0, world, -1234);
 * ```
 */
export class FireflyState {
  readonly id: number;
  readonly world: FireflyWorld;
  readonly inbox: DirectChannel<number>;
  /** The time at which the current cycle's phase was 0. */
  cycleStart: number;
  /** False from a flash until the first step after the refractory time. */
  sensitive = false;

  constructor(id: number, world: FireflyWorld, cycleStart: number) {
    this.id = id;
    this.world = world;
    this.inbox = world.inboxes[id];
    this.cycleStart = cycleStart;
  }
}

/** Why an agent ended (only when the experiment stops). */
export type FireflyEnd = 'stopped';

function flash(self: FireflyState, t: number): void {
  const w = self.world;
  const id = self.id;
  w.telemetry.recordFlash(id, t);
  w.onFlash?.(id, t);
  if (w.bus !== undefined)
    void w.bus.publish(FLASH_TOPIC, { agentId: id, t } satisfies FlashMessage);
  const nb = w.neighbours;
  const inboxes = w.inboxes;
  for (let j = id * 8, end = j + 8; j < end; j++) {
    if (!inboxes[nb[j]].send(id)) w.telemetry.droppedPulses++;
  }
  self.cycleStart = t - w.rng.next() * w.params.jitterMs;
  self.sensitive = false;
}

/**
 * One step of a firefly: handle what happened since the last step (time passed, pulses
 * arrived), then say what to wait for next. Returns a `Wait`, or `'stopped'` once the world is stopped.
 *
 * @example
 * ```ts
 * await engine.run(firefly(self), { vm: true }); // runs until world.stopped
 * ```
 */
export function fireflyStep(self: FireflyState): FireflyEnd | Wait {
  const w = self.world;
  if (w.stopped) return 'stopped';
  const clock = w.clock;
  const p = w.params;
  const inbox = self.inbox;
  const now = clock.now();
  if (now - self.cycleStart < p.refractoryMs) {
    return waitUntil(clock, self.cycleStart + p.refractoryMs); // [FLY-1]
  }
  if (!self.sensitive) {
    while (inbox.tryRecv() !== EMPTY) w.telemetry.discardedPulses++; // [FLY-1]
    self.sensitive = true;
  }
  while (now - self.cycleStart < p.periodMs) {
    if (inbox.tryRecv() === EMPTY) return waitFor(inbox, self.cycleStart + p.periodMs); // [FLY-2]
    self.cycleStart -= p.nudgeMs; // [FLY-2]
  }
  flash(self, now); // [FLY-3]
  return waitUntil(clock, self.cycleStart + p.refractoryMs); // [FLY-1] the next cycle
}

/**
 * The firefly as a Cascade task: `firefly(self)` is a LazyResult to run with `{ vm: true }`.
 *
 * @example
 * ```ts
 * const run = engine.run(firefly(new FireflyState(0, world, -1234)), { vm: true });
 * ```
 */
export const firefly = task(fireflyStep, { name: 'firefly' });
