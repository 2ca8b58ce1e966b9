import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { FireflyKernel } from '../../src/observatory/experiments/firefly-kernel.js';
import { resolveModelParams } from '../../src/observatory/model/firefly-params.js';
import { TorusTopology } from '../../src/observatory/model/topology.js';
import { SeededRng } from '../../src/runtime/rng.js';
import { ConvergenceMonitor } from '../../src/observatory/monitors/convergence-monitor.js';
import { InvalidArgumentError } from '../../src/errors.js';

function flashLogHash(seed: number, until: number): { hash: string; flashes: number } {
  const k = new FireflyKernel(new TorusTopology(10, 10), resolveModelParams(), new SeededRng(seed));
  const h = createHash('sha256');
  k.onFlash = (id, t) => h.update(`${id}:${t}\n`);
  k.runUntil(until);
  return { hash: h.digest('hex'), flashes: k.telemetry.flashes };
}

describe('FireflyKernel (reference model)', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = flashLogHash(5, 60_000);
    expect(flashLogHash(5, 60_000)).toEqual(a);
    expect(flashLogHash(6, 60_000).hash).not.toBe(a.hash);
    // every agent flashes about once per period, a little faster with nudges
    expect(a.flashes).toBeGreaterThanOrEqual(100 * 11);
    expect(a.flashes).toBeLessThan(100 * 12 * 1.6);
  });

  it('synchronises a 20x20 torus to R >= 0.9 within 400 simulated seconds', () => {
    const k = new FireflyKernel(new TorusTopology(20, 20), resolveModelParams(), new SeededRng(3));
    const m = new ConvergenceMonitor(k.telemetry);
    expect(m.orderParameter(0)).toBeLessThan(0.3);
    for (let t = 5000; t <= 400_000; t += 5000) {
      k.runUntil(t);
      m.sample(t);
    }
    expect(m.firstTimeAbove(0.9)).toBeDefined();
  });

  it('never flashes an agent twice within its refractory time', () => {
    const p = resolveModelParams();
    const k = new FireflyKernel(new TorusTopology(8, 8), p, new SeededRng(9));
    const last = new Map<number, number>();
    let minGap = Infinity;
    k.onFlash = (id, t) => {
      const prev = last.get(id);
      if (prev !== undefined) minGap = Math.min(minGap, t - prev);
      last.set(id, t);
    };
    k.runUntil(200_000);
    expect(minGap).toBeGreaterThanOrEqual(p.refractoryMs);
    expect(k.telemetry.discardedPulses).toBeGreaterThan(0);
  });
});

describe('resolveModelParams', () => {
  it('fills the defaults of the model (docs/fireflies.md)', () => {
    expect(resolveModelParams()).toEqual({
      periodMs: 5000,
      nudgeMs: 200,
      refractoryMs: 1000,
      jitterMs: 100,
    });
  });
  it('rejects bad values naming the option', () => {
    expect(() => resolveModelParams({ periodMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => resolveModelParams({ periodMs: 1000, nudgeMs: 1000 })).toThrow(/nudge/);
    expect(() => resolveModelParams({ refractoryMs: 6000 })).toThrow(/refractory/);
    expect(() => resolveModelParams({ periodMs: Number.NaN })).toThrow(/period/);
  });
});
