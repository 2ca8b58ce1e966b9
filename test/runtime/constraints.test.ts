/**
 * The control plane's constraints: parsing [CTL-1] [CTL-2], the set [CTL-3..6], the command
 * model [CMDL-1] [CMDL-2], and enforcement by the gate [GATE-1..5] in graph mode [EXE-7] and VM
 * mode [VM-7], in process through a LocalBus. (Over MQTT: test/messaging/mqtt-control.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { task, tailCall } from '../../src/spec/index.js';
import {
  ConstraintSet,
  Engine,
  constraintTopic,
  controlMessages,
  parseConstraint,
  topicConstraint,
  type ConstraintEvent,
} from '../../src/runtime/index.js';
import { ErrorCode } from '../../src/errors.js';
import { LocalBroker, LocalBus } from '../../src/messaging/index.js';
import { eventually } from '../messaging/connector.conformance.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('constraints: wire format [CTL-1] [CTL-2]', () => {
  it('maps scopes and kinds to topics and back', () => {
    expect(constraintTopic('global', 'pause')).toBe('cascade/constraints/global/pause');
    expect(constraintTopic('task:fly', 'rate')).toBe('cascade/constraints/task/fly/rate');
    expect(topicConstraint('cascade/constraints/group/g1/concurrency')).toEqual({
      scope: 'group:g1',
      kind: 'concurrency',
    });
    for (const bad of [
      'cascade/constraints/cpu_slot',
      'cascade/constraints/global',
      'x/global/pause',
    ]) {
      expect(topicConstraint(bad), bad).toBeNull();
    }
    expect(() => constraintTopic('tasks:x', 'pause')).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_CONSTRAINT }) as Error,
    );
  });

  it('accepts valid payloads and rejects the rest, naming the problem', () => {
    expect(parseConstraint('global', 'concurrency', { kind: 'concurrency', limit: 3 })).toEqual({
      scope: 'global',
      kind: 'concurrency',
      limit: 3,
    });
    expect(
      parseConstraint('task:a', 'rate', { kind: 'rate', perSec: 50, burst: 5, expiresAt: 1e12 }),
    ).toEqual({ scope: 'task:a', kind: 'rate', perSec: 50, burst: 5, expiresAt: 1e12 });
    const bad: Array<[string, unknown, RegExp]> = [
      ['concurrency', { kind: 'concurrency', limit: 0 }, /limit.*>= 1/],
      ['concurrency', 0, /JSON object/],
      ['concurrency', { kind: 'pause' }, /"kind" must be "concurrency"/],
      ['rate', { kind: 'rate', perSec: -1 }, /perSec/],
      ['rate', { kind: 'rate', perSec: 10, burst: 0 }, /burst/],
      ['pause', { kind: 'pause', expiresAt: 'soon' }, /expiresAt/],
      ['pause', { kind: 'pause', extra: 1 }, /unknown field "extra"/],
      ['pause', 'pause', /JSON object/],
    ];
    for (const [kind, payload, message] of bad) {
      expect(() => parseConstraint('global', kind as 'pause', payload)).toThrow(message);
    }
  });
});

describe('ConstraintSet [CTL-3..6] and commands [CMDL-1] [CMDL-2]', () => {
  it('sets, replaces, clears on every empty payload, rejects invalid ones changing nothing', () => {
    const set = new ConstraintSet();
    const events: ConstraintEvent[] = [];
    set.events.on((e) => void events.push(e));
    const topic = 'cascade/constraints/global/concurrency';
    expect(set.applyMessage(topic, { kind: 'concurrency', limit: 4 })).toBe(true);
    expect(set.applyMessage(topic, { kind: 'concurrency', limit: 2 })).toBe(true); // replaces
    expect(set.list()).toEqual([{ scope: 'global', kind: 'concurrency', limit: 2 }]);
    // [CTL-4] the review's bugs: 0 and garbage change nothing
    expect(set.applyMessage(topic, { kind: 'concurrency', limit: 0 })).toBe(false);
    expect(set.applyMessage(topic, 0)).toBe(false);
    expect(set.applyMessage('cascade/constraints/cpu_slot', 0)).toBe(false);
    expect(set.list()).toEqual([{ scope: 'global', kind: 'concurrency', limit: 2 }]);
    const rejected = events.filter((e) => e.type === 'ConstraintRejected');
    expect(rejected).toHaveLength(3);
    for (const empty of ['', null, undefined, new Uint8Array(0)]) {
      set.applyMessage(topic, { kind: 'concurrency', limit: 2 });
      expect(set.applyMessage(topic, empty)).toBe(true); // [CTL-2] removes, never 0
      expect(set.size).toBe(0);
    }
    expect(events.filter((e) => e.type === 'ConstraintRemoved')).toHaveLength(4);
    set.close();
  });

  it('[CTL-5] removes a constraint when it expires, and ignores one that arrives expired', async () => {
    const set = new ConstraintSet();
    const events: ConstraintEvent[] = [];
    set.events.on((e) => void events.push(e));
    set.applyMessage('cascade/constraints/global/pause', {
      kind: 'pause',
      expiresAt: Date.now() + 60,
    });
    set.applyMessage('cascade/constraints/task/a/pause', {
      kind: 'pause',
      expiresAt: Date.now() - 1,
    });
    expect(set.list().map((c) => c.scope)).toEqual(['global']);
    await eventually(() => set.size === 0, 2000, 'expiry');
    expect(events.at(-1)).toEqual({
      type: 'ConstraintRemoved',
      scope: 'global',
      kind: 'pause',
      reason: 'expired',
    });
    set.close();
  });

  it('turns commands into constraints and retained messages', () => {
    const now = 1_000_000;
    expect(controlMessages({ type: 'pause', scope: 'group:g', ttlSeconds: 30 }, now)).toEqual([
      {
        topic: 'cascade/constraints/group/g/pause',
        payload: { kind: 'pause', expiresAt: now + 30_000 },
        expirySeconds: 30,
      },
    ]);
    expect(controlMessages({ type: 'resume', scope: 'global' }, now)).toEqual([
      { topic: 'cascade/constraints/global/pause', payload: '' },
    ]);
    expect(
      controlMessages({ type: 'limit', scope: 'task:t', concurrency: 2, perSec: null }, now),
    ).toEqual([
      {
        topic: 'cascade/constraints/task/t/concurrency',
        payload: { kind: 'concurrency', limit: 2 },
      },
      { topic: 'cascade/constraints/task/t/rate', payload: '' },
    ]);
    expect(() => controlMessages({ type: 'limit', scope: 'global' }, now)).toThrow(
      /concurrency or a rate/,
    );
    const set = new ConstraintSet();
    set.applyCommand({ type: 'limit', scope: 'global', concurrency: 3, perSec: 10 });
    set.applyCommand({ type: 'pause', scope: 'global' });
    expect(set.size).toBe(3);
    expect(() => set.applyCommand({ type: 'limit', scope: 'global', concurrency: 0 })).toThrow();
    expect(set.get('global', 'concurrency')).toEqual({
      scope: 'global',
      kind: 'concurrency',
      limit: 3,
    });
    set.applyCommand({ type: 'resume', scope: 'global' });
    expect(set.get('global', 'pause')).toBeUndefined();
    set.applyCommand({ type: 'clear', scope: 'global' });
    expect(set.size).toBe(0);
    set.close();
  });
});

describe('enforcement [GATE-1..5]', () => {
  const sets: ConstraintSet[] = [];
  afterEach(() => {
    for (const s of sets) s.close();
    sets.length = 0;
  });
  function constrained(): { set: ConstraintSet; engine: Engine } {
    const set = new ConstraintSet();
    sets.push(set);
    return { set, engine: new Engine({ constraints: set, systemResources: { cpu_slot: 64 } }) };
  }

  it('[EXE-7] graph mode: pause holds tasks without failing them; resume runs them', async () => {
    const { set, engine } = constrained();
    let ran = 0;
    const work = task(
      async (i: number) => {
        ran++;
        await sleep(1);
        return i;
      },
      { name: 'work' },
    );
    const sum = task((xs: number[]) => xs.reduce((a, b) => a + b, 0), { name: 'sum' });
    set.applyCommand({ type: 'pause', scope: 'global' });
    const result = engine.run(sum(Array.from({ length: 8 }, (_, i) => work(i))));
    await sleep(50);
    expect(ran).toBe(0);
    expect(set.gate.waiting).toBe(8);
    set.applyCommand({ type: 'resume', scope: 'global' });
    expect(await result).toBe(28);
    expect(ran).toBe(8);
  });

  it('[GATE-1] graph mode: the most restrictive concurrency wins', async () => {
    const { set, engine } = constrained();
    let inside = 0;
    let most = 0;
    const work = task(
      async () => {
        most = Math.max(most, ++inside);
        await sleep(5);
        inside--;
      },
      { name: 'work' },
    );
    const all = task((xs: unknown[]) => xs.length, { name: 'all' });
    set.applyCommand({ type: 'limit', scope: 'global', concurrency: 3 });
    set.applyCommand({ type: 'limit', scope: 'task:work', concurrency: 2 });
    expect(await engine.run(all(Array.from({ length: 10 }, () => work())))).toBe(10);
    expect(most).toBe(2);
    set.applyCommand({ type: 'clear', scope: 'task:work' });
    most = 0;
    expect(await engine.run(all(Array.from({ length: 10 }, () => work())))).toBe(10);
    expect(most).toBe(3);
  });

  it('[VM-7] VM mode: agents re-check at each iteration; pause stops them, resume continues', async () => {
    const { set, engine } = constrained();
    const counts = [0, 0, 0, 0];
    const agent = task(
      async ({ id, n }: { id: number; n: number }) => {
        counts[id]++;
        await sleep(1);
        return n === 1e9 ? n : tailCall({ id, n: n + 1 });
      },
      { name: 'agent' },
    );
    const ac = new AbortController();
    const runs = counts.map((_, id) =>
      engine
        .run(agent({ id, n: 0 }), { vm: true, signal: ac.signal, group: 'g' })
        .catch((e: unknown) => e),
    );
    await eventually(() => counts.every((c) => c > 3), 3000, 'agents running');
    set.applyCommand({ type: 'pause', scope: 'group:g' });
    await sleep(30);
    const frozen = [...counts];
    await sleep(100);
    expect(counts).toEqual(frozen); // nobody ran an iteration while paused
    set.applyCommand({ type: 'resume', scope: 'group:g' });
    await eventually(() => counts.every((c, i) => c > frozen[i] + 3), 3000, 'resumed');
    // concurrency 1 on the task: at most one agent inside an iteration at a time
    set.applyCommand({ type: 'limit', scope: 'task:agent', concurrency: 1 });
    await sleep(20);
    let most = 0;
    for (let i = 0; i < 40; i++) {
      most = Math.max(most, set.gate.inside('task:agent'));
      await sleep(1);
    }
    expect(most).toBe(1);
    ac.abort();
    const ends = await Promise.all(runs);
    for (const e of ends) expect((e as { code?: string }).code).toBe(ErrorCode.CANCELLED);
  });

  it('[GATE-5] a rate limit paces VM iterations to its rate', async () => {
    const { set, engine } = constrained();
    let n = 0;
    const spin = task(({ k }: { k: number }) => (++n, tailCall({ k: k + 1 })), { name: 'spin' });
    set.applyCommand({ type: 'limit', scope: 'global', perSec: 500, burst: 1 });
    const ac = new AbortController();
    const runs = [0, 1, 2].map(() =>
      engine.run(spin({ k: 0 }), { vm: true, signal: ac.signal }).catch(() => undefined),
    );
    await sleep(100);
    const from = n;
    const t0 = performance.now();
    await sleep(500);
    const rate = ((n - from) * 1000) / (performance.now() - t0);
    ac.abort();
    await Promise.all(runs);
    expect(rate).toBeGreaterThan(400);
    expect(rate).toBeLessThan(560);
  });

  it('[GATE-6] a rate limit keeps its rate when its timer fires late (a busy event loop)', async () => {
    const { set, engine } = constrained();
    let n = 0;
    const spin = task(({ k }: { k: number }) => (++n, tailCall({ k: k + 1 })), { name: 'spin' });
    set.applyCommand({ type: 'limit', scope: 'global', perSec: 1000, burst: 1 });
    const ac = new AbortController();
    const runs = [0, 1].map(() =>
      engine.run(spin({ k: 0 }), { vm: true, signal: ac.signal }).catch(() => undefined),
    );
    await sleep(50);
    const from = n;
    const t0 = performance.now();
    // the event loop blocked 15 ms of every 25: every timer fires late
    while (performance.now() - t0 < 1000) {
      const busy = performance.now();
      while (performance.now() - busy < 15);
      await sleep(10);
    }
    const rate = ((n - from) * 1000) / (performance.now() - t0);
    ac.abort();
    await Promise.all(runs);
    // without the lateness's tokens: about 1 a timer, 40 to 100 a second
    expect(rate).toBeGreaterThan(850);
    expect(rate).toBeLessThan(1100);
  });

  it('regression: constraints set before the gate is first asked for are enforced [GATE-1]', () => {
    const set = new ConstraintSet();
    set.applyCommand({ type: 'limit', scope: 'global', perSec: 1000, burst: 3 });
    set.applyCommand({ type: 'pause', scope: 'group:late' });
    const key = set.gate.key('step');
    let entered = 0;
    while (entered < 100 && key.tryEnter()) {
      key.leave();
      entered++;
    }
    expect(entered).toBe(3); // the burst, not unlimited
    expect(set.gate.key('step', 'late').tryEnter()).toBe(false); // paused
    set.close();
  });

  it('regression: cpu_slot 0 or an empty payload through a LocalBus fails no agent', async () => {
    const broker = new LocalBroker();
    const engineSide = new LocalBus({ broker });
    const control = new LocalBus({ broker });
    await engineSide.connect();
    await control.connect();
    const engine = new Engine({ connector: engineSide, systemResources: { cpu_slot: 2 } });
    const rejected: ConstraintEvent[] = [];
    engine.constraints!.events.on(
      (e) => void (e.type === 'ConstraintRejected' && rejected.push(e)),
    );
    let steps = 0;
    const agent = task(({ k }: { k: number }) => (++steps, k === 50 ? k : tailCall({ k: k + 1 })), {
      name: 'agent',
    });
    const ac = new AbortController();
    const slow = task(
      async ({ k }: { k: number }) => {
        await sleep(2);
        return k > 1e9 ? k : tailCall({ k: k + 1 });
      },
      { name: 'slow' },
    );
    const running = [0, 1, 2, 3].map(() =>
      engine
        .run(slow({ k: 0 }).withConstraints({ cpu_slot: 1 }), { vm: true, signal: ac.signal })
        .catch((e: unknown) => e),
    );
    await sleep(20);
    await control.publish('cascade/constraints/cpu_slot', 0, { retain: true });
    await control.publish('cascade/constraints/cpu_slot', '', { retain: true });
    await control.publish(
      'cascade/constraints/global/concurrency',
      { kind: 'concurrency', limit: 0 },
      { retain: true },
    );
    await control.publish('cascade/constraints/global/pause', { kind: 'pause' }, { retain: true });
    const stepsBefore = steps;
    const quick = engine.run(agent({ k: 0 }), { vm: true });
    await sleep(30);
    expect(steps).toBe(stepsBefore); // paused, not failed
    await control.publish('cascade/constraints/global/pause', '', { retain: true });
    expect(await quick).toBe(50);
    expect(rejected).toHaveLength(3); // cpu_slot 0, cpu_slot empty, concurrency 0
    ac.abort();
    for (const e of await Promise.all(running)) {
      expect((e as { code?: string }).code).toBe(ErrorCode.CANCELLED); // not INFEASIBLE_CONSTRAINT
    }
    expect(engine.resourceManager.capacity).toEqual({ cpu_slot: 2 });
    engine.close();
  });
});

describe('the gateway uses the same command model', () => {
  it('constraintCommands applies validated commands to a ConstraintSet', async () => {
    const { constraintCommands } = await import('../../src/gateway/index.js');
    const set = new ConstraintSet();
    const handler = constraintCommands(set);
    const ctx = { session: 's', subject: 'test', role: 'control' };
    const parsed = handler.schemas.limit.parse({ concurrency: 2 });
    expect(handler.apply('limit', parsed, ctx)).toEqual({
      constraints: [{ scope: 'global', kind: 'concurrency', limit: 2 }],
    });
    expect(handler.schemas.limit.safeParse({ concurrency: 0 }).success).toBe(false);
    expect(() =>
      handler.apply('pause', handler.schemas.pause.parse({ scope: 'tasks:x' }), ctx),
    ).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_CONSTRAINT }) as Error);
    expect(set.size).toBe(1); // the refused command changed nothing
    handler.apply('clear', handler.schemas.clear.parse({}), ctx);
    expect(set.size).toBe(0);
    set.close();
  });
});
