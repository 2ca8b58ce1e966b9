/**
 * The Scheduler owns a clock and an RNG and fires every timer of a run. DESIGN.md §3.
 *
 * Invariants:
 * - [SCH-1] Real clock: at most one `setTimeout` is armed, for the earliest tick; all timers
 *   due in a tick wake as one batch.
 * - [SCH-2] Virtual clock: when nothing is runnable, time jumps to the next due tick; a tick's
 *   wake-ups (and everything they cause, microtasks included) finish before time moves on.
 * - [SCH-3] Fairness: wake-ups are fired in slices; after each slice the scheduler yields with
 *   `setImmediate`, so timers, I/O and the renderer get their turn. With the real clock the
 *   slice size adapts to keep a slice (wake-ups plus the work they cause) under `budgetMs`;
 *   with the virtual clock it is fixed, so the run stays deterministic.
 * - [SCH-4] With a seed, `rng` yields the same sequence every run.
 */
import { InvalidArgumentError } from '../errors.js';
import { RealClock } from './real-clock.js';
import { SeededRng } from './rng.js';
import type { Timer, TimerBucket } from './timer-queue.js';
import { VirtualClock } from './virtual-clock.js';
import { ReadyQueue, defaultReadyQueue } from './ready-queue.js';
import { performance } from 'node:perf_hooks';

export type ClockKind = 'real' | 'virtual';

export interface SchedulerOptions {
  /** `'real'` (wall time, default) or `'virtual'` (discrete-event time). */
  clock?: ClockKind;
  /** Seed of the scheduler's RNG (default 1). */
  seed?: number;
  /** Deadline quantum in ms of clock time (default 1). */
  tickMs?: number;
  /** Real clock: target wall ms per slice of wake-ups before yielding (default 4). */
  budgetMs?: number;
  /** Real clock: simulated ms per wall ms (default 1). */
  speed?: number;
  /** Virtual clock: wake-ups fired per slice (default 4096). */
  sliceSize?: number;
  /**
   * Virtual clock: the ready queues whose wake-ups must all have run before time moves on
   * [SCH-2] (default: the one channels use when none is given). Name every queue you hand to
   * a channel of this run (`new DirectChannel({ ready })`).
   */
  readyQueues?: readonly ReadyQueue[];
}

/** Counters a diagnostic can print. */
export interface SchedulerStats {
  /** Timers fired (cancelled ones not counted). */
  fired: number;
  /** Slices run, each followed by a yield to the event loop. */
  slices: number;
  /** Longest slice in wall ms, wake-ups plus the microtasks they caused. */
  maxSliceMs: number;
  /** Real clock: the worst lateness of a batch, in clock ms past its tick. */
  maxLateMs: number;
  /** Timer callbacks that threw (the scheduler goes on; see `lastTimerError`). */
  timerErrors: number;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Drives a clock's timers. Create one per run (no global state) and pass `scheduler.clock`
 * and `scheduler.rng` to whatever waits or draws random numbers.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ clock: 'virtual', seed: 42 });
 * const order: number[] = [];
 * scheduler.clock.setTimer(20, () => order.push(20));
 * scheduler.clock.setTimer(10, () => order.push(10));
 * await scheduler.runUntil(100); // order is [10, 20], scheduler.clock.now() is 100
 * ```
 */
export class Scheduler {
  readonly kind: ClockKind;
  readonly clock: RealClock | VirtualClock;
  readonly rng: SeededRng;
  readonly seed: number;
  /** Simulated ms per wall ms: the real clock's speed, 1 for the virtual clock. */
  readonly speed: number;
  readonly stats: SchedulerStats = {
    fired: 0,
    slices: 0,
    maxSliceMs: 0,
    maxLateMs: 0,
    timerErrors: 0,
  };
  /** The last error a timer callback threw, for diagnostics. */
  lastTimerError: unknown = undefined;

  readonly #budgetMs: number;
  readonly #virtualSlice: number;
  readonly #readyQueues: readonly ReadyQueue[] | null;
  #slice = 1024;
  #running = false;
  #stopped = false;
  #current: TimerBucket | null = null;
  #armed: ReturnType<typeof setTimeout> | null = null;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;

  constructor(options: SchedulerOptions = {}) {
    const kind = options.clock ?? 'real';
    if (kind !== 'real' && kind !== 'virtual') {
      throw new InvalidArgumentError('clock', kind, 'must be "real" or "virtual"');
    }
    const tickMs = options.tickMs ?? 1;
    if (!(tickMs > 0) || !Number.isFinite(tickMs)) {
      throw new InvalidArgumentError('tickMs', tickMs, 'must be a finite number > 0');
    }
    this.#budgetMs = options.budgetMs ?? 4;
    if (!(this.#budgetMs > 0))
      throw new InvalidArgumentError('budgetMs', this.#budgetMs, 'must be > 0');
    this.#virtualSlice = options.sliceSize ?? 4096;
    if (!Number.isInteger(this.#virtualSlice) || this.#virtualSlice < 1) {
      throw new InvalidArgumentError('sliceSize', this.#virtualSlice, 'must be an integer >= 1');
    }
    const queues = options.readyQueues;
    if (
      queues !== undefined &&
      (!Array.isArray(queues) || !queues.every((q) => q instanceof ReadyQueue))
    ) {
      throw new InvalidArgumentError('readyQueues', queues, 'must be an array of ReadyQueue');
    }
    this.#readyQueues = queues ?? null; // null: the default queue, looked up when needed
    this.kind = kind;
    this.seed = options.seed ?? 1;
    this.rng = new SeededRng(this.seed);
    if (kind === 'real') {
      const clock = new RealClock(tickMs, options.speed ?? 1);
      clock.onEarlier = () => this.#wakeUp();
      this.clock = clock;
      this.speed = clock.speed;
    } else {
      if (options.speed !== undefined && options.speed !== 1) {
        throw new InvalidArgumentError('speed', options.speed, 'applies to the real clock only');
      }
      this.clock = new VirtualClock(tickMs);
      this.speed = 1;
    }
  }

  /** Real clock: start firing timers as they fall due, until {@link stop}. */
  start(): void {
    if (this.kind !== 'real')
      throw new InvalidArgumentError(
        'clock',
        this.kind,
        'start() is for the real clock; use runUntil()',
      );
    if (this.#running) return;
    (this.clock as RealClock).begin();
    this.#stopped = false;
    this.#running = true;
    this.#loop = this.#pumpReal();
  }

  /**
   * Virtual clock: fire everything due up to `time`, then leave the clock at `time`.
   * Real clock: start if needed and resolve when the clock reads `time`.
   */
  async runUntil(time: number): Promise<void> {
    if (this.kind === 'real') {
      this.start();
      await this.clock.sleepUntil(time);
      return;
    }
    if (this.#running)
      throw new InvalidArgumentError('runUntil', time, 'a run is already in progress');
    this.#running = true;
    this.#stopped = false;
    try {
      await this.#pumpVirtual(time);
    } finally {
      this.#running = false;
    }
  }

  /** Stop firing timers. Pending timers stay queued (and never fire unless started again). */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#wakeUp();
    const loop = this.#loop ?? Promise.resolve();
    this.#loop = null;
    return loop;
  }

  /**
   * Fire every pending timer now, in deadline order, without moving the clock: used at
   * shutdown so that every sleeper wakes, sees it should stop, and ends. Returns how many fired.
   */
  fireAllNow(): number {
    const before = this.stats.fired;
    const queue = this.clock.queue;
    // Only the timers pending now: a callback that arms a new timer does not make this loop
    // forever (the new one stays queued).
    const buckets: TimerBucket[] = this.#current === null ? [] : [this.#current];
    while (queue.peekTick() !== Infinity) buckets.push(queue.popBucket());
    for (const bucket of buckets) {
      this.#current = bucket;
      this.#fire(Infinity);
    }
    this.#current = null;
    return this.stats.fired - before;
  }

  /** Timers armed and not yet fired. */
  get pending(): number {
    return this.clock.queue.size;
  }

  async #pumpVirtual(until: number): Promise<void> {
    const clock = this.clock as VirtualClock;
    const queue = clock.queue;
    const tickMs = queue.tickMs;
    // [SCH-2] what became runnable before this call (a send from outside the run, and the
    // wake-ups it queued) runs at the current time, before time moves on
    await this.#settle();
    while (!this.#stopped) {
      if (this.#current === null) {
        const tick = queue.peekTick();
        if (tick === Infinity || tick * tickMs > until) break;
        clock.advanceTo(tick * tickMs);
        this.#current = queue.popBucket();
      }
      const t0 = performance.now();
      this.#fire(this.#virtualSlice);
      await this.#settle();
      this.#noteSlice(performance.now() - t0);
    }
    if (!this.#stopped) clock.advanceTo(until);
  }

  /** Yield to the event loop until the wake-ups a slice caused have all run [SCH-2, RDY-4]. */
  async #settle(): Promise<void> {
    const queues = this.#readyQueues;
    if (queues === null) {
      const ready = defaultReadyQueue();
      do await yieldToLoop();
      while (ready.size > 0);
      return;
    }
    do await yieldToLoop();
    while (queues.some((q) => q.size > 0));
  }

  async #pumpReal(): Promise<void> {
    const clock = this.clock as RealClock;
    const queue = clock.queue;
    const tickMs = queue.tickMs;
    while (!this.#stopped) {
      if (this.#current === null) {
        const tick = queue.peekTick();
        const due = tick * tickMs;
        const now = clock.now();
        if (due > now) {
          await this.#waitFor(tick, clock);
          continue;
        }
        if (now - due > this.stats.maxLateMs) this.stats.maxLateMs = now - due;
        this.#current = queue.popBucket();
      }
      const t0 = performance.now();
      this.#fire(this.#slice);
      await yieldToLoop();
      const ms = performance.now() - t0;
      this.#noteSlice(ms);
      if (ms > this.#budgetMs) this.#slice = Math.max(32, this.#slice >> 1);
      else if (ms < this.#budgetMs / 2) this.#slice = Math.min(1 << 16, this.#slice << 1);
    }
    this.#running = false;
  }

  /** Wait, with one armed timer, until `tick` is due or an earlier timer arrives [SCH-1]. */
  #waitFor(tick: number, clock: RealClock): Promise<void> {
    return new Promise<void>((resolve) => {
      clock.armedTick = tick;
      this.#wake = resolve;
      if (tick !== Infinity) {
        const delay = Math.max(0, clock.wallDelay(tick * clock.queue.tickMs));
        this.#armed = setTimeout(() => this.#wakeUp(), Math.ceil(delay));
      }
    });
  }

  #wakeUp(): void {
    if (this.#armed !== null) {
      clearTimeout(this.#armed);
      this.#armed = null;
    }
    this.clock.armedTick = Infinity;
    const wake = this.#wake;
    this.#wake = null;
    if (wake !== null) wake();
  }

  #fire(max: number): void {
    const bucket = this.#current as TimerBucket;
    const queue = this.clock.queue;
    let fired = 0;
    let timer: Timer | null = null;
    // takeNext disarms before the call: the callback may re-arm the timer
    while (fired < max && (timer = queue.takeNext(bucket)) !== null) {
      fired++;
      try {
        timer.fn();
      } catch (error) {
        this.stats.timerErrors++;
        this.lastTimerError = error;
      }
    }
    this.stats.fired += fired;
    if (timer === null) this.#current = null;
  }

  #noteSlice(ms: number): void {
    this.stats.slices++;
    if (ms > this.stats.maxSliceMs) this.stats.maxSliceMs = ms;
  }
}
