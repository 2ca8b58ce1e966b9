/**
 * tailCall: how a long-lived agent continues. A task returns `tailCall(...)` instead of a
 * value and, in VM mode, the engine runs the next iteration in the same loop — no recursion,
 * no growing stack, no graph.
 *
 * Invariants:
 * - [TAIL-1] `tailCall({ ...changed })` re-runs the same task with `changed` merged over the
 *   previous first (named) argument: `Object.assign({}, prev, changed)`; an empty `changed`
 *   reuses the previous object as is.
 * - [TAIL-2] `tailCall([a, b])` re-runs the same task with that whole positional list.
 * - [TAIL-3] `tailCall(other, args)` continues as task `other` with `args` (an array is the
 *   positional list; anything else is the single argument). Arguments of a tail call are plain
 *   values: LazyResults and `inject` placeholders are not resolved there.
 */
import type { TaskDef } from './lazy-result.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * The continuation a task returns. Create it with {@link tailCall}.
 *
 * @example
 * ```ts
 * const r = tailCall({ n: 1 });
 * r instanceof TailCall; // true
 * ```
 */
export class TailCall {
  /** The task to continue as; `null` = the same task. */
  readonly target: TaskDef | null;
  /** Named arguments to merge over the previous first argument, or `null`. */
  readonly named: Readonly<Record<string, unknown>> | null;
  /** The complete positional argument list, or `null`. */
  readonly list: readonly unknown[] | null;

  /** @internal Use {@link tailCall}. */
  constructor(
    target: TaskDef | null,
    named: Readonly<Record<string, unknown>> | null,
    list: readonly unknown[] | null,
  ) {
    this.target = target;
    this.named = named;
    this.list = list;
  }
}

/** Anything a task factory exposes that `tailCall` needs: its definition. */
export interface TailCallable {
  readonly def: TaskDef;
}

/**
 * Continue as the next iteration: with changed named arguments, a new positional list, or as
 * another task.
 *
 * @example
 * ```ts
 * const countdown = task(({ n }: { n: number; label: string }) =>
 *   n === 0 ? 'done' : tailCall({ n: n - 1 }),
 * );
 * await engine.run(countdown({ n: 1_000_000, label: 'x' }), { vm: true }); // 'done'
 *
 * const ping = task((n: number): unknown => (n === 0 ? 'ping' : tailCall(pong, [n - 1])));
 * const pong = task((n: number): unknown => (n === 0 ? 'pong' : tailCall(ping, [n - 1])));
 * ```
 */
export function tailCall(changed: object): TailCall;
export function tailCall(next: TailCallable, args?: unknown): TailCall;
export function tailCall(first: object, args?: unknown): TailCall {
  if (typeof first === 'function' && typeof (first as Partial<TailCallable>).def === 'object') {
    const def = (first as unknown as TailCallable).def;
    if (args === undefined) return new TailCall(def, null, EMPTY);
    return new TailCall(def, null, Array.isArray(args) ? args : [args]);
  }
  if (Array.isArray(first)) return new TailCall(null, null, first);
  if (typeof first === 'object' && first !== null) {
    return new TailCall(null, first as Record<string, unknown>, null);
  }
  throw new InvalidArgumentError(
    'tailCall',
    first,
    'must be named arguments, an argument list or a task',
  );
}

const EMPTY: readonly unknown[] = Object.freeze([]);
