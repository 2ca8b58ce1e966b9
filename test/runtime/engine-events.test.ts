import { describe, expect, it } from 'vitest';
import { task } from '../../src/spec/index.js';
import { Engine, EventBus, ResourceManager, type EngineEvent } from '../../src/runtime/index.js';
import { ErrorCode } from '../../src/errors.js';

function engineWithLog(rm?: ResourceManager): { engine: Engine; events: EngineEvent[] } {
  const bus = new EventBus<EngineEvent>({ onSubscriberError: () => {} });
  const events: EngineEvent[] = [];
  bus.on((e) => events.push(e));
  return { engine: new Engine({ bus, ...(rm ? { resourceManager: rm } : {}) }), events };
}

describe('engine events [ENG-EVT-1..4]', () => {
  it('reports a run in order, every event with runId, task events with taskName/nodeId', async () => {
    let calls = 0;
    const flaky = task(
      () => {
        if (++calls === 1) throw new Error('first');
        return 2;
      },
      { name: 'flaky' },
    );
    const double = task((x: number) => x * 2, { name: 'double' });
    const { engine, events } = engineWithLog();
    expect(
      await engine.run(
        double(flaky().withRetry({ maxAttempts: 2 })).withConstraints({ cpu_slot: 1 }),
      ),
    ).toBe(4);
    expect(events.map((e) => e.type)).toEqual([
      'RunStarted',
      'TaskExecutionStarted', // flaky attempt 1
      'TaskExecutionFinished', // failed
      'TaskRetrying',
      'TaskExecutionStarted', // flaky attempt 2
      'TaskExecutionFinished',
      'ResourceAcquired', // double
      'TaskExecutionStarted',
      'TaskExecutionFinished',
      'ResourceReleased',
      'RunFinished',
    ]);
    const runId = events[0].runId;
    expect(events.every((e) => e.runId === runId)).toBe(true);
    expect(events[2]).toMatchObject({
      taskName: 'flaky',
      nodeId: 'flaky#0',
      status: 'failed',
      attempt: 1,
    });
    expect((events[2] as { error: Error }).error.message).toBe('first');
    expect(events[3]).toMatchObject({ attempt: 1, delayMs: 0 });
    expect(events[8]).toMatchObject({
      taskName: 'double',
      nodeId: 'double#1',
      status: 'succeeded',
    });
    expect((events[8] as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
    expect(events[10]).toMatchObject({ type: 'RunFinished', status: 'succeeded' });
  });

  it('reports TaskBlocked when a task waits for resources', async () => {
    const rm = new ResourceManager({ slot: 1 });
    const { engine, events } = engineWithLog(rm);
    rm.tryAcquire({ slot: 1 });
    const t = task(() => 1, { name: 't' });
    const p = engine.run(t().withConstraints({ slot: 1 }));
    await new Promise((r) => setTimeout(r, 5));
    rm.release({ slot: 1 });
    await p;
    expect(events.find((e) => e.type === 'TaskBlocked')).toMatchObject({
      nodeId: 't#0',
      reason: expect.stringContaining('slot') as unknown,
    });
  });

  it('RunFinished carries the failure', async () => {
    const { engine, events } = engineWithLog();
    const bad = task(() => {
      throw new Error('bad');
    });
    await expect(engine.run(bad())).rejects.toMatchObject({ code: ErrorCode.TASK_FAILED });
    expect(events.at(-1)).toMatchObject({ type: 'RunFinished', status: 'failed' });
  });

  it('a throwing subscriber does not break the run [ENG-EVT-4]', async () => {
    const errors: unknown[] = [];
    const bus = new EventBus<EngineEvent>({ onSubscriberError: (e) => errors.push(e) });
    const seen: string[] = [];
    bus.on(() => {
      throw new Error('subscriber bug');
    });
    bus.on((e) => seen.push(e.type));
    const add = task((a: number, b: number) => a + b);
    expect(await new Engine({ bus }).run(add(add(1, 1), 1))).toBe(3);
    expect(seen.at(-1)).toBe('RunFinished');
    expect(errors.length).toBe(seen.length);
    expect(bus.subscriberErrors).toBe(seen.length);
  });

  it('interleaved runs keep their own order', async () => {
    const { engine, events } = engineWithLog();
    const slow = task(async (ms: number) => {
      await new Promise((r) => setTimeout(r, ms));
      return ms;
    });
    await Promise.all([engine.run(slow(20)), engine.run(slow(1)), engine.run(slow(10))]);
    const byRun = new Map<string, string[]>();
    for (const e of events) byRun.set(e.runId, [...(byRun.get(e.runId) ?? []), e.type]);
    expect(byRun.size).toBe(3);
    for (const types of byRun.values()) {
      expect(types).toEqual([
        'RunStarted',
        'TaskExecutionStarted',
        'TaskExecutionFinished',
        'RunFinished',
      ]);
    }
  });
});
