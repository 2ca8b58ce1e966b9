/**
 * The order parameter R of docs/fireflies.md, computed exactly as defined there [FLY-5]:
 * each agent's phase is extrapolated from its last flash over its **own** last inter-flash
 * interval T_i (nudges make the real cycle shorter than the nominal period), an agent that has
 * not flashed twice counts with T_i = T, and
 *   theta_i = 2*pi*(now - lastFlash_i) / T_i,   R = |sum_i exp(i*theta_i)| / N.
 * R is ~0 for independent agents and 1 when all flash together.
 *
 * Reads the telemetry typed arrays directly: no per-agent objects, no per-flash message.
 */
import type { FireflyTelemetry } from '../model/firefly-telemetry.js';

/** One sample of R. */
export interface OrderSample {
  /** Simulated time of the sample, ms. */
  t: number;
  r: number;
}

/**
 * @example
 * ```ts
 * const monitor = new ConvergenceMonitor(experiment.telemetry);
 * const r = monitor.orderParameter(scheduler.clock.now());
 * ```
 */
export class ConvergenceMonitor {
  readonly #telemetry: FireflyTelemetry;
  /** Samples taken with {@link sample}, oldest first. */
  readonly history: OrderSample[] = [];

  constructor(telemetry: FireflyTelemetry) {
    this.#telemetry = telemetry;
  }

  /** R at time `now` (ms, the experiment's clock). */
  orderParameter(now: number): number {
    const n = this.#telemetry.lastFlash.length;
    if (n === 0) return 0;
    const { lastFlash, interval } = this.#telemetry;
    const [re, im] = sumPhases(lastFlash, interval, now, 0, n);
    return magnitude(re, im, n);
  }

  /**
   * R at `now`, computed in chunks of `chunk` agents with a yield to the event loop between
   * them, so a million agents never block the loop for long (the real-clock live view uses
   * it). The telemetry is copied first (about 2 ms for a million agents), so agents that flash
   * while the chunks run do not change the result: it is exactly R at `now`.
   */
  async orderParameterAsync(now: number, chunk = 65_536): Promise<number> {
    const n = this.#telemetry.lastFlash.length;
    if (n === 0) return 0;
    const lastFlash = this.#telemetry.lastFlash.slice();
    const interval = this.#telemetry.interval.slice();
    let re = 0;
    let im = 0;
    for (let start = 0; start < n; start += chunk) {
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const [r, i] = sumPhases(lastFlash, interval, now, start, Math.min(n, start + chunk));
      re += r;
      im += i;
    }
    return magnitude(re, im, n);
  }

  /** Record a sample computed elsewhere (e.g. by {@link orderParameterAsync}). */
  record(t: number, r: number): OrderSample {
    const s = { t, r };
    this.history.push(s);
    return s;
  }

  /** Compute R at `now` and append it to {@link history}. */
  sample(now: number): OrderSample {
    return this.record(now, this.orderParameter(now));
  }

  /** The first sampled time at which R reached `threshold`, or undefined. */
  firstTimeAbove(threshold: number): number | undefined {
    for (const s of this.history) if (s.r >= threshold) return s.t;
    return undefined;
  }
}

function sumPhases(
  lastFlash: Float64Array,
  interval: Float64Array,
  now: number,
  from: number,
  to: number,
): [number, number] {
  const twoPi = 2 * Math.PI;
  let re = 0;
  let im = 0;
  for (let i = from; i < to; i++) {
    const theta = (twoPi * (now - lastFlash[i])) / interval[i];
    re += Math.cos(theta);
    im += Math.sin(theta);
  }
  return [re, im];
}

/** |sum| / n, clamped to [0, 1]: rounding can put n equal phases a hair above 1. */
function magnitude(re: number, im: number, n: number): number {
  const r = Math.sqrt(re * re + im * im) / n;
  return r > 1 ? 1 : r;
}
