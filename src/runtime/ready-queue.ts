/**
 * The ready queue: wake-ups deferred out of the code that caused them (a `send` that readies a
 * parked receiver), run in FIFO order from one microtask per batch.
 *
 * Why not `queueMicrotask(waker.wake)` per wake-up: Node wraps every `queueMicrotask` callback
 * in an AsyncResource and a bound function, which is most of the cost of a wake-up when a
 * million agents pass pulses. Here a wake-up is one array slot.
 *
 * Invariants:
 * - [RDY-1] A pushed waker runs after the current synchronous code, never inside `push`.
 * - [RDY-2] Wakers run in push order, including those pushed while the queue drains.
 * - [RDY-3] A waker that throws does not stop the others; the error is rethrown from a
 *   microtask of its own, as an uncaught exception like any other.
 */
import type { Waker } from '../spec/wait.js';

/**
 * @example
 * ```ts
 * const ready = new ReadyQueue();
 * ready.push({ wake: () => console.log('second') });
 * console.log('first');
 * ```
 */
export class ReadyQueue {
  #items: (Waker | undefined)[] = [];
  #count = 0;
  #scheduled = false;
  readonly #drain = (): void => {
    const items = this.#items;
    // `#count` may grow while we run: wakers pushed now run in this same drain [RDY-2]
    for (let i = 0; i < this.#count; i++) {
      const waker = items[i]!;
      items[i] = undefined;
      try {
        waker.wake();
      } catch (error) {
        queueMicrotask(() => {
          throw error; // [RDY-3]
        });
      }
    }
    this.#count = 0;
    this.#scheduled = false;
  };

  /** Wakers waiting to run. */
  get size(): number {
    return this.#count;
  }

  /** Run `waker.wake()` soon, after the current synchronous code. [RDY-1] */
  push(waker: Waker): void {
    this.#items[this.#count++] = waker;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
  }
}

let shared: ReadyQueue | null = null;

/**
 * The ready queue channels use when none is given: created on first use. Like the microtask
 * queue it stands on, it holds nothing between drains.
 *
 * @example
 * ```ts
 * defaultReadyQueue().push(waker);
 * ```
 */
export function defaultReadyQueue(): ReadyQueue {
  return (shared ??= new ReadyQueue());
}
