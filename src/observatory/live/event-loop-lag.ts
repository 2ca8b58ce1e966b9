/**
 * EventLoopLagSampler: measures event-loop lag as the drift of a 10 ms timer: each tick, how
 * much later than 10 ms after the previous tick it ran. A loop blocked for 200 ms shows one
 * sample of ~190 ms. Same principle as `perf_hooks.monitorEventLoopDelay`, but every sample
 * is handed to a callback, so a MetricsAggregator sees real count/min/avg/max/p99.
 *
 * Invariants:
 * - [LAG-1] Samples are >= 0 ms (a timer that fires early by clock rounding counts as 0).
 * - [LAG-2] `stop()` clears the timer; a stopped sampler holds no handle.
 */

/**
 * Samples event-loop lag every `resolutionMs`.
 *
 * @example
 * ```ts
 * const lag = new EventLoopLagSampler((ms) => metrics.record('event_loop_lag_ms', ms));
 * lag.start();
 * // …
 * lag.stop();
 * ```
 */
export class EventLoopLagSampler {
  readonly #onSample: (lagMs: number) => void;
  readonly #resolutionMs: number;
  #timer: NodeJS.Timeout | undefined;
  #last = 0;

  constructor(onSample: (lagMs: number) => void, resolutionMs = 10) {
    this.#onSample = onSample;
    this.#resolutionMs = resolutionMs;
  }

  /** Start sampling (no-op if started). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      const lag = now - this.#last - this.#resolutionMs;
      this.#last = now;
      this.#onSample(lag > 0 ? lag : 0); // [LAG-1]
    }, this.#resolutionMs);
  }

  /** Stop sampling. [LAG-2] */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
