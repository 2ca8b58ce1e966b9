/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSec`, read lazily from a clock
 * (no timer per connection).
 *
 * Invariants:
 * - [TB-1] Over any window of t seconds at most `burst + ratePerSec * t` takes succeed.
 */

/**
 * The per-connection inbound rate limit of the gateway.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(50, 100);
 * if (!bucket.take()) refuse();
 * ```
 */
export class TokenBucket {
  readonly ratePerSec: number;
  readonly burst: number;
  #tokens: number;
  #last: number;
  #now: () => number;

  constructor(
    ratePerSec: number,
    burst: number,
    now: () => number = performance.now.bind(performance),
  ) {
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#last = now();
  }

  /** Take one token; false (and nothing taken) when the bucket is empty. [TB-1] */
  take(): boolean {
    const t = this.#now();
    const refill = ((t - this.#last) / 1000) * this.ratePerSec;
    this.#last = t;
    this.#tokens = Math.min(this.burst, this.#tokens + refill);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
