/**
 * The timer queue under both clocks: deadlines quantised to a tick, in two levels. Near ticks
 * (those before `spreadEnd`) have a bucket each, in a min-heap of ticks; a tick further ahead
 * goes to the coarse bucket of its span of {@link SPAN} ticks, in a second heap. When no near
 * tick is left, the earliest span is spread: its entries move, in order, to near buckets. A
 * bucket is a list of entries in arm order (in chunks of a pool): (timer, generation), plus the tick in a coarse
 * bucket. Arming a timer appends an entry and bumps the timer's generation; cancelling only
 * bumps it. An entry whose generation is no longer the timer's is stale and skipped when its
 * tick fires.
 *
 * Why two levels: with a million agents, deadlines spread over the next few seconds, one
 * bucket per tick means thousands of live buckets, and every arm appends to a different one
 * (a cache miss on the bucket, its array and the array's end). With spans of 64 ticks, arms
 * land in about a hundred buckets that stay in cache; spreading a span later is a sequential
 * copy that never touches the timers.
 *
 * Why buckets are pooled: every arm stores the bucket in the timer (`timer.bucket`). A bucket
 * made per tick is young while a million timers (fibers) are old, so each arm would record an
 * old-to-young pointer for the next scavenge to visit: at 1,000,000 agents scavenges took
 * 20-65 ms, and a worker shard's scavenge stalls every other shard at the barrier. A done
 * bucket goes back to its level's pool instead (a coarse one once every near bucket spread
 * from it is done, since its timers name it until they fire) and is reused for a later tick,
 * so after warm-up every bucket is old and an arm stores an old pointer into an old object.
 *
 * Why lazy deletion rather than unlinking: with a million agents every wake-up re-arms a timer
 * somewhere in memory. Unlinking from a list touches the two neighbouring timers (two cache
 * misses each time); bumping a counter touches only the timer the caller holds already. A
 * re-armable timer still costs no allocation per arm (an entry is two array slots).
 *
 * Invariants:
 * - Keeps [CLK-2]: a timer lands in the first tick at or after its deadline, so it never fires early;
 *   timers in one tick fire in the order they were (last) armed.
 * - Keeps [CLK-3]: cancel makes the timer's entry stale; it never fires. Cancelling twice is a no-op.
 * - [TQ-2] Each chunk of a bucket's timers is read once before its first entry fires
 *   (src/runtime/prefetch.ts); it changes nothing.
 * - [TQ-3] {@link TimerQueue.popAll} takes every bucket at once, coarse spans unspread: a span's
 *   timers then fire in arm order, the near ones by tick.
 * - [TQ-1] Buckets are pooled: a done bucket (and a spread coarse bucket once every near bucket
 *   spread from it is done) is reused for a later tick of its level, so a steady run makes no
 *   new buckets; no timer still names a bucket when it is reused.
 */
import type { TimerHandle } from './clock.js';
import { prefetchSink } from './prefetch.js';

/** A timer's next generation; generations wrap within the small-integer range. */
function nextGen(timer: Timer): number {
  return (timer.gen + 1) & 0x3fffffff;
}
/** Slots per chunk of a bucket's entries: a multiple of 2 (near) and of 3 (coarse); 24 KB. */
const CHUNK = 6144;
/** Slots of the direct-mapped bucket cache in front of each Map (a power of two). */
const WHEEL = 1 << 14;
/** Ticks per coarse bucket (a power of two). */
export const SPAN = 64;

type Entries = (Timer | number | undefined)[];

/**
 * Timers armed for one tick, oldest first: entries are [timer, generation, timer, ...]. A
 * coarse bucket holds a span of ticks: [timer, generation, tick, ...].
 */
export class TimerBucket {
  /** The tick, or the first tick of a coarse bucket's span (a pooled bucket is reused). */
  tick: number;
  /**
   * Interleaved entries, slots `[0, length)` over chunks of {@link CHUNK} slots; stale ones
   * stay until the tick fires. Chunks come from the queue's pool and go back to it once the
   * bucket is fired or spread: arming allocates nothing in the steady state, and a bucket
   * that holds more than before takes another chunk instead of growing an array (a grown
   * array is a new one, and a large one is promoted whole at the next scavenge).
   */
  readonly chunks: Entries[] = [];
  /** Slots in use: every chunk is full but the last. */
  length = 0;
  /** Slot of the next entry to fire (a bucket may be fired in several slices). */
  next = 0;
  /**
   * A near bucket filled by spreading a coarse one: that coarse bucket. Timers whose entries
   * were moved still name it as their bucket (spreading does not touch them).
   */
  origin: TimerBucket | null = null;
  /** A spread coarse bucket: near buckets spread from it that are not done yet. */
  spreadLeft = 0;
  /** Slots an entry takes: 2 in a near bucket, 3 (with the tick) in a coarse one. */
  readonly stride: 2 | 3;
  readonly #queue: TimerQueue;
  constructor(tick: number, queue: TimerQueue, stride: 2 | 3 = 2) {
    this.tick = tick;
    this.#queue = queue;
    this.stride = stride;
  }
  get queue(): TimerQueue {
    return this.#queue;
  }

  /** Append a (timer, generation) entry (a near bucket's shape). */
  append(timer: Timer, gen: number): void {
    const n = this.#reserve(2);
    const tail = this.chunks[this.chunks.length - 1];
    tail[n] = timer;
    tail[n + 1] = gen;
  }

  /** Append a (timer, generation, tick) entry (a coarse bucket's shape). */
  append3(timer: Timer, gen: number, tick: number): void {
    const n = this.#reserve(3);
    const tail = this.chunks[this.chunks.length - 1];
    tail[n] = timer;
    tail[n + 1] = gen;
    tail[n + 2] = tick;
  }

  /** Give the chunks back to the queue's pool and forget the entries (they hold no timer). */
  clear(): void {
    const chunks = this.chunks;
    for (let i = 0; i < chunks.length; i++) this.#queue.giveChunk(chunks[i]);
    chunks.length = 0;
    this.length = 0;
    this.next = 0;
  }

  /**
   * Room for `slots` more in the last chunk (a new one when it is full; CHUNK is a multiple of
   * both entry sizes, so an entry never straddles two): where they start in it.
   */
  #reserve(slots: number): number {
    const length = this.length;
    const chunks = this.chunks;
    if (length === chunks.length * CHUNK) chunks.push(this.#queue.takeChunk());
    this.length = length + slots;
    return length - (chunks.length - 1) * CHUNK;
  }
}

/**
 * One timer: the scheduler's hot path walks buckets of these (a plain Timer, a clock's
 * re-armable QueuedTimer, or a VM fiber, which is its own timer). A timer from
 * {@link TimerQueue.add} fires once; {@link TimerQueue.arm} re-arms the same object.
 */
export class Timer implements TimerHandle {
  /** Called as `timer.fn()`, so `this` is the timer: a subclass may share one function. */
  fn: () => void;
  /** Bumped on every arm and cancel: entries with another generation are stale. */
  gen = 0;
  /**
   * The bucket holding this timer's live entry (or the coarse bucket it was spread from), or
   * null when not armed.
   */
  bucket: TimerBucket | null = null;

  constructor(fn: () => void) {
    this.fn = fn;
  }

  /** True while armed. */
  get armed(): boolean {
    return this.bucket !== null;
  }

  cancel(): void {
    const b = this.bucket;
    if (b !== null) b.queue.disarm(this);
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
  /** A bucket per tick before `#spreadEnd`. */
  readonly #near = new Level(this, 2);
  /** A bucket per span of later ticks, keyed by the span's first tick. */
  readonly #coarse = new Level(this, 3);
  /** Ticks before this are near; it only grows (one span at a time). */
  #spreadEnd = -Infinity;
  #size = 0;
  /** The bucket of timers armed for `Infinity`: never popped, holds no entries. */
  readonly #never = new TimerBucket(Infinity, this);
  /** Chunks of entries no bucket uses now, shared by both levels. */
  readonly #chunks: Entries[] = [];

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

  /** (Re-)arm `timer` for `deadline`; an earlier arming becomes stale. Returns its tick. */
  arm(timer: Timer, deadline: number): number {
    const tick = this.tickOf(deadline);
    this.armTick(timer, tick);
    return tick;
  }

  /**
   * (Re-)arm `timer` for a tick from {@link tickOf}. A caller on the hot path computes the
   * tick itself (an integer, passed as a small integer) rather than pass the deadline, a
   * fractional number that each call boundary would box in a new heap number.
   */
  armTick(timer: Timer, tick: number): void {
    if (timer.bucket !== null) this.#size--;
    this.#link(tick, timer);
  }

  /** The earliest tick that may hold timers (its bucket may hold only stale ones), or Infinity. */
  peekTick(): number {
    // near ticks all come before every span; spread the earliest span when none is left
    if (this.#near.empty && !this.#coarse.empty) this.#spread();
    return this.#near.peek();
  }

  /**
   * Remove the earliest tick's bucket from the queue and return it; fire it with
   * {@link takeNext}. Timers armed for the same tick from now on go to a new bucket, after
   * these.
   */
  popBucket(): TimerBucket {
    this.peekTick();
    return this.#near.pop();
  }

  /**
   * The next live timer of a popped `bucket` (near, or coarse from {@link popAll}), disarmed
   * (so its callback may re-arm it), or null when the bucket is done. Stale entries are
   * skipped.
   */
  takeNext(bucket: TimerBucket): Timer | null {
    const chunks = bucket.chunks;
    const end = bucket.length;
    const stride = bucket.stride;
    let i = bucket.next;
    const origin = bucket.origin;
    while (i < end) {
      const c = (i / CHUNK) | 0;
      const chunk = chunks[c];
      const base = c * CHUNK;
      const stop = Math.min(end, base + CHUNK);
      if (i === base) readAhead(chunk, stop - base, stride); // [TQ-2]
      for (; i < stop; i += stride) {
        const at = i - base;
        const timer = chunk[at] as Timer;
        const gen = chunk[at + 1] as number;
        chunk[at] = undefined; // the pool must not keep timers alive
        const b = timer.bucket;
        if ((b === bucket || (b === origin && b !== null)) && timer.gen === gen) {
          bucket.next = i + stride;
          timer.bucket = null;
          this.#size--;
          return timer;
        }
      }
    }
    bucket.next = i;
    // done: nothing links into it any more (its live timers fired), nor into the coarse bucket
    // it was spread from once the last of those is done: both go back to their pools
    if (stride === 3) {
      this.#coarse.release(bucket);
      return null;
    }
    if (origin !== null && --origin.spreadLeft === 0) this.#coarse.release(origin);
    this.#near.release(bucket);
    return null;
  }

  /**
   * Remove every bucket from the queue: the near ones by tick, then the coarse spans by their
   * first tick, not spread [TQ-3]. Fire each with {@link takeNext}; timers armed from now on
   * go to new buckets and stay queued. For shutdown (Scheduler.fireAllNow): a coarse span
   * fires in the order its timers were armed, not by tick, and spreading a million timers
   * first would cost a copy of each and, at once, chunks for all of them.
   */
  popAll(): TimerBucket[] {
    const all: TimerBucket[] = [];
    while (!this.#near.empty) all.push(this.#near.pop());
    while (!this.#coarse.empty) all.push(this.#coarse.pop());
    return all;
  }

  /** Disarm `timer` (it will not fire). */
  disarm(timer: Timer): void {
    if (timer.bucket === null) return;
    timer.bucket = null;
    timer.gen = nextGen(timer);
    this.#size--;
  }

  #link(tick: number, timer: Timer): void {
    const gen = nextGen(timer);
    timer.gen = gen;
    this.#size++;
    if (tick === Infinity) {
      // never fires: armed (counted, cancellable) but in no bucket, so nothing is kept for it
      timer.bucket = this.#never;
      return;
    }
    if (tick < this.#spreadEnd) {
      const b = this.#near.get(tick);
      timer.bucket = b;
      b.append(timer, gen);
      return;
    }
    const b = this.#coarse.get(Math.floor(tick / SPAN) * SPAN);
    timer.bucket = b;
    b.append3(timer, gen, tick);
  }

  /** @internal A chunk of entries for a bucket, from the pool. */
  takeChunk(): Entries {
    return this.#chunks.pop() ?? new Array<Timer | number | undefined>(CHUNK);
  }

  /** @internal A chunk a bucket no longer uses (it holds no timer). */
  giveChunk(chunk: Entries): void {
    this.#chunks.push(chunk);
  }

  /**
   * Move the earliest span's entries, in arm order, to near buckets, and make its ticks near.
   * The timers are not touched: they keep naming the coarse bucket, the near buckets' origin.
   */
  #spread(): void {
    const coarse = this.#coarse.pop();
    this.#spreadEnd = coarse.tick + SPAN;
    const chunks = coarse.chunks;
    let last: TimerBucket | null = null;
    for (let c = 0, left = coarse.length; left > 0; c++, left -= CHUNK) {
      const chunk = chunks[c];
      for (let i = 0, end = Math.min(left, CHUNK); i < end; i += 3) {
        const tick = chunk[i + 2] as number;
        if (last === null || last.tick !== tick) {
          last = this.#near.get(tick);
          if (last.origin !== coarse) {
            last.origin = coarse;
            coarse.spreadLeft++;
          }
        }
        last.append(chunk[i] as Timer, chunk[i + 1] as number);
        chunk[i] = undefined; // the pool must not keep timers alive
      }
    }
    coarse.clear();
    if (coarse.spreadLeft === 0) this.#coarse.release(coarse); // held no timer
  }
}

/**
 * One level of buckets: a min-heap of their keys (ticks, or spans' first ticks), the buckets
 * by key with a direct-mapped cache in front of the Map (an arm is an array index, mostly),
 * and a pool of done buckets.
 */
class Level {
  readonly #queue: TimerQueue;
  readonly #stride: 2 | 3;
  readonly #heap: number[] = [];
  readonly #buckets = new Map<number, TimerBucket>();
  readonly #wheel: (TimerBucket | undefined)[] = new Array<TimerBucket | undefined>(WHEEL);
  readonly #free: TimerBucket[] = [];

  constructor(queue: TimerQueue, stride: 2 | 3) {
    this.#queue = queue;
    this.#stride = stride;
  }

  get empty(): boolean {
    return this.#heap.length === 0;
  }

  /** The smallest key, or Infinity. */
  peek(): number {
    return this.#heap.length === 0 ? Infinity : this.#heap[0];
  }

  /** The bucket of `key`, created if need be. */
  get(key: number): TimerBucket {
    const slot = key & (WHEEL - 1);
    let b = this.#wheel[slot];
    if (b === undefined || b.tick !== key) {
      b = this.#buckets.get(key);
      if (b === undefined) {
        b = this.#free.pop();
        if (b === undefined) b = new TimerBucket(key, this.#queue, this.#stride);
        else b.tick = key;
        this.#buckets.set(key, b);
        heapPush(this.#heap, key);
      }
      this.#wheel[slot] = b;
    }
    return b;
  }

  /** Remove the bucket of the smallest key and return it (the level must not be empty). */
  pop(): TimerBucket {
    const key = heapPop(this.#heap);
    const b = this.#buckets.get(key) as TimerBucket;
    this.#buckets.delete(key);
    const slot = key & (WHEEL - 1);
    if (this.#wheel[slot] === b) this.#wheel[slot] = undefined;
    return b;
  }

  /**
   * Take back a popped bucket that nothing names any more (its chunks go to the queue's
   * pool) for a later key of this level.
   */
  release(b: TimerBucket): void {
    b.clear();
    b.origin = null;
    b.spreadLeft = 0;
    this.#free.push(b);
  }
}

/**
 * Read the timers of a chunk's first `slots` back to back, so that their cache misses overlap
 * here, where firing would meet them one at a time [TQ-2].
 */
function readAhead(chunk: Entries, slots: number, stride: number): void {
  let sum = 0;
  for (let i = 0; i < slots; i += stride) sum += (chunk[i] as Timer).gen;
  prefetchSink.value = sum;
}

function heapPush(h: number[], tick: number): void {
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

function heapPop(h: number[]): number {
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
