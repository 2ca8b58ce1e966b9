/**
 * The timer queue under both clocks: deadlines quantised to a tick, one bucket per tick, and
 * a min-heap of the ticks that have a bucket. A bucket is an intrusive doubly-linked list of
 * timers, so cancelling or re-arming a timer unlinks it in O(1) and a re-armable timer costs
 * no allocation at all: an agent that waits a million times reuses one timer object, and a
 * cancelled timer is garbage at once instead of lingering until its tick (which made the old
 * array buckets promote millions of dead timers to the old generation).
 *
 * Invariants:
 * - [CLK-2] a timer lands in the first tick at or after its deadline, so it never fires early;
 *   timers in one tick fire in the order they were armed (append at the tail).
 * - [CLK-3] cancel unlinks the timer; it never fires. Cancelling twice is a no-op.
 */
import type { TimerHandle } from './clock.js';

/** Timers armed for one tick, oldest first. */
export class TimerBucket {
  head: Timer | null = null;
  tail: Timer | null = null;
  readonly tick: number;
  readonly #queue: TimerQueue;
  constructor(tick: number, queue: TimerQueue) {
    this.tick = tick;
    this.#queue = queue;
  }
  get queue(): TimerQueue {
    return this.#queue;
  }
}

/**
 * One timer. Monomorphic on purpose: the scheduler's hot path walks lists of these. A timer
 * from {@link TimerQueue.add} fires once; {@link TimerQueue.arm} re-arms the same object.
 */
export class Timer implements TimerHandle {
  fn: () => void;
  prev: Timer | null = null;
  next: Timer | null = null;
  bucket: TimerBucket | null = null;

  constructor(fn: () => void) {
    this.fn = fn;
  }

  /** True while armed (linked into a bucket). */
  get armed(): boolean {
    return this.bucket !== null;
  }

  cancel(): void {
    const b = this.bucket;
    if (b !== null) b.queue.unlink(this);
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
  #buckets = new Map<number, TimerBucket>();
  #size = 0;

  constructor(tickMs: number) {
    this.tickMs = tickMs;
  }

  /** Number of armed timers. */
  get size(): number {
    return this.#size;
  }

  /** The tick a deadline falls into: the first tick boundary at or after it. */
  tickOf(deadline: number): number {
    const tick = Math.ceil(deadline / this.tickMs);
    return tick * this.tickMs < deadline ? tick + 1 : tick;
  }

  /** A new timer armed for `deadline`. */
  add(deadline: number, fn: () => void): Timer {
    const timer = new Timer(fn);
    this.#link(this.tickOf(deadline), timer);
    return timer;
  }

  /** (Re-)arm `timer` for `deadline`, unlinking it first if it is armed. Returns its tick. */
  arm(timer: Timer, deadline: number): number {
    if (timer.bucket !== null) this.unlink(timer);
    const tick = this.tickOf(deadline);
    this.#link(tick, timer);
    return tick;
  }

  /** The earliest tick that may hold timers (its bucket may have emptied), or Infinity. */
  peekTick(): number {
    return this.#heap.length === 0 ? Infinity : this.#heap[0];
  }

  /**
   * Remove the earliest tick's bucket from the queue and return it. Its timers stay linked to
   * it (the caller fires them from the head, unlinking each); timers armed for the same tick
   * from now on go to a new bucket, after these.
   */
  popBucket(): TimerBucket {
    const tick = this.#pop();
    const bucket = this.#buckets.get(tick) as TimerBucket;
    this.#buckets.delete(tick);
    return bucket;
  }

  /** Unlink `timer` from its bucket (it will not fire). */
  unlink(timer: Timer): void {
    const b = timer.bucket;
    if (b === null) return;
    const prev = timer.prev;
    const next = timer.next;
    if (prev === null) b.head = next;
    else prev.next = next;
    if (next === null) b.tail = prev;
    else next.prev = prev;
    timer.prev = timer.next = null;
    timer.bucket = null;
    this.#size--;
  }

  #link(tick: number, timer: Timer): void {
    let b = this.#buckets.get(tick);
    if (b === undefined) {
      b = new TimerBucket(tick, this);
      this.#buckets.set(tick, b);
      this.#push(tick);
    }
    const tail = b.tail;
    timer.prev = tail;
    timer.next = null;
    if (tail === null) b.head = timer;
    else tail.next = timer;
    b.tail = timer;
    timer.bucket = b;
    this.#size++;
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
