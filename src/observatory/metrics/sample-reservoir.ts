/**
 * SampleReservoir: keeps numeric samples for percentiles in bounded memory.
 *
 * Invariants:
 * - [RSV-1] Up to `capacity` samples are all kept, so percentiles are exact; past it, a
 *   uniform random sample of `capacity` values is kept (Vitter's algorithm R), so memory stays
 *   bounded on runs of any length while count, min, max and mean stay exact.
 * - [RSV-2] `percentile(p)` uses the nearest-rank method on the kept samples.
 */

/**
 * The nearest-rank `p`-th percentile (0 < p <= 100) of `values`, which it sorts in place;
 * NaN when empty.
 *
 * @example
 * ```ts
 * percentileOf(Float64Array.of(5, 1, 3, 2, 4), 50); // 3
 * ```
 */
export function percentileOf(values: Float64Array, p: number): number {
  if (values.length === 0) return NaN;
  values.sort();
  const rank = Math.max(1, Math.ceil((p / 100) * values.length));
  return values[Math.min(values.length, rank) - 1];
}

/**
 * The median of a list (the mean of the two middle values for an even length); NaN if empty.
 * Benchmarks report medians of repetitions with it.
 *
 * @example
 * ```ts
 * medianOf([3, 1, 2]); // 2
 * ```
 */
export function medianOf(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Bounded sample store with exact count/min/max/mean.
 *
 * @example
 * ```ts
 * const r = new SampleReservoir();
 * for (const v of [1, 2, 3, 100]) r.add(v);
 * r.percentile(99); // 100
 * ```
 */
export class SampleReservoir {
  readonly #capacity: number;
  #samples: Float64Array;
  #kept = 0;
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;
  readonly #random: () => number;

  constructor(capacity = 65_536, random: () => number = Math.random) {
    this.#capacity = capacity;
    this.#samples = new Float64Array(Math.min(capacity, 256));
    this.#random = random;
  }

  /** Number of values added. */
  get count(): number {
    return this.#count;
  }
  get min(): number {
    return this.#count === 0 ? NaN : this.#min;
  }
  get max(): number {
    return this.#count === 0 ? NaN : this.#max;
  }
  get mean(): number {
    return this.#count === 0 ? NaN : this.#sum / this.#count;
  }

  /** Add one value (NaN is ignored). */
  add(value: number): void {
    if (Number.isNaN(value)) return;
    this.#count++;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    if (this.#kept < this.#capacity) {
      if (this.#kept === this.#samples.length) {
        const grown = new Float64Array(Math.min(this.#capacity, this.#samples.length * 2));
        grown.set(this.#samples);
        this.#samples = grown;
      }
      this.#samples[this.#kept++] = value;
      return;
    }
    // [RSV-1] algorithm R: replace a kept sample with probability capacity / count.
    const j = Math.floor(this.#random() * this.#count);
    if (j < this.#capacity) this.#samples[j] = value;
  }

  /** The `p`-th percentile of the kept samples (NaN when empty). [RSV-2] */
  percentile(p: number): number {
    return percentileOf(this.#samples.slice(0, this.#kept), p);
  }

  /** Forget every sample. */
  reset(): void {
    this.#kept = 0;
    this.#count = 0;
    this.#sum = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
  }
}
