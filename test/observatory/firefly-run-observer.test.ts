/**
 * Observers of a run ([OBS-1], [OBS-2]): what the gateway (or any outside view) is handed.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runFireflies } from '../../src/observatory/experiments/firefly-run.js';
import type {
  FireflyRunControl,
  FireflyRunSample,
} from '../../src/observatory/experiments/firefly-run-observer.js';
import type { FireflyRunSummary } from '../../src/observatory/experiments/firefly-run.js';

const collect = (): { out: Writable; text: () => string } => {
  let text = '';
  const out = new Writable({
    write: (c: Buffer, _e, cb) => {
      text += c.toString();
      cb();
    },
  });
  return { out, text: () => text };
};

const base = {
  width: 12,
  height: 12,
  clock: 'virtual' as const,
  durationMs: 20_000,
  visualize: false,
  isTTY: false,
};

describe('run observers', () => {
  it('are told start, every sample in order, and the end; a throwing one does not end the run [OBS-1]', async () => {
    const order: string[] = [];
    const samples: FireflyRunSample[] = [];
    let summary: FireflyRunSummary | undefined;
    let grid: Uint8Array | undefined;
    const { out, text } = collect();
    const s = await runFireflies({
      ...base,
      out,
      signal: new AbortController().signal,
      observers: [
        {
          started: (c) => {
            order.push('started');
            grid = new Uint8Array(c.width * c.height);
          },
          sample: (x) => {
            if (order.at(-1) !== 'sample') order.push('sample');
            samples.push(x);
          },
          ended: (o) => {
            order.push('ended');
            if ('summary' in o) summary = o.summary;
          },
        },
        {
          sample: () => {
            throw new Error('observer bug');
          },
        },
      ],
    });
    expect(order).toEqual(['started', 'sample', 'ended']);
    expect(samples.map((x) => x.t)).toEqual(s.rSeries.map(([t]) => t).filter((t) => t > 0));
    expect(samples.map((x) => x.r)).toEqual(s.rSeries.map(([, r]) => r).slice(1));
    expect(summary).toBe(s);
    expect(grid?.length).toBe(144);
    expect(text()).toMatch(/observer failed: observer bug/);
    expect(s.failedAgents).toBe(0);
  });

  it("snapshot gives the view's fade, one byte a cell, and a steered run keeps its flashes [OBS-2]", async () => {
    const plain = await runFireflies({
      ...base,
      out: collect().out,
      signal: new AbortController().signal,
    });
    let lit = 0;
    let offLevel = false;
    let pausedSeen = false;
    const steered = await runFireflies({
      ...base,
      out: collect().out,
      signal: new AbortController().signal,
      observers: [
        {
          started: (c) => {
            c.pause();
            pausedSeen = c.paused;
            setTimeout(() => c.resume(), 200);
          },
        },
        {
          started: (c: FireflyRunControl) => {
            const out = new Uint8Array(c.width * c.height);
            const timer = setInterval(() => {
              c.snapshot(out);
              lit = Math.max(
                lit,
                out.reduce((n, b) => n + (b > 0 ? 1 : 0), 0),
              );
              // the terminal's 16 levels: 0, 17, ... 255
              if (out.some((b) => b % 17 !== 0)) offLevel = true;
              if (!c.paused && c.now() > 5_000) clearInterval(timer);
            }, 5);
          },
        },
      ],
    });
    expect(pausedSeen).toBe(true);
    expect(lit).toBeGreaterThan(0);
    expect(offLevel).toBe(false);
    expect(steered.flashes).toBe(plain.flashes);
    expect(steered.rSeries).toEqual(plain.rSeries);
  });

  it("setLimit changes a limited run's limit live and refuses a run without one", async () => {
    const limits: Array<number | undefined> = [];
    let refusal = '';
    await runFireflies({
      ...base,
      limit: 2,
      out: collect().out,
      signal: new AbortController().signal,
      observers: [
        {
          started: (c) => {
            limits.push(c.limit);
            c.setLimit(7);
            limits.push(c.limit);
          },
        },
      ],
    });
    await runFireflies({
      ...base,
      out: collect().out,
      signal: new AbortController().signal,
      observers: [
        {
          started: (c) => {
            try {
              c.setLimit(3);
            } catch (e) {
              refusal = (e as Error).message;
            }
          },
        },
      ],
    });
    expect(limits).toEqual([2, 7]);
    expect(refusal).toMatch(/without a limit/);
  });
});
