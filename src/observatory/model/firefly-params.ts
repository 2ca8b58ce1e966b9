/**
 * The parameters of the firefly model (docs/fireflies.md, "The model") with their defaults and validation.
 * Times are milliseconds of the experiment's clock.
 */
import { InvalidArgumentError } from '../../errors.js';

export interface FireflyModelParams {
  /** Nominal period T (default 5000 ms). */
  periodMs: number;
  /** Phase advance k per received pulse (default 200 ms). */
  nudgeMs: number;
  /** Refractory time r after a flash; pulses are discarded (default 0.2 * T). */
  refractoryMs: number;
  /** Reset jitter: after a flash the phase restarts uniform in [0, jitter) (default 100 ms). */
  jitterMs: number;
}

export const DEFAULT_PERIOD_MS = 5000;
export const DEFAULT_NUDGE_MS = 200;
export const DEFAULT_JITTER_MS = 100;

/**
 * Fill in defaults and check every value, throwing an InvalidArgumentError naming the option.
 *
 * @example
 * ```ts
 * resolveModelParams({ periodMs: 2000 }); // { periodMs: 2000, nudgeMs: 200, refractoryMs: 400, jitterMs: 100 }
 * ```
 */
export function resolveModelParams(p: Partial<FireflyModelParams> = {}): FireflyModelParams {
  const periodMs = p.periodMs ?? DEFAULT_PERIOD_MS;
  const nudgeMs = p.nudgeMs ?? DEFAULT_NUDGE_MS;
  const refractoryMs = p.refractoryMs ?? 0.2 * periodMs;
  const jitterMs = p.jitterMs ?? DEFAULT_JITTER_MS;
  if (!Number.isFinite(periodMs) || periodMs <= 0) {
    throw new InvalidArgumentError('period', periodMs, 'must be a number > 0');
  }
  if (!Number.isFinite(nudgeMs) || nudgeMs < 0 || nudgeMs >= periodMs) {
    throw new InvalidArgumentError(
      'nudge',
      nudgeMs,
      `must be >= 0 and < the period (${periodMs} ms)`,
    );
  }
  if (!Number.isFinite(refractoryMs) || refractoryMs < 0 || refractoryMs >= periodMs) {
    throw new InvalidArgumentError(
      'refractory',
      refractoryMs,
      `must be >= 0 and < the period (${periodMs} ms)`,
    );
  }
  if (!Number.isFinite(jitterMs) || jitterMs < 0 || jitterMs >= periodMs) {
    throw new InvalidArgumentError(
      'jitter',
      jitterMs,
      `must be >= 0 and < the period (${periodMs} ms)`,
    );
  }
  return { periodMs, nudgeMs, refractoryMs, jitterMs };
}
