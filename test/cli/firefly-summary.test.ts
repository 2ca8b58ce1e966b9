/** The text summary of a firefly run, from hand-made summaries (no run needed). */
import { describe, expect, it } from 'vitest';
import { formatFireflySummary } from '../../src/cli/commands/fireflies.js';
import type { FireflyRunSummary } from '../../src/observatory/index.js';

/** A plausible summary: 50x50, virtual clock, 300 simulated s; `over` replaces fields. */
function summary(over: Partial<FireflyRunSummary> = {}): FireflyRunSummary {
  return {
    agents: 2500,
    simTimeMs: 300_000,
    flashes: 150_000,
    discardedPulses: 10,
    droppedPulses: 0,
    failedAgents: 0,
    width: 50,
    height: 50,
    workers: 1,
    clock: 'virtual',
    seed: 1,
    speed: 1,
    periodMs: 5000,
    nudgeMs: 200,
    refractoryMs: 1000,
    wallMs: 2000,
    simSecondsPerWallSecond: 150,
    flashesPerSec: 500,
    expectedFlashesPerSec: 500,
    finalR: 0.998,
    rReached: { '0.5': 47, '0.8': 106, '0.9': 121 },
    rSeries: [],
    eventLoopLagP99Ms: 2,
    eventLoopLagMaxMs: 3,
    view: null,
    cancelled: false,
    pace: null,
    ...over,
  };
}

const rLine = (text: string): string | undefined =>
  text.split('\n').find((l) => l.startsWith('  R final'));

describe('formatFireflySummary', () => {
  it('says what stopped a run early: the quit key, Ctrl+C, another signal; nothing for a full run', () => {
    const head = (over: Partial<FireflyRunSummary>): string =>
      formatFireflySummary(summary(over)).split('\n')[0];
    expect(head({})).toBe('cascade fireflies: 2500 agents (50x50), virtual clock, seed 1');
    expect(head({ cancelled: true, stoppedBy: 'quit key' })).toMatch(
      / \(stopped by q or Ctrl\+C\)$/,
    );
    expect(head({ cancelled: true, stoppedBy: 'SIGINT' })).toMatch(
      / \(stopped by SIGINT \(Ctrl\+C\)\)$/,
    );
    expect(head({ cancelled: true, stoppedBy: 'SIGTERM' })).toMatch(/ \(stopped by SIGTERM\)$/);
    expect(head({ cancelled: true, stoppedBy: 'abort' })).toMatch(
      / \(stopped by a stop request\)$/,
    );
    expect(head({ cancelled: true })).toMatch(/ \(stopped by a stop request\)$/);
  });

  it('R levels reached: "reached 0.5 at 47 s, ..."', () => {
    expect(rLine(formatFireflySummary(summary()))).toBe(
      '  R final 0.998; reached 0.5 at 47 s, 0.8 at 106 s, 0.9 at 121 s',
    );
  });

  it('R levels not reached are said so, never "at not reached"', () => {
    const none = formatFireflySummary(
      summary({ finalR: 0.141, rReached: { '0.5': null, '0.8': null, '0.9': null } }),
    );
    expect(rLine(none)).toBe('  R final 0.141; R 0.5, 0.8 and 0.9 not reached');
    const some = formatFireflySummary(
      summary({ finalR: 0.85, rReached: { '0.5': 47, '0.8': 106, '0.9': null } }),
    );
    expect(rLine(some)).toBe(
      '  R final 0.850; reached 0.5 at 47 s, 0.8 at 106 s; R 0.9 not reached',
    );
    expect(none + some).not.toContain('at not reached');
  });

  it('one agent is "1 agent", one failed run "1 agent run"', () => {
    const text = formatFireflySummary(summary({ agents: 1, width: 1, height: 1, failedAgents: 1 }));
    expect(text).toMatch(/^cascade fireflies: 1 agent \(1x1\), virtual clock, seed 1\n/);
    expect(text).toContain('  WARNING: 1 agent run failed\n');
    expect(formatFireflySummary(summary({ failedAgents: 2 }))).toContain('2 agent runs failed');
  });

  it('is headed by the command that ran', () => {
    expect(formatFireflySummary(summary(), 'cascade diag headless')).toMatch(
      /^cascade diag headless: 2500 agents \(50x50\), virtual clock, seed 1\n/,
    );
  });

  it('prints nothing about pace on the virtual clock (pace null)', () => {
    const text = formatFireflySummary(summary({ pace: null }));
    expect(text).not.toMatch(/pace|keep up/);
  });

  it("the real clock's pace: asked, achieved, behind at the end and the worst", () => {
    const text = formatFireflySummary(
      summary({
        clock: 'real',
        speed: 20,
        pace: {
          asked: 20,
          achieved: 7.43,
          behindMs: 12_300,
          maxBehindMs: 14_000,
          pausedMs: 0,
          limitedMs: 0,
          lagging: false,
        },
      }),
    );
    expect(text).toContain(
      '\n  pace: x20 asked, x7.4 achieved, 12.3 s behind at the end (worst 14.0 s)\n',
    );
    expect(text).not.toContain('keep up');
  });

  it('says when the machine could not keep up, and that the results are unaffected', () => {
    const text = formatFireflySummary(
      summary({
        clock: 'real',
        speed: 100,
        pace: {
          asked: 100,
          achieved: 0.58,
          behindMs: 95_000,
          maxBehindMs: 95_000,
          pausedMs: 4_200,
          limitedMs: 0,
          lagging: true,
        },
      }),
    );
    expect(text).toContain(
      '\n  pace: x100 asked, x0.58 achieved, 95.0 s behind at the end (worst 95.0 s), paused 4.2 s\n',
    );
    expect(text).toMatch(/WARNING: this machine could not keep up with x100/);
    expect(text).toMatch(/results are unaffected: simulated time is paced, never reshaped/);
  });

  it('says how long a step limit was in force, and does not blame the machine for it [PACE-3]', () => {
    const text = formatFireflySummary(
      summary({
        clock: 'real',
        speed: 1,
        pace: {
          asked: 1,
          achieved: 0.45,
          behindMs: 0,
          maxBehindMs: 40,
          pausedMs: 0,
          limitedMs: 1_700,
          lagging: false,
        },
      }),
    );
    expect(text).toContain(
      '\n  pace: x1 asked, x0.45 achieved, 0.0 s behind at the end (worst 0.0 s), limited 1.7 s\n',
    );
    expect(text).not.toContain('keep up');
  });
});
