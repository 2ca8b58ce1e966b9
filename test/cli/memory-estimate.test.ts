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

function messageOf(check: Parameters<typeof checkHeapFor>[0]): string {
  try {
    checkHeapFor(check);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('checkHeapFor did not refuse');
}

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
    expect(message).not.toContain('\n');
  });

  it('suggests the worker count whose bands fit, each worker having a heap of its own', () => {
    const message = messageOf({ agents: 16_777_216, ...fourGb });
    const workers = Number(/--workers (\d+)\)/.exec(message)?.[1]);
    expect(workers).toBeGreaterThan(1);
    expect(() => checkHeapFor({ agents: 16_777_216, workers, ...fourGb })).not.toThrow();
    expect(() => checkHeapFor({ agents: 16_777_216, workers: workers - 1, ...fourGb })).toThrow();
  });

  it('with workers, speaks of the heap per worker', () => {
    const message = messageOf({ agents: 16_777_216, workers: 2, ...fourGb });
    expect(message).toMatch(
      /^16777216 agents on 2 workers \(8388608 in the largest band\) need, per worker, about 8\.\d GB of heap/,
    );
    expect(message).toContain('more than a thread may use (4.0 GB)');
    expect(message).toMatch(/at most --agents \d+, a \d+x\d+ grid, here with --workers 2\)/);
  });

  it('suggests no more workers than the grid has rows', () => {
    expect(messageOf({ agents: 16_777_216, maxWorkers: 4, ...fourGb })).not.toContain('--workers');
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
