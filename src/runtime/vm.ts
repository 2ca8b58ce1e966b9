/**
 * The VM loop: runs a task and its tail calls as iterations of one loop — the hot path of
 * long-lived agents (a firefly experiment runs 10^4..10^6 of them, each for millions of
 * iterations).
 *
 * Invariants:
 * - [VM-1] Constant stack: each iteration returns to the loop; nothing recurses.
 * - [VM-2] Flat memory: per iteration the loop allocates at most the merged named-argument
 *   object (none when the change set is empty); no closure, no event, no promise unless the
 *   task returned a thenable or must wait for resources.
 * - [VM-3] A thenable result is awaited; sync results continue synchronously, but after
 *   `yieldEvery` iterations the loop yields once to the event loop (setImmediate), so one
 *   agent cannot starve timers, I/O or other agents.
 * - [VM-4] Constraints, when given, are acquired before and released after every iteration
 *   through the manager's sync fast path; the loop awaits only when it has to wait.
 * - [VM-5] An aborted signal stops the loop before the next iteration with CancelledError.
 */
import { TailCall } from '../spec/tail-call.js';
import type { TaskDef } from '../spec/lazy-result.js';
import type { ResourceManager, ResourceRequest } from './resource-manager.js';
import { CancelledError } from '../errors.js';

type Callable = (...args: unknown[]) => unknown;

/** Options of {@link vmLoop}. */
export interface VmLoopOptions {
  readonly resourceManager: ResourceManager;
  /** Acquired around each iteration, or null. [VM-4] */
  readonly constraints: ResourceRequest | null;
  readonly signal: AbortSignal | undefined;
  /** Iterations between two yields to the event loop. [VM-3] */
  readonly yieldEvery: number;
}

/**
 * Run `def` with `args` and follow its tail calls until it returns a value. If `pending` is a
 * TailCall, the first call already happened and the loop continues from it.
 *
 * @example
 * ```ts
 * const n = await vmLoop(countdown.def, [{ n: 1e6 }], null, {
 *   resourceManager: rm, constraints: null, signal: undefined, yieldEvery: 1024,
 * });
 * ```
 */
export async function vmLoop(
  def: TaskDef,
  args: readonly unknown[],
  pending: TailCall | null,
  options: VmLoopOptions,
): Promise<unknown> {
  const rm = options.resourceManager;
  const req = options.constraints;
  const signal = options.signal;
  const every = options.yieldEvery;
  const own: unknown[] = [undefined];
  let fn = def.fn as Callable;
  let a: readonly unknown[] = args;
  let budget = every;
  let r: unknown = pending;
  for (;;) {
    if (r === null) {
      if (signal !== undefined && signal.aborted) {
        throw new CancelledError('run cancelled', { cause: signal.reason }); // [VM-5]
      }
      if (req === null) {
        r = Reflect.apply(fn, undefined, a);
        if (isThenable(r)) r = await r;
      } else {
        if (!rm.tryAcquire(req)) await rm.acquire(req, signal); // [VM-4]
        try {
          r = Reflect.apply(fn, undefined, a);
          if (isThenable(r)) r = await r;
        } finally {
          rm.release(req);
        }
      }
    }
    if (!(r instanceof TailCall)) return r;
    // [TAIL-1..3]
    if (r.target !== null) fn = r.target.fn as Callable;
    if (r.list !== null) {
      a = r.list;
    } else {
      const changed = r.named!;
      const prev = a[0];
      own[0] = isEmpty(changed) ? prev : Object.assign({}, prev, changed);
      a = own;
    }
    r = null;
    if (--budget === 0) {
      budget = every;
      await yieldToEventLoop(); // [VM-3]
    }
  }
}

/**
 * True for promises and other thenables.
 *
 * @example
 * ```ts
 * isThenable(Promise.resolve(1)); // true
 * ```
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value instanceof Promise ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as { then?: unknown }).then === 'function')
  );
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
