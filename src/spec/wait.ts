/**
 * waitFor / waitUntil: how a long-lived agent waits without a promise. In VM mode a task may
 * return a `Wait` instead of awaiting: the iteration ends, the agent is parked (no promise,
 * no closure, no suspended async frame), and the next iteration runs with the same arguments
 * (as `tailCall({})`) once the wait is over. The task then looks at what changed itself
 * (`inbox.tryRecv()`, `clock.now()`).
 *
 * Why: an agent that awaits a message per iteration holds a promise, its reactions and an
 * async frame for as long as it waits. A million such agents keep a million of each alive
 * across garbage collections; a parked agent holds only its own fields.
 *
 * Invariants (kept by the VM loop and by every WaitSource):
 * - [WAIT-1] `waitFor(source, deadline)` ends when the source is ready (a channel holds a
 *   message or is closed) or when its clock reaches `deadline`, whichever comes first; a
 *   source that is ready already does not park at all.
 * - [WAIT-2] `waitUntil(clock, deadline)` ends when `clock.now() >= deadline`.
 * - [WAIT-3] A parked agent is woken at most once per wait, never from inside another agent's
 *   step (a send that readies a source defers the wake to a microtask), and never after its
 *   run was cancelled.
 */
import { InvalidArgumentError } from '../errors.js';

/** Who is woken when a source becomes ready: the VM loop of a parked agent. */
export interface Waker {
  /** Called once, as a method (`waker.wake()`), when the source the waker is parked on is ready. */
  wake(): void;
}

/** The part of a Clock that a timed wait needs (structurally the runtime's Clock). */
export interface WaitClock {
  now(): number;
  createTimer(fn: () => void): { arm(deadline: number): void; cancel(): void };
}

/**
 * Something an agent can wait on: a DirectChannel implements it. The source only says when it
 * is ready; the deadline of `waitFor(source, deadline)` is kept by the waiting agent's own
 * timer on the source's clock, so a source holds no timer for its waiters. [WAIT-1]
 */
export interface WaitSource {
  /** The clock a `waitFor(source, deadline)` deadline is read on. */
  readonly clock: WaitClock;
  /**
   * Park `waker` until this source is ready; then call `waker.wake()` once, from a microtask.
   * Returns false, without parking, when the source is ready already.
   */
  park(waker: Waker): boolean;
  /**
   * Forget a parked waker. Returns true if it was parked here; false if it was not, or if the
   * source has readied it already (its `wake()` is on its way).
   */
  unpark(waker: Waker): boolean;
}

/**
 * What a task returns to wait. Create it with {@link waitFor} or {@link waitUntil}, or keep one
 * and re-aim it with {@link Wait.for} / {@link Wait.until}: the VM loop reads a Wait once, at
 * the moment the step returns it, so a synchronous step may return the same object every time
 * (no allocation per step; an async step should not share one).
 *
 * @example
 * ```ts
 * const w = waitUntil(clock, 1000);
 * w instanceof Wait; // true
 * return w.for(inbox, clock.now() + 50); // the same object, now a wait on the inbox
 * ```
 */
export class Wait {
  // Initialised here, not left `undefined` until the constructor runs: a field that only ever
  // holds numbers is stored unboxed and updated in place (no heap number per `for`/`until`).
  #source: WaitSource | null = null;
  #clock: WaitClock | null = null;
  #deadline = 0;

  /** @internal Use {@link waitFor} or {@link waitUntil}. */
  constructor(source: WaitSource | null, clock: WaitClock | null, deadline: number) {
    this.#source = source;
    this.#clock = clock;
    this.#deadline = deadline;
  }

  /** The source waited on, or null for a plain timed wait. */
  get source(): WaitSource | null {
    return this.#source;
  }
  /** The clock of a plain timed wait, or null. */
  get clock(): WaitClock | null {
    return this.#clock;
  }
  /** Absolute time (of the source's or the clock's time) at which the wait ends anyway. */
  get deadline(): number {
    return this.#deadline;
  }

  /** Re-aim this Wait as `waitFor(source, deadline)` and return it. */
  for(source: WaitSource, deadline = Infinity): this {
    checkSource(source, deadline);
    this.#source = source;
    this.#clock = null;
    this.#deadline = deadline;
    return this;
  }

  /** Re-aim this Wait as `waitUntil(clock, deadline)` and return it. */
  until(clock: WaitClock, deadline: number): this {
    checkClock(clock, deadline);
    this.#source = null;
    this.#clock = clock;
    this.#deadline = deadline;
    return this;
  }
}

function checkSource(source: WaitSource, deadline: number): void {
  if (typeof source?.park !== 'function') {
    throw new InvalidArgumentError('source', source, 'must be a WaitSource (a DirectChannel)');
  }
  if (Number.isNaN(deadline)) throw new InvalidArgumentError('deadline', deadline, 'is NaN');
}

function checkClock(clock: WaitClock, deadline: number): void {
  if (typeof clock?.createTimer !== 'function') {
    throw new InvalidArgumentError('clock', clock, 'must be a Clock');
  }
  if (!(deadline < Infinity) || Number.isNaN(deadline)) {
    throw new InvalidArgumentError('deadline', deadline, 'must be a finite number');
  }
}

/**
 * End this iteration and run the next one when `source` is ready or at `deadline` (absolute,
 * on the source's clock; default: no deadline). [WAIT-1]
 *
 * @example
 * ```ts
 * const step = task(({ inbox, seen }: { inbox: DirectChannel<string>; seen: number }) => {
 *   const msg = inbox.tryRecv();
 *   if (msg === EMPTY) return inbox.closed ? seen : waitFor(inbox); // parked until a message
 *   return msg === 'stop' ? seen : tailCall({ seen: seen + 1 });
 * });
 * ```
 */
export function waitFor(source: WaitSource, deadline = Infinity): Wait {
  checkSource(source, deadline);
  return new Wait(source, null, deadline);
}

/**
 * End this iteration and run the next one when `clock.now() >= deadline`. [WAIT-2]
 *
 * @example
 * ```ts
 * // every 500 ms of `clock`, n times
 * const tick = task(({ clock, next, n }: { clock: Clock; next: number; n: number }) => {
 *   if (clock.now() < next) return waitUntil(clock, next);
 *   return n === 0 ? 'done' : tailCall({ next: next + 500, n: n - 1 });
 * });
 * ```
 */
export function waitUntil(clock: WaitClock, deadline: number): Wait {
  checkClock(clock, deadline);
  return new Wait(null, clock, deadline);
}
