/**
 * The timer queue under both clocks: deadlines quantised to a tick, one bucket of timers per
 * tick, and a min-heap of the ticks that have a bucket. Cost per timer is O(1) into an
 * existing bucket and O(log ticks) for a new tick, independent of how many agents sleep.
 *
 * Invariants:
 * - [CLK-2] a timer lands in the first tick at or after its deadline, so it never fires early;
 *   timers in one tick fire in the order they were set (a bucket is an append-only array).
 * - [CLK-3] cancel marks the timer; the queue skips it (lazy deletion, no search).
 */
import type { TimerHandle } from './clock.js';

/** One pending timer. Monomorphic on purpose: the scheduler's hot path walks arrays of these. */
export class Timer implements TimerHandle {
  fn: (() => void) | null;
  constructor(fn: () => void) {
    this.fn = fn;
  }
  cancel(): void {
    this.fn = null;
  }
}

/**
 * Timers bucketed by tick.
 *
 * @example
 * ```ts
 * const q = new TimerQueue(1);
 * q.add(2.5, () => console.log('at tick 3'));
 * q.peekTick(); // 3
 * ```
 */
export class TimerQueue {
  readonly tickMs: number;
  #heap: number[] = [];
  #buckets = new Map<number, Timer[]>();
  #size = 0;

  constructor(tickMs: number) {
    this.tickMs = tickMs;
  }

  /** Number of timers queued, cancelled ones included until their tick is reached. */
  get size(): number {
    return this.#size;
  }

  /** The tick a deadline falls into: the first tick boundary at or after it. */
  tickOf(deadline: number): number {
    const tick = Math.ceil(deadline / this.tickMs);
    return tick * this.tickMs < deadline ? tick + 1 : tick;
  }

  add(deadline: number, fn: () => void): Timer {
    const timer = new Timer(fn);
    this.addTimer(this.tickOf(deadline), timer);
    return timer;
  }

  addTimer(tick: number, timer: Timer): void {
    let bucket = this.#buckets.get(tick);
    if (bucket === undefined) {
      bucket = [];
      this.#buckets.set(tick, bucket);
      this.#push(tick);
    }
    bucket.push(timer);
    this.#size++;
  }

  /** The earliest tick that holds timers, or Infinity. */
  peekTick(): number {
    return this.#heap.length === 0 ? Infinity : this.#heap[0];
  }

  /** Remove and return the bucket of the earliest tick. */
  popBucket(): Timer[] {
    const tick = this.#pop();
    const bucket = this.#buckets.get(tick) ?? [];
    this.#buckets.delete(tick);
    this.#size -= bucket.length;
    return bucket;
  }

  clear(): void {
    this.#heap.length = 0;
    this.#buckets.clear();
    this.#size = 0;
  }

  #push(tick: number): void {
    const h = this.#heap;
    let i = h.length;
    h.push(tick);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p] <= tick) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = tick;
  }

  #pop(): number {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop() as number;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && h[r] < h[l] ? r : l;
        if (h[c] >= last) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
