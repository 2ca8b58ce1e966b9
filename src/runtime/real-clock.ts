/**
 * Wall time, optionally sped up: `now()` is milliseconds since the clock was started times
 * `speed` (0 before), so with `speed: 10` ten simulated seconds pass per wall second. Timers are fired by
 * a Scheduler that keeps exactly one `setTimeout` armed, for the earliest tick [SCH-1].
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
 * scheduler.stop();
 * ```
 */
export class RealClock extends QueuedClock {
  readonly speed: number;
  /** performance.now() at `begin()`; NaN until then. */
  #origin = Number.NaN;

  constructor(tickMs = 1, speed = 1) {
    super(tickMs);
    if (!(speed > 0) || !Number.isFinite(speed)) {
      throw new InvalidArgumentError('speed', speed, 'must be a finite number > 0');
    }
    this.speed = speed;
  }

  /**
   * Start the clock: `now()` reads 0 until then, so the time spent setting a run up (creating
   * a million agents, say) is not counted as time the run has lived [CLK-4]. Idempotent; the
   * Scheduler calls it from `start()`.
   */
  begin(): void {
    if (Number.isNaN(this.#origin)) this.#origin = performance.now();
  }

  now(): number {
    const origin = this.#origin;
    return Number.isNaN(origin) ? 0 : (performance.now() - origin) * this.speed;
  }

  /** Wall milliseconds until the clock reads `time`. */
  wallDelay(time: number): number {
    return (time - this.now()) / this.speed;
  }
}
