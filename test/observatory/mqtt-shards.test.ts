/**
 * Shards in processes of their own, in lock-step through a real Mosquitto on loopback: the
 * flash log of two shards is the one-process log with the same seed [SHD-4] [SHP-3] [SHP-4];
 * a shard that dies mid-run is named and the run ends [SHP-2]; shards end when the
 * coordinator goes away [SHP-5]; on the real clock a limit is paced like a pause [SLIM-3].
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MosquittoProcess } from '../../src/messaging/index.js';
import { ErrorCode } from '../../src/errors.js';
import { ConstraintSet } from '../../src/runtime/index.js';
import { FireflyExperiment } from '../../src/observatory/experiments/firefly-experiment.js';
import { MqttShardCoordinator } from '../../src/observatory/experiments/mqtt-shard-coordinator.js';
import { runMqttShard } from '../../src/observatory/experiments/mqtt-shard.js';
import { PaceMeter } from '../../src/observatory/metrics/pace-meter.js';

const MODEL = {
  width: 12,
  height: 12,
  periodMs: 500,
  nudgeMs: 25,
  jitterMs: 20,
  seed: 11,
} as const;
const DURATION = 3_000;

function digest(log: Array<[number, number]>): string {
  log.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return createHash('sha256').update(JSON.stringify(log)).digest('hex');
}

async function oneProcess(): Promise<{ hash: string; flashes: number; r: number[] }> {
  const log: Array<[number, number]> = [];
  const exp = new FireflyExperiment({
    ...MODEL,
    clock: 'virtual',
    publishFlashes: false,
    onFlash: (id, t) => log.push([t, id]),
  });
  const r: number[] = [];
  exp.sampleOrder(1000, DURATION, (_t, value) => r.push(value));
  await exp.start();
  await exp.runUntil(DURATION);
  const flashes = exp.stats().flashes;
  await exp.stop();
  return { hash: digest(log), flashes, r };
}

describe('shards across processes over MQTT', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  /**
   * A virtual-clock run of DURATION on two shard processes (in this process) and a coordinator:
   * its sorted flash log's hash, its flashes, R samples, stats, the shards' results and the
   * wall ms of runUntil.
   */
  async function twoShards(url: string, constraints?: ConstraintSet) {
    const log: Array<[number, number]> = [];
    const coordinator = new MqttShardCoordinator({
      ...MODEL,
      url,
      shards: 2,
      clock: 'virtual',
      onFlash: (id, t) => log.push([t, id]),
      ...(constraints !== undefined && { constraints }),
    });
    const r: number[] = [];
    coordinator.sampleOrder(1000, DURATION, (_t, value) => r.push(value));
    const shards = [0, 1].map((shard) => runMqttShard({ url, shard, shards: 2 }));
    await coordinator.start();
    const t0 = performance.now();
    await coordinator.runUntil(DURATION);
    const ms = performance.now() - t0;
    const stats = coordinator.stats();
    await coordinator.stop();
    const results = await Promise.all(shards);
    return { hash: digest(log), flashes: log.length, r, stats, results, ms };
  }

  it('give the one-process flash log with two shards over Mosquitto [SHD-4] [SHP-4]', async () => {
    const broker = await MosquittoProcess.start();
    cleanups.push(() => broker.stop());
    const run = await twoShards(broker.url);
    const one = await oneProcess();
    expect(one.flashes).toBeGreaterThan(144 * 4);
    expect(run.stats.flashes).toBe(one.flashes);
    expect(run.flashes).toBe(one.flashes);
    expect(run.hash).toBe(one.hash);
    expect(run.r).toEqual(one.r);
    expect(run.results.every((x) => x.borderIn > 0)).toBe(true); // live border links
  }, 30_000);

  it('split a rate limit between the shard processes: slower, the same flash log [SLIM-1] [SLIM-2]', async () => {
    const broker = await MosquittoProcess.start();
    cleanups.push(() => broker.stop());
    const rate = 2000;
    const free = await twoShards(broker.url);
    const constraints = new ConstraintSet();
    constraints.set({ scope: 'group:fireflies', kind: 'rate', perSec: rate });
    const limited = await twoShards(broker.url, constraints);
    constraints.close();
    const one = await oneProcess();
    expect(free.hash).toBe(one.hash);
    expect(limited.hash).toBe(one.hash);
    // every flash is a step: at 2,000 steps/s in all, at least flashes/2000 s
    expect(limited.ms).toBeGreaterThan((limited.flashes / rate) * 1000 * 0.9);
    expect(limited.ms).toBeGreaterThan(2 * free.ms);
  }, 60_000);

  it('real clock: a rate limit is paced like a pause, with no burst after it and no blame on the machine [SLIM-3] [PACE-3]', async () => {
    const broker = await MosquittoProcess.start();
    cleanups.push(() => broker.stop());
    const constraints = new ConstraintSet();
    const coordinator = new MqttShardCoordinator({
      ...MODEL,
      periodMs: 1000, // fewer ticks: the two shards keep up at x0.5 on a busy machine
      url: broker.url,
      shards: 2,
      clock: 'real',
      speed: 0.5, // well below what they can run: a burst would show
      constraints,
    });
    const shards = [0, 1].map((shard) => runMqttShard({ url: broker.url, shard, shards: 2 }));
    await coordinator.start();
    const meter = new PaceMeter(coordinator);
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    await sleep(300);
    const setAt = coordinator.now();
    // about 145 steps a simulated second in all: 20/s holds the lock-step to a crawl
    constraints.set({ scope: 'global', kind: 'rate', perSec: 20 });
    const during: number[] = [];
    for (let i = 0; i < 15; i++) {
      await sleep(100);
      during.push(coordinator.behindMs());
    }
    const limitedSim = coordinator.now() - setAt;
    constraints.clear('global', 'rate');
    const wall0 = performance.now();
    const sim0 = coordinator.now();
    const after: Array<[number, number]> = [];
    while (performance.now() - wall0 < 1_500) {
      await sleep(50);
      after.push([performance.now() - wall0, coordinator.now() - sim0]);
    }
    const pace = meter.summary();
    await coordinator.stop();
    await Promise.all(shards);
    constraints.close();
    expect(limitedSim).toBeLessThan(400); // the limit held the run back (x0.5: 750 in 1.5 s)
    expect(Math.max(...during)).toBe(0); // and that was not reported as lag
    for (const [wall, sim] of after) {
      expect(sim, `${sim} ms after ${wall} ms`).toBeLessThan(wall * 0.5 + 250); // no burst
    }
    expect(after.at(-1)![1]).toBeGreaterThan(250); // and it goes on
    expect(pace.limitedMs).toBeGreaterThan(1_200);
    expect(pace.maxBehindMs).toBeLessThan(125);
    expect(pace.lagging).toBe(false);
  }, 30_000);

  it('a second process for one shard, or one that comes late, is refused [SHP-1]', async () => {
    const broker = await MosquittoProcess.start();
    cleanups.push(() => broker.stop());
    const coordinator = new MqttShardCoordinator({
      ...MODEL,
      url: broker.url,
      shards: 2,
      clock: 'virtual',
    });
    const settle = (p: Promise<unknown>): Promise<unknown> =>
      p.then(
        (v) => v,
        (e: unknown) => e,
      );
    const shards = [0, 1, 1].map((shard) =>
      settle(runMqttShard({ url: broker.url, shard, shards: 2 })),
    );
    await coordinator.start();
    await coordinator.runUntil(1_000);
    const late = await settle(runMqttShard({ url: broker.url, shard: 1, shards: 2 }));
    expect(late).toMatchObject({ code: ErrorCode.COORDINATOR_LOST });
    expect(String(late)).toMatch(/started with all its 2 shards/);
    const one = new FireflyExperiment({ ...MODEL, clock: 'virtual', publishFlashes: false });
    await one.start();
    await one.runUntil(1_000);
    expect(coordinator.stats().flashes).toBe(one.stats().flashes);
    await one.stop();
    await coordinator.stop();
    const ends = await Promise.all(shards);
    const refused = ends.filter((e) => String(e).includes('another process runs shard 1'));
    expect(refused).toHaveLength(1);
    expect(ends.filter((e) => (e as { rounds?: number }).rounds! > 0)).toHaveLength(2);
  }, 30_000);

  it('end on both sides when the broker goes away mid-run [SHP-2]', async () => {
    const broker = await MosquittoProcess.start();
    cleanups.push(() => broker.stop());
    const coordinator = new MqttShardCoordinator({
      ...MODEL,
      url: broker.url,
      shards: 2,
      clock: 'real',
    });
    const shards = [0, 1].map((shard) =>
      runMqttShard({ url: broker.url, shard, shards: 2 }).then(
        (v) => v,
        (e: unknown) => e,
      ),
    );
    await coordinator.start();
    await coordinator.runUntil(300);
    await broker.stop();
    await expect(coordinator.failure).rejects.toMatchObject({
      code: ErrorCode.MQTT_CONNECT_FAILED,
    });
    await coordinator.stop();
    for (const end of await Promise.all(shards)) {
      expect(end).toMatchObject({ code: ErrorCode.MQTT_CONNECT_FAILED });
    }
  }, 30_000);

  it('names a shard that dies mid-run and stops the other [SHP-2]', async () => {
    const broker = await MosquittoProcess.start();
    cleanups.push(() => broker.stop());
    const coordinator = new MqttShardCoordinator({
      ...MODEL,
      url: broker.url,
      shards: 2,
      clock: 'virtual',
    });
    const settle = (p: Promise<unknown>): Promise<unknown> =>
      p.then(
        (v) => v,
        (e: unknown) => e,
      );
    const healthy = settle(runMqttShard({ url: broker.url, shard: 0, shards: 2 }));
    const failing = settle(
      runMqttShard({ url: broker.url, shard: 1, shards: 2, failAfterRounds: 50 }),
    );
    await coordinator.start();
    const error = await Promise.race([coordinator.runUntil(60_000), coordinator.failure]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: ErrorCode.SHARD_FAILED, details: { shard: 1 } });
    await coordinator.stop();
    expect(String(await failing)).toMatch(/injected failure/);
    expect(await healthy).toMatchObject({ rounds: expect.any(Number) as number });
  }, 30_000);
});
