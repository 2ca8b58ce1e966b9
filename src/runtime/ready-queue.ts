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
 * - [RDY-4] At most `perTurn` wakers run per turn of the event loop; the rest wait for a
 *   `setImmediate`. Agents that wake each other in a cycle (ping-pong over two channels) would
 *   otherwise run in one endless microtask and starve timers and I/O. A virtual Scheduler does
 *   not move time on while a queue it waits for (the default one, or its `readyQueues`) still
 *   holds wakers [SCH-2].
 * - [RDY-5] A drain first reads the wakers about to run (up to 4,096), back to back, so that
 *   their cache misses overlap (src/runtime/prefetch.ts); it runs none of them.
 */
import type { Waker } from '../spec/wait.js';
import { InvalidArgumentError } from '../errors.js';
import { prefetchSink } from './prefetch.js';

/** Options of a {@link ReadyQueue}. */
export interface ReadyQueueOptions {
  /** Wakers run per turn of the event loop before yielding with `setImmediate` (default 65,536). */
  perTurn?: number;
}

/**
 * @example
 * ```ts
 * const ready = new ReadyQueue();
 * ready.push({ wake: () => console.log('second') });
 * console.log('first');
 * ```
 */
/** Wakers read ahead at the start of a drain [RDY-5]. */
const PREFETCH = 4096;

export class ReadyQueue {
  /** Slots `[#head, #tail)` hold wakers; the array keeps its size for the next batch. */
  #items: (Waker | undefined)[] = [];
  #head = 0;
  #tail = 0;
  #scheduled = false;
  readonly #perTurn: number;
  readonly #drain = (): void => {
    const items = this.#items;
    const perTurn = this.#perTurn;
    let ran = 0;
    // [RDY-5] read the wakers about to run back to back, so their cache misses overlap
    let sum = 0;
    for (let i = this.#head, end = Math.min(this.#tail, this.#head + PREFETCH); i < end; i++)
      if (typeof items[i]!.wake === 'function') sum++;
    prefetchSink.value = sum;
    // `#tail` may grow while we run: wakers pushed now run in this same drain [RDY-2]
    while (this.#head < this.#tail) {
      if (ran === perTurn) {
        setImmediate(this.#drain); // [RDY-4] the event loop gets its turn first
        return;
      }
      const waker = items[this.#head]!;
      items[this.#head++] = undefined;
      ran++;
      try {
        waker.wake();
      } catch (error) {
        queueMicrotask(() => {
          throw error; // [RDY-3]
        });
      }
    }
    this.#head = 0;
    this.#tail = 0;
    this.#scheduled = false;
  };

  constructor(options: ReadyQueueOptions = {}) {
    const perTurn = options.perTurn ?? 65_536;
    if (!Number.isInteger(perTurn) || perTurn < 1) {
      throw new InvalidArgumentError('perTurn', perTurn, 'must be an integer >= 1');
    }
    this.#perTurn = perTurn;
  }

  /** Wakers waiting to run. */
  get size(): number {
    return this.#tail - this.#head;
  }

  /** Run `waker.wake()` soon, after the current synchronous code. [RDY-1] */
  push(waker: Waker): void {
    this.#items[this.#tail++] = waker;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
  }
}

let shared: ReadyQueue | null = null;

/**
 * The ready queue channels use when none is given: created on first use. Between batches it
 * holds no waker (its array keeps its length for the next batch).
 *
 * @example
 * ```ts
 * defaultReadyQueue().push(waker);
 * ```
 */
export function defaultReadyQueue(): ReadyQueue {
  return (shared ??= new ReadyQueue());
}
