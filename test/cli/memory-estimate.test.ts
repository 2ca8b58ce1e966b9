import { describe, expect, it } from 'vitest';
import {
  HEAP_HEADROOM,
  checkHeapFor,
  estimateHeapBytes,
  maxAgentsFor,
} from '../../src/cli/memory-estimate.js';
import { UsageError } from '../../src/cli/usage-error.js';

const GB = 2 ** 30;

describe('estimateHeapBytes', () => {
  it('matches the measured heap: about 1.0-1.1 GB at a million agents', () => {
    const bytes = estimateHeapBytes(1_000_000);
    expect(bytes).toBeGreaterThan(1.0e9);
    expect(bytes).toBeLessThan(1.2e9);
  });

  it('grows linearly with the agents', () => {
    const perAgent = estimateHeapBytes(2_000_000) - estimateHeapBytes(1_000_000);
    expect(perAgent / 1_000_000).toBeGreaterThanOrEqual(1000);
    expect(perAgent / 1_000_000).toBeLessThanOrEqual(1100);
  });
});

describe('checkHeapFor', () => {
  const fourGb = { heapLimitBytes: 4 * GB, totalMemoryBytes: 32 * GB };

  it('lets a run through that fits with headroom (1M agents in a 4 GB heap)', () => {
    expect(checkHeapFor({ agents: 1_000_000, ...fourGb })).toBe(estimateHeapBytes(1_000_000));
  });

  it('refuses the documented maximum in a 4 GB heap, with the estimate and the ways out', () => {
    let error: unknown;
    try {
      checkHeapFor({ agents: 16_777_216, ...fourGb });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toMatch(/^16777216 agents need about 17\.\d GB of heap/);
    expect(message).toContain('(4.0 GB)');
    const flag = /--max-old-space-size=(\d+)/.exec(message);
    expect(flag).not.toBeNull();
    // the suggested heap is large enough for the estimate with its headroom
    expect(Number(flag![1]) * 2 ** 20).toBeGreaterThanOrEqual(
      estimateHeapBytes(16_777_216) * HEAP_HEADROOM,
    );
    const most = /at most --agents (\d+), a (\d+)x\2 grid/.exec(message);
    expect(most).not.toBeNull();
    expect(() => checkHeapFor({ agents: Number(most![1]), ...fourGb })).not.toThrow();
    expect(message).toContain('--workers');
    expect(message).not.toContain('\n');
  });

  it('says a larger heap will not help when the machine has too little memory', () => {
    expect(() =>
      checkHeapFor({ agents: 16_777_216, heapLimitBytes: 4 * GB, totalMemoryBytes: 8 * GB }),
    ).toThrow(/this machine has only 8\.0 GB of memory/);
  });

  it('the largest run it allows is the largest that fits', () => {
    const n = maxAgentsFor(4 * GB);
    expect(estimateHeapBytes(n) * HEAP_HEADROOM).toBeLessThanOrEqual(4 * GB);
    expect(estimateHeapBytes(n + 1) * HEAP_HEADROOM).toBeGreaterThan(4 * GB);
  });
});
