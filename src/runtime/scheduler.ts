/**
 * The Scheduler owns a clock and an RNG and fires every timer of a run. See docs/fireflies.md, "Scheduler and clocks".
 *
 * Invariants:
 * - [SCH-1] Real clock: at most one `setTimeout` is armed, for the earliest tick; all timers
 *   due in a tick wake as one batch.
 * - [SCH-2] Both clocks: when nothing is runnable, time moves to the next due tick; a tick's
 *   wake-ups (and everything they cause, microtasks included) finish before time moves on.
 *   The virtual clock jumps there at once; the real clock waits until its pacing target
 *   reaches the tick (RealClock [RCK-1]). That wait is the only difference between the two,
 *   so a run without outside input gives the same result on either clock at any speed.
 * - [SCH-3] Fairness: wake-ups are fired in slices of `sliceSize`; after each slice the
 *   scheduler yields with `setImmediate`, so timers, I/O and the renderer get their turn. The
 *   slice size is fixed (not adapted to wall time): where a slice ends decides when the
 *   wake-ups it caused run, so it must not depend on the machine's speed.
 * - [SCH-4] With a seed, `rng` yields the same sequence every run.
 * - [SCH-5] `pause()` stops simulated time after the tick being run; `resume()` goes on. A
 *   paused `runUntil` does not resolve until resumed (or stopped).
 * - [SCH-6] `beforeTick(time)` runs once per visited tick, when the clock has reached it and
 *   before any of its timers fire; what it wakes runs (at that time) before them too. A tick
 *   asked for with `visit(time)` is visited even when no timer is due in it. Together they let
 *   a caller deliver, at a tick's start, what the tick before produced (pulses with one tick
 *   of delay, in an order that does not depend on the timers' order).
 * - [SCH-7] Virtual clock: while work of the current tick is held outside the scheduler
 *   (`hold()`, e.g. a step waiting at the control plane's gate for a rate token, which comes
 *   on wall time), time does not move on; it goes on once every hold is released and what
 *   the released work caused has run. A limit then slows a virtual run down without changing
 *   it. The real clock ignores holds: there, held work simply runs late.
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
  /** `'real'` (wall-paced, default) or `'virtual'` (discrete-event time). */
  clock?: ClockKind;
  /** Seed of the scheduler's RNG (default 1). */
  seed?: number;
  /** Deadline quantum in ms of clock time (default 1). */
  tickMs?: number;
  /** Real clock: simulated ms per wall ms (default 1); see {@link Scheduler.setSpeed}. */
  speed?: number;
  /** Wake-ups fired per slice before yielding to the event loop (default 4096) [SCH-3]. */
  sliceSize?: number;
  /**
   * The ready queues whose wake-ups must all have run before time moves on [SCH-2] (default:
   * the one channels use when none is given). Name every queue you hand to a channel of this
   * run (`new DirectChannel({ ready })`).
   */
  readyQueues?: readonly ReadyQueue[];
  /** Called at the start of every visited tick, before its timers [SCH-6]. */
  beforeTick?: (time: number) => void;
}

/** Counters a diagnostic can print. */
export interface SchedulerStats {
  /** Timers fired (cancelled ones not counted). */
  fired: number;
  /** Slices run, each followed by a yield to the event loop. */
  slices: number;
  /** Longest slice in wall ms, wake-ups plus the microtasks they caused. */
  maxSliceMs: number;
  /** Real clock: the worst lag of a tick behind its pacing target when it ran, simulated ms. */
  maxLateMs: number;
  /** Timer callbacks that threw (the scheduler goes on; see `lastTimerError`). */
  timerErrors: number;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A real-clock `runUntil` caller, resolved once every tick up to `time` has run. */
interface UntilWaiter {
  time: number;
  resolve: () => void;
}

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
  readonly stats: SchedulerStats = {
    fired: 0,
    slices: 0,
    maxSliceMs: 0,
    maxLateMs: 0,
    timerErrors: 0,
  };
  /** The last error a timer callback threw, for diagnostics. */
  lastTimerError: unknown = undefined;

  readonly #slice: number;
  readonly #readyQueues: readonly ReadyQueue[] | null;
  readonly #real: RealClock | null;
  #running = false;
  #stopped = false;
  #paused = false;
  #holds = 0;
  /** performance.now() when paused, and the wall ms of earlier pauses. */
  #pausedAt = 0;
  #pausedWall = 0;
  #current: TimerBucket | null = null;
  #armed: ReturnType<typeof setTimeout> | null = null;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  /** Real clock: `runUntil` callers, earliest time first. */
  #untils: UntilWaiter[] = [];
  readonly #beforeTick: ((time: number) => void) | null;
  /** The earliest tick asked for by `visit` (Infinity: none) [SCH-6]. */
  #visit = Infinity;
  /** The last tick entered (its beforeTick ran). */
  #entered = -Infinity;

  constructor(options: SchedulerOptions = {}) {
    const kind = options.clock ?? 'real';
    if (kind !== 'real' && kind !== 'virtual') {
      throw new InvalidArgumentError('clock', kind, 'must be "real" or "virtual"');
    }
    const tickMs = options.tickMs ?? 1;
    if (!(tickMs > 0) || !Number.isFinite(tickMs)) {
      throw new InvalidArgumentError('tickMs', tickMs, 'must be a finite number > 0');
    }
    this.#slice = options.sliceSize ?? 4096;
    if (!Number.isInteger(this.#slice) || this.#slice < 1) {
      throw new InvalidArgumentError('sliceSize', this.#slice, 'must be an integer >= 1');
    }
    const queues = options.readyQueues;
    if (
      queues !== undefined &&
      (!Array.isArray(queues) || !queues.every((q) => q instanceof ReadyQueue))
    ) {
      throw new InvalidArgumentError('readyQueues', queues, 'must be an array of ReadyQueue');
    }
    this.#readyQueues = queues ?? null; // null: the default queue, looked up when needed
    const beforeTick = options.beforeTick;
    if (beforeTick !== undefined && typeof beforeTick !== 'function') {
      throw new InvalidArgumentError('beforeTick', beforeTick, 'must be a function');
    }
    this.#beforeTick = beforeTick ?? null;
    this.kind = kind;
    this.seed = options.seed ?? 1;
    this.rng = new SeededRng(this.seed);
    if (kind === 'real') {
      const clock = new RealClock(tickMs, options.speed ?? 1);
      // a timer set for a tick before the one being waited for: wake up, and let time settle
      // no later than that tick [RCK-2]
      clock.onEarlier = (tick) => this.#wakeUp(tick * tickMs);
      this.clock = clock;
      this.#real = clock;
    } else {
      if (options.speed !== undefined && options.speed !== 1) {
        throw new InvalidArgumentError('speed', options.speed, 'applies to the real clock only');
      }
      this.clock = new VirtualClock(tickMs);
      this.#real = null;
    }
  }

  /** Simulated ms per wall ms asked for: the real clock's speed, 1 for the virtual clock. */
  get speed(): number {
    return this.#real === null ? 1 : this.#real.speed;
  }

  /** Whether simulated time is paused [SCH-5]. */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Real clock: simulated ms by which the run trails its pacing target (it cannot keep up);
   * 0 when it keeps up, and always 0 on the virtual clock. [RCK-3]
   */
  behindMs(): number {
    return this.#real === null ? 0 : this.#real.behindMs();
  }

  /** Wall ms spent paused so far (the current pause included). */
  get pausedWallMs(): number {
    return this.#pausedWall + (this.#paused ? performance.now() - this.#pausedAt : 0);
  }

  /** Stop simulated time after the tick being run [SCH-5]; a no-op when paused. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#pausedAt = performance.now();
    this.#real?.setPaused(true);
    this.#wakeUp();
  }

  /** Go on after {@link pause}; the real clock paces on from where the run stands [RCK-3]. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#pausedWall += performance.now() - this.#pausedAt;
    this.#real?.setPaused(false);
    this.#wakeUp();
  }

  /**
   * Real clock: change the speed (simulated ms per wall ms) while running; pacing goes on from
   * where the run stands [RCK-3]. Throws on the virtual clock, which has no speed.
   */
  setSpeed(speed: number): void {
    if (this.#real === null) {
      throw new InvalidArgumentError('speed', speed, 'applies to the real clock only');
    }
    this.#real.setSpeed(speed);
    this.#wakeUp();
  }

  /** Real clock: start firing timers as they fall due, until {@link stop}. */
  start(): void {
    const clock = this.#real;
    if (clock === null)
      throw new InvalidArgumentError(
        'clock',
        this.kind,
        'start() is for the real clock; use runUntil()',
      );
    if (this.#running) return;
    clock.begin();
    this.#stopped = false;
    this.#running = true;
    this.#loop = this.#pumpReal(clock);
  }

  /**
   * Fire everything due up to `time`, then leave the clock at `time` [SCH-2]. The virtual
   * clock gets there as fast as it can; the real clock starts if needed and gets there as its
   * pacing allows. Resolves early if the scheduler is stopped.
   */
  async runUntil(time: number): Promise<void> {
    if (Number.isNaN(time)) throw new InvalidArgumentError('runUntil', time, 'must be a number');
    if (this.#real !== null) {
      this.start();
      await new Promise<void>((resolve) => {
        const untils = this.#untils;
        let i = untils.length;
        while (i > 0 && untils[i - 1].time > time) i--;
        untils.splice(i, 0, { time, resolve });
        this.#wakeUp();
      });
      return;
    }
    if (this.#running)
      throw new InvalidArgumentError('runUntil', time, 'a run is already in progress');
    this.#running = true;
    this.#stopped = false;
    try {
      await this.#pumpVirtual(this.clock as VirtualClock, time);
    } finally {
      this.#running = false;
    }
  }

  /**
   * Stop firing timers. Pending timers stay queued (and never fire unless started again);
   * `runUntil` callers resolve.
   */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#wakeUp();
    for (const waiter of this.#untils.splice(0)) waiter.resolve();
    const loop = this.#loop ?? Promise.resolve();
    this.#loop = null;
    return loop;
  }

  /**
   * Fire every pending timer now, without moving the clock: used at shutdown so that every
   * sleeper wakes, sees it should stop, and ends. Timers fire by tick, except that those
   * armed further ahead than the queue's near ticks fire span by span (64 ticks), each span in
   * the order its timers were armed [TQ-3]. Returns how many fired.
   */
  fireAllNow(): number {
    const before = this.stats.fired;
    const queue = this.clock.queue;
    // Only the timers pending now: a callback that arms a new timer does not make this loop
    // forever (the new one stays queued).
    const buckets = queue.popAll();
    if (this.#current !== null) buckets.unshift(this.#current);
    for (const bucket of buckets) {
      this.#current = bucket;
      this.#fire(Infinity);
    }
    this.#current = null;
    return this.stats.fired - before;
  }

  /**
   * Hold simulated time at the current tick (virtual clock) until {@link release} [SCH-7]:
   * for work of this tick that waits on something outside the scheduler. Holds count; each
   * `hold()` needs one `release()`.
   */
  hold(): void {
    this.#holds++;
  }

  /** Release one {@link hold}; the last one lets time move on [SCH-7]. */
  release(): void {
    if (this.#holds === 0) return;
    if (--this.#holds === 0 && this.#real === null) this.#wakeUp();
  }

  /** Holds not yet released [SCH-7]. */
  get holds(): number {
    return this.#holds;
  }

  /** Timers armed and not yet fired. */
  get pending(): number {
    return this.clock.queue.size;
  }

  /**
   * Visit the tick of `time` even if no timer is due in it: its `beforeTick` runs [SCH-6]. A
   * time at or before the current tick asks for nothing.
   */
  visit(time: number): void {
    const queue = this.clock.queue;
    const tick = queue.tickOf(time);
    if (tick <= this.#entered || tick >= this.#visit) return;
    this.#visit = tick;
    const real = this.#real;
    if (real !== null && tick < real.armedTick) this.#wakeUp(tick * queue.tickMs);
  }

  /** The time of the next tick with work (a due timer or a visit asked for), or Infinity. */
  nextTime(): number {
    return this.#nextTick() * this.clock.queue.tickMs;
  }

  /** The next tick to visit: the earliest due timer's or the one asked for [SCH-6]. */
  #nextTick(): number {
    const tick = this.clock.queue.peekTick();
    return tick < this.#visit ? tick : this.#visit;
  }

  /**
   * The clock has reached `tick`: run its beforeTick (once), then take its timers, if any are
   * due, as the current bucket [SCH-6]. Returns whether the hook woke anything, which must run
   * (settle) before the timers.
   */
  #enterTick(tick: number): boolean {
    let woke = false;
    if (tick > this.#entered) {
      this.#entered = tick;
      if (this.#visit <= tick) this.#visit = Infinity;
      const before = this.#beforeTick;
      if (before !== null) {
        before(tick * this.clock.queue.tickMs);
        woke = this.#readyPending();
      }
    }
    const queue = this.clock.queue;
    if (queue.peekTick() <= tick) this.#current = queue.popBucket();
    return woke;
  }

  /** Whether a ready queue this run waits for holds wake-ups [SCH-2]. */
  #readyPending(): boolean {
    const queues = this.#readyQueues;
    if (queues === null) return defaultReadyQueue().size > 0;
    for (const q of queues) if (q.size > 0) return true;
    return false;
  }

  async #pumpVirtual(clock: VirtualClock, until: number): Promise<void> {
    const queue = clock.queue;
    const tickMs = queue.tickMs;
    // [SCH-2] what became runnable before this call (a send from outside the run, and the
    // wake-ups it queued) runs at the current time, before time moves on
    if (this.#readyPending()) await this.#settle();
    while (!this.#stopped) {
      if (this.#current === null) {
        if (this.#paused || this.#holds > 0) {
          await this.#waitForWake(); // [SCH-5] [SCH-7]
          // what the released work caused runs at this tick, before time moves on
          if (this.#readyPending()) await this.#settle();
          continue;
        }
        const tick = this.#nextTick();
        if (tick === Infinity || tick * tickMs > until) break;
        clock.advanceTo(tick * tickMs);
        if (this.#enterTick(tick)) await this.#settle();
        if (this.#current === null) continue;
      }
      await this.#runSlice();
    }
    if (!this.#stopped) clock.advanceTo(until);
  }

  /**
   * The real clock's loop: the virtual loop, except that a tick runs only once the pacing
   * target has reached it [SCH-2, RCK-1], and `runUntil` callers are resolved on the way.
   */
  async #pumpReal(clock: RealClock): Promise<void> {
    const queue = clock.queue;
    const tickMs = queue.tickMs;
    await this.#settle();
    while (!this.#stopped) {
      if (this.#current === null) {
        const tick = this.#nextTick();
        const due = tick * tickMs;
        const untils = this.#untils;
        const until = untils.length > 0 ? untils[0].time : Infinity;
        if (due > until) {
          // every tick up to `until` has run: the clock reads `until` once paced there
          if (clock.target() < until) await this.#waitFor(clock, until, clock.queue.tickOf(until));
          else {
            clock.advanceTo(until);
            while (untils.length > 0 && untils[0].time <= until) untils.shift()!.resolve();
            // let the callers act (stop, say) before any later tick runs, as on the virtual
            // clock, whose run simply ends here
            await yieldToLoop();
          }
          continue;
        }
        const late = clock.target() - due;
        if (late < 0) {
          await this.#waitFor(clock, due, tick);
          continue;
        }
        if (late > this.stats.maxLateMs) this.stats.maxLateMs = late;
        clock.advanceTo(due);
        if (this.#enterTick(tick)) await this.#settle();
        if (this.#current === null) continue;
      }
      await this.#runSlice();
    }
    clock.hold(); // stopped: time stands where the run ended
    this.#running = false;
  }

  /** Fire one slice of the current bucket and wait for what it caused [SCH-2, SCH-3]. */
  async #runSlice(): Promise<void> {
    const t0 = performance.now();
    this.#fire(this.#slice);
    await this.#settle();
    const ms = performance.now() - t0;
    this.stats.slices++;
    if (ms > this.stats.maxSliceMs) this.stats.maxSliceMs = ms;
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

  /**
   * Real clock: wait, with one armed timer [SCH-1], until the pacing target reaches `time`, an
   * earlier timer arrives, or the pace changes. Meanwhile `now()` follows the target [RCK-2].
   */
  #waitFor(clock: RealClock, time: number, tick: number): Promise<void> {
    return new Promise<void>((resolve) => {
      clock.armedTick = tick;
      clock.idleUntil(time);
      this.#wake = resolve;
      const delay = clock.wallDelay(time);
      if (delay !== Infinity) this.#armed = setTimeout(() => this.#wakeUp(), Math.ceil(delay));
    });
  }

  /** Virtual clock: wait for {@link resume} or {@link stop}. */
  #waitForWake(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  #wakeUp(cap = Infinity): void {
    if (this.#armed !== null) {
      clearTimeout(this.#armed);
      this.#armed = null;
    }
    const wake = this.#wake;
    if (wake === null) return;
    this.#wake = null;
    if (this.#real !== null) {
      this.#real.hold(cap);
      this.#real.armedTick = Infinity;
    }
    wake();
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
}
