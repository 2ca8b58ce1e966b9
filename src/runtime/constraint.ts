/**
 * Constraints of the control plane (docs/control.md): what an operator imposes on
 * running work from outside. Three kinds, each on a scope:
 * - `pause`: work in scope waits before its next step; nothing fails; removing it resumes.
 * - `concurrency`: at most `limit` steps in scope run at once (`limit` >= 1: a pause is a
 *   pause, never a capacity of 0).
 * - `rate`: at most `perSec` steps in scope start per second, by a token bucket of `burst`.
 * A scope is `global`, `task:NAME` (a task's name) or `group:NAME` (an agent group). Each may
 * carry `expiresAt` (ms since the epoch, wall time), after which it no longer applies.
 *
 * On the wire a constraint is a retained JSON message on
 * `cascade/constraints/<scope levels>/<kind>` (`cascade/constraints/global/pause`,
 * `cascade/constraints/task/fly/concurrency`): one retained message per scope and kind, so a
 * pause and a limit on one scope are set, expire and are cleared independently.
 *
 * Invariants:
 * - [CTL-1] A payload is valid only if it is an object whose `kind` is the topic's kind and
 *   whose numbers are in range (`limit` an integer >= 1, `perSec` > 0, `burst` >= 1,
 *   `expiresAt` finite); anything else is rejected whole with a reason, changing nothing.
 * - [CTL-2] An empty payload (`''`, `null`, `undefined`, zero bytes) removes the constraint of
 *   that topic: it is never read as 0.
 */
import { CascadeError, ErrorCode } from '../errors.js';

/** Where a constraint applies: `global`, `task:NAME` or `group:NAME`. */
export type ConstraintScope = string;

/** The kinds of constraint. */
export type ConstraintKind = 'pause' | 'concurrency' | 'rate';

/** The kinds, in the order `status` lists them. */
export const CONSTRAINT_KINDS: readonly ConstraintKind[] = ['pause', 'concurrency', 'rate'];

interface Common {
  readonly scope: ConstraintScope;
  /** Wall time (ms since the epoch) after which it no longer applies. */
  readonly expiresAt?: number;
}

/** A constraint, as held by a ConstraintSet. */
export type Constraint =
  | (Common & { readonly kind: 'pause' })
  | (Common & { readonly kind: 'concurrency'; readonly limit: number })
  | (Common & { readonly kind: 'rate'; readonly perSec: number; readonly burst?: number });

/** The topic prefix of every constraint. */
export const CONSTRAINT_PREFIX = 'cascade/constraints';

/**
 * A constraint payload or scope that breaks the rules of the control plane. [CTL-1]
 *
 * @example
 * ```ts
 * try { parseScope('tasks:x'); } catch (e) { (e as InvalidConstraintError).code; } // CASCADE_ERR_INVALID_CONSTRAINT
 * ```
 */
export class InvalidConstraintError extends CascadeError {
  constructor(what: string, reason: string) {
    super(ErrorCode.INVALID_CONSTRAINT, `invalid constraint ${what}: ${reason}`, {
      what,
      reason,
    });
  }
}

const NAME = /^[^/+#]+$/;

/**
 * Check a scope string and return it; throws InvalidConstraintError.
 *
 * @example
 * ```ts
 * parseScope('task:firefly'); // 'task:firefly'
 * ```
 */
export function parseScope(scope: string): ConstraintScope {
  if (scope === 'global') return scope;
  const colon = scope.indexOf(':');
  const kind = scope.slice(0, colon);
  const name = scope.slice(colon + 1);
  if (
    colon < 0 ||
    (kind !== 'task' && kind !== 'group') ||
    !NAME.test(name) ||
    name.includes('\u0000')
  ) {
    throw new InvalidConstraintError(
      `scope ${JSON.stringify(scope)}`,
      'must be global, task:NAME or group:NAME (NAME without / + #)',
    );
  }
  return scope;
}

/**
 * The topic of a scope's constraint of one kind.
 *
 * @example
 * ```ts
 * constraintTopic('task:fly', 'pause'); // 'cascade/constraints/task/fly/pause'
 * ```
 */
export function constraintTopic(scope: ConstraintScope, kind: ConstraintKind): string {
  const s = parseScope(scope);
  const levels = s === 'global' ? 'global' : s.replace(':', '/');
  return `${CONSTRAINT_PREFIX}/${levels}/${kind}`;
}

/**
 * The scope and kind a constraint topic names, or null if it names none.
 *
 * @example
 * ```ts
 * topicConstraint('cascade/constraints/group/fireflies/rate'); // { scope: 'group:fireflies', kind: 'rate' }
 * ```
 */
export function topicConstraint(
  topic: string,
): { scope: ConstraintScope; kind: ConstraintKind } | null {
  if (!topic.startsWith(`${CONSTRAINT_PREFIX}/`)) return null;
  const levels = topic.slice(CONSTRAINT_PREFIX.length + 1).split('/');
  const kind = levels.at(-1) as ConstraintKind;
  if (!CONSTRAINT_KINDS.includes(kind)) return null;
  if (levels.length === 2 && levels[0] === 'global') return { scope: 'global', kind };
  if (levels.length === 3 && (levels[0] === 'task' || levels[0] === 'group') && levels[1] !== '') {
    return { scope: `${levels[0]}:${levels[1]}`, kind };
  }
  return null;
}

/**
 * Validate a payload for `scope` and `kind` into a Constraint. [CTL-1]
 * @throws InvalidConstraintError naming what is wrong
 *
 * @example
 * ```ts
 * parseConstraint('global', 'rate', { kind: 'rate', perSec: 100 }); // { scope: 'global', kind: 'rate', perSec: 100 }
 * ```
 */
export function parseConstraint(
  scope: ConstraintScope,
  kind: ConstraintKind,
  payload: unknown,
): Constraint {
  const what = `${kind} on ${scope}`;
  const fail = (reason: string): never => {
    throw new InvalidConstraintError(what, reason);
  };
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return fail(`payload must be a JSON object, got ${describe(payload)}`);
  }
  const p = payload as Record<string, unknown>;
  if (p.kind !== kind) fail(`"kind" must be "${kind}" (the topic's), got ${describe(p.kind)}`);
  let expiresAt: number | undefined;
  if (p.expiresAt !== undefined) {
    if (typeof p.expiresAt !== 'number' || !Number.isFinite(p.expiresAt)) {
      fail(`"expiresAt" must be ms since the epoch, got ${describe(p.expiresAt)}`);
    }
    expiresAt = p.expiresAt as number;
  }
  const allowed = new Set(['kind', 'expiresAt', 'scope', 'setBy']);
  const base = { scope, ...(expiresAt !== undefined && { expiresAt }) };
  switch (kind) {
    case 'pause':
      check(p, allowed, fail);
      return { ...base, kind };
    case 'concurrency': {
      check(p, allowed.add('limit'), fail);
      const limit = p.limit;
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
        fail(`"limit" must be an integer >= 1 (pause with a pause), got ${describe(limit)}`);
      }
      return { ...base, kind, limit: limit as number };
    }
    case 'rate': {
      check(p, allowed.add('perSec').add('burst'), fail);
      const perSec = p.perSec;
      if (typeof perSec !== 'number' || !Number.isFinite(perSec) || perSec <= 0) {
        fail(`"perSec" must be a number > 0, got ${describe(perSec)}`);
      }
      if (p.burst !== undefined) {
        if (typeof p.burst !== 'number' || !Number.isFinite(p.burst) || p.burst < 1) {
          fail(`"burst" must be a number >= 1, got ${describe(p.burst)}`);
        }
        return { ...base, kind, perSec: perSec as number, burst: p.burst as number };
      }
      return { ...base, kind, perSec: perSec as number };
    }
  }
}

/**
 * The JSON payload of a constraint (its topic says the scope).
 *
 * @example
 * ```ts
 * constraintPayload({ scope: 'global', kind: 'concurrency', limit: 4 }); // { kind: 'concurrency', limit: 4 }
 * ```
 */
export function constraintPayload(c: Constraint): Record<string, unknown> {
  const { scope: _scope, ...rest } = c;
  return rest;
}

/**
 * A short human description, e.g. `rate 100/s (burst 1)`.
 *
 * @example
 * ```ts
 * describeConstraint({ scope: 'global', kind: 'concurrency', limit: 4 }); // 'concurrency 4'
 * ```
 */
export function describeConstraint(c: Constraint): string {
  switch (c.kind) {
    case 'pause':
      return 'paused';
    case 'concurrency':
      return `concurrency ${c.limit}`;
    case 'rate':
      return `rate ${c.perSec}/s${c.burst === undefined ? '' : ` (burst ${c.burst})`}`;
  }
}

function check(p: Record<string, unknown>, allowed: Set<string>, fail: (r: string) => never): void {
  for (const key of Object.keys(p)) if (!allowed.has(key)) fail(`unknown field "${key}"`);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`;
  if (Array.isArray(v)) return 'an array';
  return String(v);
}
