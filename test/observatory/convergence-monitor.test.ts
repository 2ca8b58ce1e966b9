import { describe, expect, it } from 'vitest';
import { ConvergenceMonitor } from '../../src/observatory/monitors/convergence-monitor.js';
import { FireflyTelemetry } from '../../src/observatory/model/firefly-telemetry.js';

describe('ConvergenceMonitor [FLY-5]', () => {
  it('is 1 when every agent flashed at the same time with the same interval', () => {
    const tel = new FireflyTelemetry(100, 5000);
    for (let i = 0; i < 100; i++) {
      tel.recordFlash(i, 1000);
      tel.recordFlash(i, 5000);
    }
    expect(new ConvergenceMonitor(tel).orderParameter(6234)).toBeCloseTo(1, 12);
  });

  it('is about 0 for phases spread evenly over the cycle', () => {
    const tel = new FireflyTelemetry(1000, 5000);
    for (let i = 0; i < 1000; i++) tel.lastFlash[i] = -i * 5;
    expect(new ConvergenceMonitor(tel).orderParameter(0)).toBeLessThan(1e-9);
  });

  it("uses each agent's own last interval, not the nominal period", () => {
    // Two agents flashed together at t=0 but cycle at different speeds: 4000 and 2000 ms.
    const tel = new FireflyTelemetry(2, 5000);
    tel.recordFlash(0, -4000);
    tel.recordFlash(0, 0);
    tel.recordFlash(1, -2000);
    tel.recordFlash(1, 0);
    const m = new ConvergenceMonitor(tel);
    // at t=1000: theta_0 = pi/2, theta_1 = pi -> |i + -1|/2 = sqrt(2)/2
    expect(m.orderParameter(1000)).toBeCloseTo(Math.SQRT2 / 2, 12);
    // with the nominal period both would be at 2*pi/5 and R would be 1
    expect(m.orderParameter(1000)).toBeLessThan(0.8);
  });

  it('counts an agent that has not flashed twice with the nominal period', () => {
    const tel = new FireflyTelemetry(2, 4000);
    tel.recordFlash(0, 0);
    tel.recordFlash(1, 0);
    expect(tel.interval[0]).toBe(4000);
    // both at phase 2*pi*1000/4000 = pi/2 -> R = 1
    expect(new ConvergenceMonitor(tel).orderParameter(1000)).toBeCloseTo(1, 12);
  });

  it('records samples and finds the first time R passes a threshold', () => {
    const tel = new FireflyTelemetry(2, 1000);
    tel.lastFlash[1] = -500; // opposite phases: R = 0
    const m = new ConvergenceMonitor(tel);
    m.sample(0);
    tel.lastFlash[1] = 0;
    m.sample(100);
    expect(m.history.map((s) => s.t)).toEqual([0, 100]);
    expect(m.firstTimeAbove(0.9)).toBe(100);
    expect(m.firstTimeAbove(1.5)).toBeUndefined();
  });
});

describe('ConvergenceMonitor.orderParameterAsync', () => {
  it('gives the same R as the synchronous computation, yielding between chunks', async () => {
    const n = 200_000;
    const tel = new FireflyTelemetry(n, 5000);
    for (let i = 0; i < n; i++) {
      tel.lastFlash[i] = -((i * 7919) % 5000);
      tel.interval[i] = 4000 + (i % 1000);
    }
    const m = new ConvergenceMonitor(tel);
    const sync = m.orderParameter(1234);
    let interleaved = 0;
    const spin = (): void => {
      interleaved++;
    };
    setImmediate(spin);
    const r = await m.orderParameterAsync(1234, 50_000);
    expect(r).toBeCloseTo(sync, 12);
    expect(interleaved).toBe(1); // the immediate queued before ran at the first yield
    expect(m.record(1234, r)).toEqual({ t: 1234, r });
    expect(m.history).toHaveLength(1);
  });
});
