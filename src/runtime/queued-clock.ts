/**
 * The part both clocks share: timers go into one {@link TimerQueue} that a {@link Scheduler}
 * drains. Only `now()` differs between wall time and simulated time.
 */
import type { Clock, RearmableTimer, TimerHandle } from './clock.js';
import { Timer, TimerQueue } from './timer-queue.js';
import { CancelledError } from '../errors.js';

/** A Clock whose timers are fired by a Scheduler, never by one `setTimeout` per timer. */
export abstract class QueuedClock implements Clock {
  readonly queue: TimerQueue;
  /** Called when a timer lands before the tick the scheduler is waiting for. */
  onEarlier: ((tick: number) => void) | null = null;
  /** The tick the scheduler is currently waiting for (Infinity when idle). */
  armedTick = Infinity;

  constructor(tickMs: number) {
    this.queue = new TimerQueue(tickMs);
  }

  abstract now(): number;

  setTimer(deadline: number, fn: () => void): TimerHandle {
    const timer = this.queue.add(deadline, fn);
    if (this.onEarlier !== null) {
      const tick = this.queue.tickOf(deadline);
      if (tick < this.armedTick) this.onEarlier(tick);
    }
    return timer;
  }

  createTimer(fn: () => void): RearmableTimer {
    return new QueuedTimer(this, fn);
  }

  /** @internal Arm a queue timer, waking the scheduler if it is now the earliest. */
  armTimer(timer: Timer, deadline: number): void {
    this.armTimerTick(timer, this.queue.tickOf(deadline));
  }

  /** @internal {@link armTimer} for a tick from `queue.tickOf` (see TimerQueue.armTick). */
  armTimerTick(timer: Timer, tick: number): void {
    this.queue.armTick(timer, tick);
    if (this.onEarlier !== null && tick < this.armedTick) this.onEarlier(tick);
  }

  sleepUntil(deadline: number, signal?: AbortSignal): Promise<void> {
    if (signal === undefined) {
      return new Promise<void>((resolve) => {
        this.setTimer(deadline, resolve);
      });
    }
    if (signal.aborted)
      return Promise.reject(new CancelledError('sleep cancelled', { cause: signal.reason }));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        timer.cancel();
        reject(new CancelledError('sleep cancelled', { cause: signal.reason }));
      };
      const timer = this.setTimer(deadline, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntil(this.now() + ms, signal);
  }
}

/** The RearmableTimer of a QueuedClock: the queue Timer itself, re-armed in place. */
class QueuedTimer extends Timer implements RearmableTimer {
  readonly #clock: QueuedClock;
  constructor(clock: QueuedClock, fn: () => void) {
    super(fn);
    this.#clock = clock;
  }
  arm(deadline: number): void {
    this.#clock.armTimer(this, deadline);
  }
}
