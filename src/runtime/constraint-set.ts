/**
 * ConstraintSet: the constraints in force, and the one place that changes them. Messages from
 * a connector (`cascade/constraints/#`), commands from the CLI or the gateway's control stream
 * (`applyCommand`) and direct calls (`set`, `clear`) all end here; its {@link ConstraintGate}
 * enforces what it holds, for every engine given this set.
 *
 * Invariants:
 * - [CTL-3] One constraint per scope and kind; a newer one replaces it; the most restrictive
 *   of those that apply to a step wins (enforced by the gate, [GATE-1]).
 * - [CTL-4] An invalid message or command changes nothing and is reported as a
 *   `ConstraintRejected` event (and returned as false / thrown for a call).
 * - [CTL-5] A constraint whose `expiresAt` has passed no longer applies: it is removed by a
 *   timer at that wall time (`ConstraintRemoved`, reason `expired`); one arriving already
 *   expired removes the one it replaces and is not applied.
 * - [CTL-6] Every change is reported as an event, after the gate has seen it.
 */
import { EventBus } from './event-bus.js';
import {
  CONSTRAINT_PREFIX,
  InvalidConstraintError,
  parseConstraint,
  parseScope,
  topicConstraint,
  type Constraint,
  type ConstraintKind,
  type ConstraintScope,
} from './constraint.js';
import { ConstraintGate } from './constraint-gate.js';
import { controlConstraints, type ControlCommand } from './control-command.js';

/** What a ConstraintSet reports. */
export type ConstraintEvent =
  | { readonly type: 'ConstraintApplied'; readonly constraint: Constraint }
  | {
      readonly type: 'ConstraintRemoved';
      readonly scope: ConstraintScope;
      readonly kind: ConstraintKind;
      readonly reason: 'cleared' | 'expired';
    }
  | {
      readonly type: 'ConstraintRejected';
      readonly topic: string;
      readonly payload: unknown;
      readonly reason: string;
    };

/** The part of a Connector a ConstraintSet listens on (structural: runtime does not import messaging). */
export interface ConstraintSource {
  subscribe(
    pattern: string,
    handler: (topic: string, payload: unknown) => void | Promise<void>,
  ): { unsubscribe(): void; readonly ready?: Promise<void> };
}

/** Options of a {@link ConstraintSet}. */
export interface ConstraintSetOptions {
  /** Where changes and rejections are reported; a new EventBus if omitted. */
  events?: EventBus<ConstraintEvent>;
  /** Wall time in ms since the epoch (default `Date.now`), for `expiresAt`. */
  now?: () => number;
}

/**
 * The constraints in force.
 *
 * @example
 * ```ts
 * const constraints = new ConstraintSet();
 * constraints.events.on((e) => console.log(e.type));
 * constraints.applyMessage('cascade/constraints/global/pause', { kind: 'pause' }); // paused
 * constraints.applyMessage('cascade/constraints/global/pause', ''); // resumed
 * const engine = new Engine({ constraints });
 * ```
 */
export class ConstraintSet {
  /** Changes and rejections. [CTL-6] */
  readonly events: EventBus<ConstraintEvent>;
  #now: () => number;
  #byKey = new Map<string, Constraint>();
  #gate: ConstraintGate | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerAt = Infinity;

  constructor(options: ConstraintSetOptions = {}) {
    this.events = options.events ?? new EventBus<ConstraintEvent>();
    this.#now = options.now ?? Date.now;
  }

  /** The gate that enforces these constraints (made on first use). */
  get gate(): ConstraintGate {
    if (this.#gate === null) {
      this.#gate = new ConstraintGate({ active: () => this.#byKey.values() });
      this.#gate.changed(); // constraints set before the gate was made apply too
    }
    return this.#gate;
  }

  /** Number of constraints in force. */
  get size(): number {
    return this.#byKey.size;
  }

  /** The constraints in force, by scope then kind. */
  list(): Constraint[] {
    return [...this.#byKey.values()].sort(
      (a, b) => a.scope.localeCompare(b.scope) || a.kind.localeCompare(b.kind),
    );
  }

  /** The constraint of a scope and kind, if any. */
  get(scope: ConstraintScope, kind: ConstraintKind): Constraint | undefined {
    return this.#byKey.get(`${scope}|${kind}`);
  }

  /**
   * Apply a message from `cascade/constraints/...`: a payload sets, an empty one removes.
   * Returns false (and reports `ConstraintRejected`) for an invalid one. [CTL-1] [CTL-2] [CTL-4]
   */
  applyMessage(topic: string, payload: unknown): boolean {
    const target = topicConstraint(topic);
    if (target === null) {
      this.#reject(topic, payload, 'not a constraint topic (scope/kind)');
      return false;
    }
    if (isEmpty(payload)) {
      this.clear(target.scope, target.kind); // [CTL-2]
      return true;
    }
    let c: Constraint;
    try {
      c = parseConstraint(target.scope, target.kind, payload);
    } catch (e) {
      this.#reject(topic, payload, e instanceof InvalidConstraintError ? e.message : String(e));
      return false;
    }
    this.#put(c);
    return true;
  }

  /**
   * Set a constraint (replacing the one of its scope and kind). [CTL-3]
   * @throws InvalidConstraintError
   */
  set(c: Constraint): void {
    parseScope(c.scope);
    this.#put(parseConstraint(c.scope, c.kind, { ...c, scope: undefined }));
  }

  /** Remove the constraint of a scope and kind; false if there was none. */
  clear(scope: ConstraintScope, kind: ConstraintKind): boolean {
    return this.#remove(scope, kind, 'cleared');
  }

  /**
   * Apply a control command (`pause`, `resume`, `limit`, `clear`) here, in process: what the
   * gateway's control stream does. `cascade ctl` publishes the same constraints instead
   * ({@link controlConstraints}).
   * @throws InvalidConstraintError (and nothing changes)
   */
  applyCommand(cmd: ControlCommand): void {
    const changes = controlConstraints(cmd, this.#now());
    for (const ch of changes) {
      if (ch.constraint !== null)
        parseConstraint(ch.scope, ch.kind, { ...ch.constraint, scope: undefined });
    }
    for (const ch of changes) {
      if (ch.constraint === null) this.clear(ch.scope, ch.kind);
      else this.#put(ch.constraint);
    }
  }

  /**
   * Listen on `cascade/constraints/#` of a connector; returns the subscription.
   *
   * @example
   * ```ts
   * const sub = constraints.attach(connector);
   * await sub.ready;
   * ```
   */
  attach(source: ConstraintSource): { unsubscribe(): void; readonly ready?: Promise<void> } {
    return source.subscribe(`${CONSTRAINT_PREFIX}/#`, (topic, payload) => {
      this.applyMessage(topic, payload);
    });
  }

  /** Stop the expiry timer and the gate's timer. */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
    this.#gate?.close();
  }

  #put(c: Constraint): void {
    if (c.expiresAt !== undefined && c.expiresAt <= this.#now()) {
      this.#remove(c.scope, c.kind, 'expired'); // [CTL-5]
      return;
    }
    this.#byKey.set(`${c.scope}|${c.kind}`, c);
    this.#gate?.changed();
    this.#armExpiry();
    this.events.emit({ type: 'ConstraintApplied', constraint: c });
  }

  #remove(scope: ConstraintScope, kind: ConstraintKind, reason: 'cleared' | 'expired'): boolean {
    if (!this.#byKey.delete(`${scope}|${kind}`)) return false;
    this.#gate?.changed();
    this.events.emit({ type: 'ConstraintRemoved', scope, kind, reason });
    return true;
  }

  #reject(topic: string, payload: unknown, reason: string): void {
    this.events.emit({ type: 'ConstraintRejected', topic, payload, reason }); // [CTL-4]
  }

  /** [CTL-5] One timer, at the earliest expiry. */
  #armExpiry(): void {
    let next = Infinity;
    for (const c of this.#byKey.values()) {
      if (c.expiresAt !== undefined && c.expiresAt < next) next = c.expiresAt;
    }
    if (next === this.#timerAt) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = next;
    if (next === Infinity) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, next - this.#now()) + 1);
  }

  #expire(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const now = this.#now();
    for (const c of [...this.#byKey.values()]) {
      if (c.expiresAt !== undefined && c.expiresAt <= now) this.#remove(c.scope, c.kind, 'expired');
    }
    this.#armExpiry();
  }
}

function isEmpty(payload: unknown): boolean {
  return (
    payload === undefined ||
    payload === null ||
    payload === '' ||
    (ArrayBuffer.isView(payload) && payload.byteLength === 0)
  );
}
