/**
 * The Clock contract: how agents, channels and the engine see and wait for time. Agents never
 * call `setTimeout` themselves; they wait through a Clock owned by a Scheduler (docs/fireflies.md, "Scheduler and clocks"),
 * so a run can use wall time (`RealClock`) or discrete-event time (`VirtualClock`) unchanged.
 *
 * Times are milliseconds as numbers. For a RealClock `now()` counts from the clock's creation;
 * for a VirtualClock it is simulated time, starting at 0.
 *
 * Invariants every implementation keeps:
 * - [CLK-1] `now()` never goes backwards.
 * - [CLK-2] A timer never fires before its deadline; timers due at the same (quantised) time
 *   fire in the order they were set.
 * - [CLK-3] A cancelled timer never fires; cancelling twice or after firing is a no-op.
 * - [CLK-4] A RealClock reads 0 until its scheduler starts: set-up time is not run time.
 */

/** Returned by {@link Clock.setTimer}. */
export interface TimerHandle {
  /** Cancel the timer; a no-op if it already fired or was cancelled. [CLK-3] */
  cancel(): void;
}

/**
 * A timer that can be armed again and again without allocating: what a hot path that waits
 * with a deadline in a loop (a channel's receive timeout) uses instead of `setTimer`.
 */
export interface RearmableTimer {
  /** Arm (or move) the timer to fire once when `now() >= deadline`. [CLK-2] */
  arm(deadline: number): void;
  /** Disarm; a no-op when not armed. [CLK-3] */
  cancel(): void;
}

/** A source of time and of timed wake-ups. */
export interface Clock {
  /** Current time in ms. [CLK-1] */
  now(): number;
  /**
   * Call `fn` once when `now() >= deadline` (absolute ms). The cheap, allocation-light path
   * for hot code such as a channel's receive timeout. [CLK-2]
   */
  setTimer(deadline: number, fn: () => void): TimerHandle;
  /** A re-armable timer calling `fn` each time it fires; created disarmed. */
  createTimer(fn: () => void): RearmableTimer;
  /** Resolve when `now() >= deadline`; reject with a CancelledError if `signal` aborts. */
  sleepUntil(deadline: number, signal?: AbortSignal): Promise<void>;
  /** Resolve after `ms` ms of this clock's time; reject with a CancelledError on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A source of uniform random numbers in [0, 1). Seedable implementations make runs repeatable. */
export interface Rng {
  /** A uniform number in [0, 1). */
  next(): number;
}
