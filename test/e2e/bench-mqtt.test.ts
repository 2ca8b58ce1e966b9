/**
 * `cascade bench mqtt` as a user runs it, small: it starts its brokers, measures every part
 * and prints JSON with a row for each broker and QoS, the batched mode, both apply paths and
 * each rate target; a bad value is a usage error (exit 2).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import type { MqttBenchResult } from '../../bench/mqtt-bench.js';

describe('cascade bench mqtt', () => {
  it('measures Mosquitto and Aedes, batching, apply latency and rate limits (--json)', () => {
    const r = runCli([
      'bench',
      'mqtt',
      '--messages',
      '300',
      '--latency-samples',
      '20',
      '--batch-publishes',
      '50',
      '--apply-samples',
      '10',
      '--rate-seconds',
      '1',
      '--no-shards',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as MqttBenchResult;
    expect(result.throughput.map((t) => `${t.broker}/${t.qos}`)).toEqual([
      'mosquitto/0',
      'mosquitto/1',
      'aedes/0',
      'aedes/1',
    ]);
    for (const t of result.throughput) {
      expect(t.msgsPerSec).toBeGreaterThan(0);
      expect(t.latencyP99Ms).toBeGreaterThanOrEqual(t.latencyP50Ms);
    }
    expect(result.batched.msgsPerSec).toBeGreaterThan(result.batched.publishesPerSec);
    expect(result.apply.map((a) => a.path)).toEqual(['in process', 'mosquitto']);
    expect(result.rate.map((x) => x.targetPerSec)).toEqual([1000, 10_000, 50_000]);
    // a rate limit holds: never far above its target
    for (const x of result.rate) expect(x.measuredPerSec).toBeLessThan(x.targetPerSec * 1.1);
    expect(result.shards).toBeNull();
    expect(result.machine.cores).toBeGreaterThan(0);
  }, 60_000);

  it('a bad value is a usage error', () => {
    const r = runCli(['bench', 'mqtt', '--messages', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--messages/);
  });
});
