/**
 * A grid too large for the heap is refused before it starts (exit 2, the estimate and the ways
 * out), not after a minute and more of garbage collection ending in "Reached heap limit".
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('cascade fireflies with more agents than the heap holds', () => {
  it.each([
    [['fireflies', '--agents', '16777216']],
    [['fireflies', '--grid', '4096x4096', '--no-visualize', '--duration', '1']],
    [['diag', 'headless', '--agents', '16777216']],
    [['fireflies', '--agents', '16777216', '--workers', '2']],
  ])('%j exits 2 within seconds with the estimate and the ways out', (args) => {
    const t0 = Date.now();
    // V8's default heap (no NODE_OPTIONS a caller may have set): 4096x4096 needs more than
    // 17 GB, beyond any default heap limit
    const { NODE_OPTIONS: _ignored, ...env } = process.env;
    const r = runCli(args, 20_000, env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^cascade: 16777216 agents (on \d workers .*)?need.* about \d+\.\d GB of heap .*more than (this process|a thread) may use [^\n]*\n$/,
    );
    // a larger heap and more workers, unless this machine's memory is too small for any split
    expect(r.stderr).toMatch(/--max-old-space-size=\d+.*--workers \d+|this machine has only/);
    expect(r.stderr).toContain('use fewer agents');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
