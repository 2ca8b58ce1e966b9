/**
 * Discrete-event time: `now()` is simulated time, moved only by the Scheduler, which jumps
 * straight to the next due tick when nothing is runnable [SCH-2]. Runs as fast as the CPU
 * allows; with a seeded RNG a run is deterministic [SCH-4].
 */
import { QueuedClock } from './queued-clock.js';

/**
 * @example
 * ```ts
 * const scheduler = new Scheduler({ clock: 'virtual', seed: 1 });
 * const done = scheduler.clock.sleep(60_000);
 * await scheduler.runUntil(60_000); // returns at once in wall time
 * await done;
 * ```
 */
export class VirtualClock extends QueuedClock {
  #now = 0;

  now(): number {
    return this.#now;
  }

  /** Move time forward to `time`; never backwards [CLK-1]. Only the Scheduler calls this. */
  advanceTo(time: number): void {
    if (time > this.#now) this.#now = time;
  }
}
