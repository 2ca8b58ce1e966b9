/**
 * The channel benchmark's logic (not its speed): every scenario delivers exactly
 * P*M*F messages, latencies are sampled, options are validated naming the option.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import {
  SCENARIOS,
  formatChannelBench,
  resolveChannelBenchOptions,
  runChannelBench,
} from '../../bench/channel-bench.js';
import { thrownCode } from '../messaging/connector.conformance.js';

describe('channel benchmark', () => {
  it('runs every scenario on a small ring and reports each one', async () => {
    const r = await runChannelBench({
      producers: 12,
      messages: 300,
      fanout: 5,
      repetitions: 2,
      sampleEvery: 8,
    });
    expect(r.rows.map((row) => row.scenario)).toEqual([...SCENARIOS]);
    for (const row of r.rows) {
      expect(row.delivered).toBe(12 * 300 * 5);
      expect(row.runs).toHaveLength(2);
      expect(row.msgsPerSec).toBeGreaterThan(0);
      expect(row.p99Us).toBeGreaterThanOrEqual(row.p50Us);
    }
    expect(r.machine.cores).toBeGreaterThan(0);
    const text = formatChannelBench(r);
    expect(text).toMatch(/12 producers x 300 messages, fan-out 5/);
    expect(text).toMatch(/paired ratios: LocalBus vs mqemitter/);
  });

  it('validates its options, naming them', () => {
    const code = (o: object): unknown => thrownCode(() => resolveChannelBenchOptions(o));
    expect(code({ producers: 1 })).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(code({ producers: 5, fanout: 5 })).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(code({ messages: 0.5 })).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(code({ scenarios: ['nope'] })).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(resolveChannelBenchOptions({})).toMatchObject({
      producers: 100,
      messages: 5000,
      fanout: 8,
    });
  });
});
