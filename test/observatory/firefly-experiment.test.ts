import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { FireflyExperiment } from '../../src/observatory/experiments/firefly-experiment.js';
import { FLASH_TOPIC, type FlashMessage } from '../../src/observatory/agents/firefly-agent.js';
import { LocalBroker, LocalBus } from '../../src/messaging/index.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { ConstraintSet, Engine } from '../../src/runtime/index.js';
import { TorusTopology } from '../../src/observatory/model/topology.js';

async function flashLog(
  seed: number,
  side: number,
  untilMs: number,
): Promise<{ hash: string; flashes: number }> {
  const h = createHash('sha256');
  let flashes = 0;
  const exp = new FireflyExperiment({
    width: side,
    height: side,
    clock: 'virtual',
    seed,
    onFlash: (id, t) => {
      flashes++;
      h.update(`${id}:${t}\n`);
    },
  });
  await exp.start();
  await exp.runUntil(untilMs);
  await exp.stop();
  expect(exp.stats().failedAgents).toBe(0);
  return { hash: h.digest('hex'), flashes };
}

describe('FireflyExperiment on the runtime path', () => {
  it('gives the identical flash log for the same seed on the virtual clock [FLY-4]', async () => {
    const a = await flashLog(11, 12, 60_000);
    const b = await flashLog(11, 12, 60_000);
    const c = await flashLog(12, 12, 60_000);
    expect(b.hash).toBe(a.hash);
    expect(c.hash).not.toBe(a.hash);
    // 144 agents for 60 s of a 5 s period: about 12 flashes each, a little more with nudges
    expect(a.flashes).toBeGreaterThan(144 * 11);
    expect(a.flashes).toBeLessThan(144 * 12 * 1.6);
  });

  it('a rate limit slows a virtual run and leaves its flash log the same [SCH-7][GATE-7]', async () => {
    const log = async (
      rate: number | null,
    ): Promise<{ hash: string; flashes: number; wallMs: number }> => {
      const constraints = new ConstraintSet();
      if (rate !== null) constraints.set({ scope: 'group:fireflies', kind: 'rate', perSec: rate });
      const h = createHash('sha256');
      let flashes = 0;
      const exp = new FireflyExperiment({
        width: 6,
        height: 6,
        clock: 'virtual',
        seed: 5,
        engine: new Engine({ constraints }),
        onFlash: (id, t) => {
          flashes++;
          h.update(`${id}:${t}\n`);
        },
      });
      await exp.start();
      const t0 = performance.now();
      await exp.runUntil(6000);
      const wallMs = performance.now() - t0;
      await exp.stop();
      constraints.close();
      return { hash: h.digest('hex'), flashes, wallMs };
    };
    const free = await log(null);
    const limited = await log(300);
    expect(limited.hash).toBe(free.hash);
    expect(limited.flashes).toBe(free.flashes);
    // every flash is a step (and so are the ends of refractory times): at 300 steps/s the
    // run takes at least flashes/300 s of wall time, where the free run takes milliseconds
    expect(free.flashes).toBeGreaterThan(36);
    expect(limited.wallMs).toBeGreaterThan((free.flashes / 300) * 1000 * 0.9);
  });

  it('synchronises a 20x20 torus to R >= 0.9 within 400 simulated seconds', async () => {
    const exp = new FireflyExperiment({ width: 20, height: 20, clock: 'virtual', seed: 3 });
    await exp.start();
    expect(exp.monitor.orderParameter(0)).toBeLessThan(0.3);
    for (let t = 5000; t <= 400_000; t += 5000) {
      await exp.runUntil(t);
      exp.monitor.sample(t);
      if (exp.monitor.firstTimeAbove(0.9) !== undefined) break;
    }
    await exp.stop();
    expect(exp.monitor.firstTimeAbove(0.9)).toBeDefined();
    expect(exp.stats().droppedPulses).toBe(0);
  });

  it('publishes every flash on firefly/flash of its bus', async () => {
    const bus = new LocalBus({ broker: new LocalBroker() });
    await bus.connect();
    const seen: FlashMessage[] = [];
    bus.subscribe(FLASH_TOPIC, (_topic, payload) => {
      seen.push(payload as FlashMessage);
    });
    const exp = new FireflyExperiment({ width: 5, height: 5, clock: 'virtual', seed: 2, bus });
    await exp.start();
    await exp.runUntil(20_000);
    await exp.stop();
    expect(seen.length).toBe(exp.telemetry.flashes);
    expect(seen.length).toBeGreaterThan(25 * 3);
    for (const m of seen) {
      expect(m.agentId).toBeGreaterThanOrEqual(0);
      expect(m.agentId).toBeLessThan(25);
      expect(m.t).toBeLessThanOrEqual(20_000);
    }
    await bus.disconnect();
  });

  it('with --limit, every step holds one of N shared slots, given back when it waits [FLY-6]', async () => {
    const inUseAtFlash: number[] = [];
    const exp: FireflyExperiment = new FireflyExperiment({
      width: 6,
      height: 6,
      clock: 'virtual',
      seed: 4,
      limit: 3,
      onFlash: () => inUseAtFlash.push(exp.resourceManager!.inUse.cpu_slot ?? 0),
    });
    let inUseBetweenSteps = 0;
    const clock = exp.scheduler.clock;
    const check = (): void => {
      inUseBetweenSteps = Math.max(inUseBetweenSteps, exp.resourceManager!.inUse.cpu_slot ?? 0);
      if (clock.now() < 29_000) clock.setTimer(clock.now() + 1, check);
    };
    clock.setTimer(0, check);
    await exp.start();
    await exp.runUntil(30_000);
    await exp.stop();
    expect(inUseAtFlash.length).toBeGreaterThan(36 * 4);
    // a flash happens inside a step, which holds its slot; steps are synchronous, so one at a time
    expect(new Set(inUseAtFlash)).toEqual(new Set([1]));
    expect(inUseBetweenSteps).toBe(0); // a waiting agent holds no slot [VM-4]
    expect(exp.resourceManager!.inUse.cpu_slot).toBe(0);
    expect(exp.stats().failedAgents).toBe(0);
  });

  it('runs on the real clock, sped up, and stops cleanly [FLY-7]', async () => {
    const exp = new FireflyExperiment({ width: 10, height: 10, clock: 'real', speed: 50, seed: 1 });
    await exp.start();
    await exp.runUntil(10_000); // 10 simulated s = 200 wall ms
    await exp.stop();
    const s = exp.stats();
    expect(s.flashes).toBeGreaterThan(100);
    expect(s.failedAgents).toBe(0);
    expect(exp.scheduler.pending).toBe(0);
  });

  it('halt ends no agent and nothing fires or flashes after it [FLY-11]', async () => {
    const exp = new FireflyExperiment({ width: 10, height: 10, clock: 'virtual', seed: 1 });
    await exp.start();
    await exp.runUntil(3_000);
    const flashes = exp.stats().flashes;
    const pending = exp.scheduler.pending;
    expect(pending).toBe(100); // every agent parked on its timer
    await exp.halt();
    expect(exp.scheduler.pending).toBe(pending); // still parked: not woken, not ended
    await new Promise((resolve) => setTimeout(resolve, 20));
    await exp.stop(); // and stop has nothing left to do: it wakes no agent either
    expect(exp.stats().flashes).toBe(flashes);
    expect(exp.scheduler.pending).toBe(pending);
  });

  it('rejects bad options before anything starts, naming them', () => {
    expect(() => new FireflyExperiment({ width: 0, height: 5 })).toThrow(InvalidArgumentError);
    expect(() => new FireflyExperiment({ width: 5, height: 5, limit: 0 })).toThrow(/limit/);
    expect(
      () => new FireflyExperiment({ width: 5, height: 5, periodMs: 1000, nudgeMs: 1000 }),
    ).toThrow(/nudge/);
    expect(() => new FireflyExperiment({ width: 5, height: 5, periodMs: -5 })).toThrow(/period/);
  });
});

describe('FireflyExperiment composed from parts its caller hands in', () => {
  it('runs its agents on a given engine and topology, with the flash log of its own', async () => {
    const engine = new Engine();
    const topology = new TorusTopology(12, 12);
    const h = createHash('sha256');
    const exp = new FireflyExperiment({
      width: 12,
      height: 12,
      clock: 'virtual',
      seed: 3,
      engine,
      topology,
      onFlash: (id, t) => h.update(`${id}:${t}\n`),
    });
    expect(exp.engine).toBe(engine);
    expect(exp.topology).toBe(topology);
    await exp.start();
    await exp.runUntil(20_000);
    await exp.stop();
    expect(h.digest('hex')).toBe((await flashLog(3, 12, 20_000)).hash);
  });

  it('refuses a topology of another size, and an engine together with a limit', () => {
    expect(
      () => new FireflyExperiment({ width: 12, height: 12, topology: new TorusTopology(10, 12) }),
    ).toThrow(/topology.*must match the grid \(12x12\)/);
    expect(
      () => new FireflyExperiment({ width: 12, height: 12, engine: new Engine(), limit: 4 }),
    ).toThrow(InvalidArgumentError);
  });
});
