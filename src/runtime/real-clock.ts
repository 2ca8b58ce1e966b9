/**
 * Paced simulated time. A RealClock keeps simulated time exactly as a VirtualClock does (it
 * moves in ticks, and only the Scheduler moves it), and adds a pacing target: the simulated
 * time the wall allows, `anchorSim + (wall - anchorWall) * speed`. The Scheduler runs a tick
 * no earlier than the target reaches it, so with `speed: 10` ten simulated seconds pass per
 * wall second when the machine keeps up, and fewer when it cannot; either way every tick runs
 * at its own simulated time and the run is the one the virtual clock gives [RCK-1].
 *
 * Invariants:
 * - [RCK-1] The real clock paces, never reshapes: while the Scheduler fires a tick, `now()`
 *   reads that tick's time, as on the virtual clock.
 * - [RCK-2] Between ticks `now()` follows the target but never passes the tick the Scheduler
 *   waits for, so nothing can observe a time its timers have not reached.
 * - [RCK-3] When the machine cannot keep up, simulated time trails the target; `behindMs()`
 *   says by how much. Pausing, resuming or changing the speed restarts the pacing from where
 *   the simulation stands (the debt is forgiven, not caught up in a burst).
 * - Keeps [CLK-4]: before `begin()` the target is 0: set-up time is not run time.
 */
import { performance } from 'node:perf_hooks';
import { QueuedClock } from './queued-clock.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * @example
 * ```ts
 * const scheduler = new Scheduler({ clock: 'real', speed: 10 });
 * scheduler.start();
 * await scheduler.clock.sleep(1000); // about 100 ms of wall time
 * await scheduler.stop();
 * ```
 */
export class RealClock extends QueuedClock {
  #speed: number;
  /** Simulated time: the running tick's time, or the paced time between ticks [RCK-2]. */
  #now = 0;
  /**
   * While the Scheduler waits between ticks: the time `now()` may follow the target up to
   * [RCK-2]. NaN while a tick runs (and after a stop): `now()` then stays put.
   */
  #idleUntil = Number.NaN;
  #paused = false;
  /** performance.now() of the last (re)anchoring; NaN until `begin()`. */
  #anchorWall = Number.NaN;
  /** Simulated time at the last (re)anchoring. */
  #anchorSim = 0;

  constructor(tickMs = 1, speed = 1) {
    super(tickMs);
    checkSpeed(speed);
    this.#speed = speed;
  }

  /** Simulated ms per wall ms asked for. */
  get speed(): number {
    return this.#speed;
  }

  /** Whether simulated time is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Whether the clock has begun (the Scheduler started). */
  get begun(): boolean {
    return !Number.isNaN(this.#anchorWall);
  }

  /**
   * Start pacing: the target reads 0 until then, so the time spent setting a run up (creating a
   * million agents, say) is not counted as time the run has lived [CLK-4]. Idempotent; the
   * Scheduler calls it from `start()`.
   */
  begin(): void {
    if (Number.isNaN(this.#anchorWall)) this.#anchorWall = performance.now();
  }

  now(): number {
    const limit = this.#idleUntil;
    if (limit === limit) {
      // [RCK-2] between ticks: follow the wall, up to the time the scheduler waits for
      const target = this.target();
      const t = target < limit ? target : limit;
      if (t > this.#now) this.#now = t;
    }
    return this.#now;
  }

  /** The simulated time the wall allows now (the pacing target). */
  target(): number {
    const wall = this.#anchorWall;
    if (Number.isNaN(wall) || this.#paused) return this.#anchorSim;
    return this.#anchorSim + (performance.now() - wall) * this.#speed;
  }

  /** Simulated ms by which the simulation trails its target (0 when it keeps up). [RCK-3] */
  behindMs(): number {
    const behind = this.target() - this.now();
    return behind > 0 ? behind : 0;
  }

  /** Wall ms until the target reaches `time`: Infinity while paused, never negative. */
  wallDelay(time: number): number {
    if (this.#paused) return Infinity;
    const delay = (time - this.target()) / this.#speed;
    return delay > 0 ? delay : 0;
  }

  /** @internal Scheduler: move simulated time to a tick being fired [RCK-1, CLK-1]. */
  advanceTo(time: number): void {
    this.#idleUntil = Number.NaN;
    if (time > this.#now) this.#now = time;
  }

  /** @internal Scheduler: waiting between ticks; `now()` may follow the target up to `until`. */
  idleUntil(until: number): void {
    this.#idleUntil = until;
  }

  /**
   * @internal Scheduler: stop following the target (a tick is about to run, or the scheduler
   * stops); time settles first, at most at `cap` (a timer just set for an earlier tick).
   */
  hold(cap = Infinity): void {
    if (cap < this.#idleUntil) this.#idleUntil = cap;
    this.now();
    this.#idleUntil = Number.NaN;
  }

  /** @internal Scheduler: stop or restart simulated time [RCK-3]. */
  setPaused(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#reanchor();
    this.#paused = paused;
  }

  /** @internal Scheduler: change the speed, pacing on from where the simulation stands [RCK-3]. */
  setSpeed(speed: number): void {
    checkSpeed(speed);
    this.#reanchor();
    this.#speed = speed;
  }

  #reanchor(): void {
    const sim = this.now();
    if (!Number.isNaN(this.#anchorWall)) this.#anchorWall = performance.now();
    this.#anchorSim = sim;
  }
}

function checkSpeed(speed: number): void {
  if (!(speed > 0) || !Number.isFinite(speed)) {
    throw new InvalidArgumentError('speed', speed, 'must be a finite number > 0');
  }
}
