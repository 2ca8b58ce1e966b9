/**
 * The real clock paces the simulated timeline and never reshapes it [RCK-1, FLY-10, FRUN-3]:
 * with a seed and no outside input, a real-clock run gives the virtual-clock flash log at any
 * speed, also one the machine cannot keep up with, which then says so [SES-3, PACE-2]. In one
 * process a step limit does not hold the real clock: held steps run late.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { runFireflies } from '../../src/observatory/experiments/firefly-run.js';
import type { FireflyRunOptions } from '../../src/observatory/experiments/firefly-run.js';
import { ConstraintSet } from '../../src/runtime/index.js';

const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

/** A short run with a fast period, so a few simulated seconds hold several cycles. */
async function flashLog(
  extra: Partial<FireflyRunOptions>,
): Promise<{ log: number[]; summary: Awaited<ReturnType<typeof runFireflies>> }> {
  const log: number[] = [];
  const summary = await runFireflies({
    width: 16,
    height: 16,
    periodMs: 500,
    nudgeMs: 25,
    jitterMs: 20,
    seed: 7,
    durationMs: 2_000,
    visualize: false,
    out: sink(),
    isTTY: false,
    signal: new AbortController().signal,
    onFlash: (id, t) => log.push(t, id),
    ...extra,
  });
  return { log, summary };
}

const hash = (log: number[]): string =>
  createHash('sha256').update(new Float64Array(log)).digest('hex');

describe('the real clock paces, never reshapes [RCK-1][FLY-10]', () => {
  it('gives the virtual-clock flash log at speed 1, 50 and one it cannot keep up with', async () => {
    const virtual = await flashLog({ clock: 'virtual' });
    expect(virtual.log.length / 2).toBeGreaterThan(256 * 3); // a few cycles of every firefly
    const atOne = await flashLog({ clock: 'real', speed: 1 });
    const at50 = await flashLog({ clock: 'real', speed: 50 });
    // 1e7 simulated ms per wall ms: 2 s would take 0.2 µs; the run falls behind at once
    const overloaded = await flashLog({ clock: 'real', speed: 1e7 });
    for (const run of [atOne, at50, overloaded]) {
      expect(run.log.length).toBe(virtual.log.length);
      expect(hash(run.log)).toBe(hash(virtual.log));
      expect(run.summary.simTimeMs).toBe(2_000); // [FRUN-3] duration is simulated time
      expect(run.summary.finalR).toBeCloseTo(virtual.summary.finalR, 12);
    }
    expect(atOne.summary.wallMs).toBeGreaterThanOrEqual(1_900); // paced to the wall
    expect(at50.summary.wallMs).toBeLessThan(1_500);
    // [SES-3] falling behind is shown, never hidden
    expect(overloaded.summary.pace).not.toBeNull();
    expect(overloaded.summary.pace!.lagging).toBe(true);
    expect(overloaded.summary.pace!.asked).toBe(1e7);
    expect(overloaded.summary.pace!.achieved).toBeLessThan(1e7);
    expect(overloaded.summary.pace!.maxBehindMs).toBeGreaterThan(0);
    expect(atOne.summary.pace!.lagging).toBe(false);
    expect(atOne.summary.pace!.achieved).toBeGreaterThan(0.8);
    expect(atOne.summary.pace!.achieved).toBeLessThan(1.1);
    expect(virtual.summary.pace).toBeNull();
  });

  it('sampling pulses does not change the flash log [FLY-9]', async () => {
    const plain = await flashLog({ clock: 'virtual' });
    const sampled = await flashLog({ clock: 'virtual', sampleRate: 0.5 });
    expect(hash(sampled.log)).toBe(hash(plain.log));
  });

  it('a real-clock progress line never repeats the previous R, and shows pace fields', async () => {
    const lines: string[] = [];
    await flashLog({
      clock: 'real',
      speed: 1,
      durationMs: 4_200,
      onProgress: (line) => lines.push(line),
    });
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const rs = lines.map((l) => /R=(\d\.\d{3})/.exec(l)![1]);
    for (let i = 1; i < rs.length; i++) expect(rs[i]).not.toBe(rs[i - 1]);
    for (const line of lines) expect(line).toMatch(/ speed=x1 achieved=x\d/);
    // one key=value format: lag_p99, never "lag p99"
    expect(lines.join('\n')).not.toMatch(/lag p99/);
  });

  it('one process: a step limit makes steps run late, simulated time keeps to the wall and nothing bursts after it', async () => {
    const constraints = new ConstraintSet();
    const marks: Array<[number, number]> = []; // [wall ms, simulated ms] at set, clear, +1 s
    const run = await flashLog({
      clock: 'real',
      speed: 1,
      durationMs: 2_600,
      constraints,
      observers: [
        {
          started: (c) => {
            const mark = (): number => marks.push([performance.now(), c.now()]);
            setTimeout(() => {
              mark();
              constraints.set({ scope: 'global', kind: 'rate', perSec: 40 });
            }, 300);
            setTimeout(() => {
              mark();
              constraints.clear('global', 'rate');
              setTimeout(mark, 1_000);
            }, 1_300);
          },
        },
      ],
    });
    constraints.close();
    expect(marks).toHaveLength(3);
    const [[w0, s0], [w1, s1], [w2, s2]] = marks;
    // the real clock ignores the gate's holds: the limit does not slow simulated time here
    expect(s1 - s0).toBeGreaterThan((w1 - w0) * 0.8);
    expect(s2 - s1).toBeLessThan(w2 - w1 + 250); // no burst once cleared
    expect(run.summary.pace!.limitedMs).toBe(0); // it held no clock back
    expect(run.summary.pace!.lagging).toBe(false);
  });
});
