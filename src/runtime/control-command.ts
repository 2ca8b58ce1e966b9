/**
 * The command model of the control plane: the commands an operator gives (`pause`, `resume`,
 * `limit`, `clear`) and the constraint changes each one means. One model for every way in:
 * `cascade ctl` publishes the changes as retained messages ({@link controlMessages}), the
 * gateway's control stream and in-process callers apply them to a ConstraintSet
 * (`applyCommand`), and a run applies the messages it receives (`applyMessage`).
 *
 * Invariants:
 * - [CMDL-1] `resume` removes only the pause of its scope; `limit` sets only the kinds it names
 *   (`concurrency`, `perSec`), and `null` for one removes that one; `clear` removes every kind
 *   of its scope.
 * - [CMDL-2] A `ttlSeconds` becomes `expiresAt = now + ttl` in the payload and the MQTT 5
 *   message expiry of the retained message, so a broker without expiry still lets it lapse.
 */
import {
  CONSTRAINT_KINDS,
  InvalidConstraintError,
  constraintPayload,
  constraintTopic,
  parseScope,
  type Constraint,
  type ConstraintKind,
  type ConstraintScope,
} from './constraint.js';

/** A control command. */
export type ControlCommand =
  | { readonly type: 'pause'; readonly scope: ConstraintScope; readonly ttlSeconds?: number }
  | { readonly type: 'resume'; readonly scope: ConstraintScope }
  | {
      readonly type: 'limit';
      readonly scope: ConstraintScope;
      /** Steps at once (>= 1); null removes the limit. */
      readonly concurrency?: number | null;
      /** Steps started per second (> 0); null removes the rate limit. */
      readonly perSec?: number | null;
      readonly burst?: number;
      readonly ttlSeconds?: number;
    }
  | { readonly type: 'clear'; readonly scope: ConstraintScope };

/** One change a command means: set a constraint, or (null) remove one. */
export interface ConstraintChange {
  readonly scope: ConstraintScope;
  readonly kind: ConstraintKind;
  readonly constraint: Constraint | null;
}

/** One retained message a command publishes. */
export interface ControlMessage {
  readonly topic: string;
  /** The constraint's JSON payload, or `''` to remove it. */
  readonly payload: Record<string, unknown> | '';
  /** MQTT 5 message expiry, when the command has a ttl. [CMDL-2] */
  readonly expirySeconds?: number;
}

/**
 * The constraint changes of a command at wall time `nowMs`. [CMDL-1] [CMDL-2]
 * @throws InvalidConstraintError for a bad scope, ttl, or a `limit` that names nothing
 *
 * @example
 * ```ts
 * controlConstraints({ type: 'pause', scope: 'global', ttlSeconds: 30 }, Date.now());
 * // [{ scope: 'global', kind: 'pause', constraint: { scope: 'global', kind: 'pause', expiresAt: … } }]
 * ```
 */
export function controlConstraints(cmd: ControlCommand, nowMs: number): ConstraintChange[] {
  const scope = parseScope(cmd.scope);
  const ttl = 'ttlSeconds' in cmd ? cmd.ttlSeconds : undefined;
  if (ttl !== undefined && !(typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0)) {
    throw new InvalidConstraintError(
      `ttl on ${scope}`,
      `must be a number of seconds > 0, got ${String(ttl)}`,
    );
  }
  const exp = ttl === undefined ? {} : { expiresAt: nowMs + ttl * 1000 };
  switch (cmd.type) {
    case 'pause':
      return [{ scope, kind: 'pause', constraint: { scope, kind: 'pause', ...exp } }];
    case 'resume':
      return [{ scope, kind: 'pause', constraint: null }];
    case 'clear':
      return CONSTRAINT_KINDS.map((kind) => ({ scope, kind, constraint: null }));
    case 'limit': {
      const out: ConstraintChange[] = [];
      if (cmd.concurrency !== undefined) {
        out.push({
          scope,
          kind: 'concurrency',
          constraint:
            cmd.concurrency === null
              ? null
              : { scope, kind: 'concurrency', limit: cmd.concurrency, ...exp },
        });
      }
      if (cmd.perSec !== undefined) {
        out.push({
          scope,
          kind: 'rate',
          constraint:
            cmd.perSec === null
              ? null
              : {
                  scope,
                  kind: 'rate',
                  perSec: cmd.perSec,
                  ...(cmd.burst !== undefined && { burst: cmd.burst }),
                  ...exp,
                },
        });
      }
      if (out.length === 0) {
        throw new InvalidConstraintError(`limit on ${scope}`, 'name a concurrency or a rate');
      }
      return out;
    }
  }
}

/**
 * The retained messages that carry a command to every run on a broker. [CMDL-2]
 *
 * @example
 * ```ts
 * for (const m of controlMessages({ type: 'resume', scope: 'global' }, Date.now())) {
 *   await connector.publish(m.topic, m.payload, { retain: true, qos: 1 });
 * }
 * ```
 */
export function controlMessages(cmd: ControlCommand, nowMs: number): ControlMessage[] {
  const ttl = 'ttlSeconds' in cmd ? cmd.ttlSeconds : undefined;
  return controlConstraints(cmd, nowMs).map((ch) => ({
    topic: constraintTopic(ch.scope, ch.kind),
    payload: ch.constraint === null ? '' : constraintPayload(ch.constraint),
    ...(ch.constraint !== null && ttl !== undefined && { expirySeconds: Math.ceil(ttl) }),
  }));
}
