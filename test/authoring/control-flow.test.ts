/** sequence, pipeline, router (jump / selectJump / bind) and subflow. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CancelledError,
  END,
  Engine,
  ErrorCode,
  EventBus,
  bind,
  compose,
  dryRun,
  inject,
  jump,
  param,
  pipeline,
  router,
  selectJump,
  sequence,
  subflow,
  task,
  visualize,
  type EngineEvent,
  type LazyResult,
} from '../../src/index.js';

function collatzRouter(maxSteps?: number) {
  const parity = selectJump((n: number) => (n === 1 ? 'one' : n % 2 === 0 ? 'even' : 'odd'), {
    name: 'parity',
  });
  const halve = task((n: number) => jump('check', n / 2), { name: 'halve' });
  const triple = task((n: number) => Promise.resolve(jump('check', 3 * n + 1)), { name: 'triple' });
  return router('collatz', {
    start: 'check',
    states: {
      check: bind(parity, { one: END, even: 'halve', odd: 'triple' }),
      halve: bind(halve, ['check']),
      triple: bind(triple, ['check']),
    },
    ...(maxSteps !== undefined && { maxSteps }),
  });
}

describe('sequence', () => {
  it('runs steps one after another and resolves to their values [SEQ-1]', async () => {
    const log: string[] = [];
    const step = task(
      async (name: string, ms: number) => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        return name.length;
      },
      { name: 'step' },
    );
    const seq = sequence(step('a', 30), step('bb', 1), step('ccc', 10));
    expectTypeOf(seq).toEqualTypeOf<LazyResult<[number, number, number]>>();
    expect(await new Engine().run(seq)).toEqual([1, 2, 3]);
    expect(log).toEqual(['start a', 'end a', 'start bb', 'end bb', 'start ccc', 'end ccc']);
    expect(dryRun(seq).stages).toEqual([['step#0'], ['step#1'], ['step#2'], ['sequence#3']]);
  });

  it('a failed step stops the sequence: later steps never start', async () => {
    let later = 0;
    const fail = task(() => {
      throw new Error('no');
    });
    const after = task(() => ++later);
    await expect(new Engine().run(sequence(fail(), after()))).rejects.toMatchObject({
      code: ErrorCode.TASK_FAILED,
    });
    expect(later).toBe(0);
  });

  it('refuses a step that a later step takes as an argument [SEQ-2]', () => {
    const a = task(() => 1)();
    const inc = task((x: number) => x + 1);
    const b = inc(a);
    expect(() => sequence(a, b, inc(b))).toThrow(/sequence step 2.*would run twice/);
  });
});

describe('pipeline and compose', () => {
  const split = task((s: string) => s.split(' '), { name: 'split' });
  const count = task((words: string[]) => words.length, { name: 'count' });
  const double = task((n: number) => n * 2, { name: 'double' });

  it('feeds a value through unary stages, with types flowing', async () => {
    const p = pipeline('a b c', split, count, double);
    expectTypeOf(p).toEqualTypeOf<LazyResult<number>>();
    expect(await new Engine().run(p)).toBe(6);
    // @ts-expect-error count takes a string[], not a number
    pipeline('a', split, count, count);
  });

  it('compose makes a factory of the stages', async () => {
    const words = compose(split, count);
    expect(await new Engine().run(double(words('x y')))).toBe(4);
    expect(dryRun(words('x')).tasks.map((t) => t.name)).toEqual(['split', 'count']);
  });
});

describe('router', () => {
  it('runs a Collatz machine to its end, the types flowing from the states', async () => {
    const collatz = collatzRouter();
    const run = collatz(27);
    expectTypeOf(run).toEqualTypeOf<LazyResult<number>>();
    expect(await new Engine().run(run)).toBe(1);
    expect(
      await new Engine().run(collatz(param('n', { type: 'integer' })), { params: { n: 6 } }),
    ).toBe(1);
  });

  it('counts its steps: one more than maxSteps fails with STEPS_EXCEEDED [ROUTE-2]', async () => {
    // 27 takes 111 Collatz steps: 111 jumps to check plus as many from check
    const error = await new Engine().run(collatzRouter(100)(27)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.TASK_FAILED });
    expect((error as Error).cause).toMatchObject({
      code: ErrorCode.STEPS_EXCEEDED,
      details: { router: 'collatz', maxSteps: 100 },
    });
  });

  it('an unbounded loop ends when the run is cancelled [ROUTE-1]', async () => {
    const spin = task((n: number) => jump('spin', n + 1), { name: 'spin' });
    const loop = router('forever', { start: 'spin', states: { spin }, maxSteps: Infinity });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const error = await new Engine().run(loop(0), { signal: ac.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
  });

  it('runs a million steps in constant stack (VM loop)', async () => {
    const down = task((n: number) => (n === 0 ? 'done' : jump('down', n - 1)), { name: 'down' });
    const loop = router('countdown', { start: 'down', states: { down }, maxSteps: Infinity });
    expect(await new Engine().run(loop(1_000_000), { vm: true })).toBe('done');
  });

  it('a jump to an undeclared state fails the run naming it [ROUTE-3]', async () => {
    const go = task((n: number) => jump('nowhere', n), { name: 'go' });
    const back = task((n: number) => n);
    const r = router('r', { start: 'go', states: { go: bind(go, ['back']), back } });
    await expect(new Engine().run(r(1))).rejects.toThrow(/jump from r\.go: nowhere.*not declared/);
    const free = router('f', { start: 'go', states: { go, back } });
    await expect(new Engine().run(free(1))).rejects.toThrow(/not a state of router f/);
  });

  it('checks every name when it is declared [ROUTE-3]', () => {
    const a = task((n: number) => n);
    expect(() => router('r', { start: 'b' as 'a', states: { a } })).toThrow(/router r start: b/);
    const pick = selectJump((_n: number) => 'x' as const);
    expect(() => router('r', { start: 's', states: { s: bind(pick, { x: 'missing' }) } })).toThrow(
      /state s: missing \(is not a state/,
    );
  });

  it('a selector key with no target is an error naming the key', async () => {
    const pick = selectJump((n: number) => (n > 0 ? 'pos' : 'neg') as 'pos');
    const r = router('r', { start: 's', states: { s: bind(pick, { pos: END }) } });
    expect(await new Engine().run(r(1))).toBe(1);
    await expect(new Engine().run(r(-1))).rejects.toThrow(/selector .* neg .*has no target/);
  });

  it('is data: dryRun lists its states and visualize draws the jumps with their keys', () => {
    const target = collatzRouter(500)(27);
    const plan = dryRun(target);
    expect(plan.tasks[0].structure).toEqual({
      kind: 'router',
      start: 'check',
      maxSteps: 500,
      states: [
        {
          name: 'check',
          kind: 'select',
          label: 'parity',
          next: { one: END, even: 'halve', odd: 'triple' },
        },
        { name: 'halve', kind: 'task', label: 'halve', next: { check: 'check' } },
        { name: 'triple', kind: 'task', label: 'triple', next: { check: 'check' } },
      ],
    });
    const text = visualize(target);
    expect(text).toContain('subgraph n0_states ["router collatz"]');
    expect(text).toContain('n0_s_check{"check<br/>parity"}');
    expect(text).toContain('n0_s_check -->|even| n0_s_halve');
    expect(text).toContain('n0_s_check -->|one| n0_end');
    expect(text).toContain('n0_s_halve --> n0_s_check');
    expect(text).toContain('n0 -.->|start| n0_s_check');
    const dot = visualize(target, { format: 'dot' });
    expect(dot).toContain('subgraph cluster_n0_states {');
    expect(dot).toContain('n0_s_check -> n0_s_triple [label="odd"];');
  });
});

describe('subflow', () => {
  const sales = task((city: string) => city.length * 10, { name: 'sales' });
  const costs = task((city: string) => city.length, { name: 'costs' });
  const margin = task((s: number, c: number) => s - c, { name: 'margin' });
  const cityMargin = subflow('cityMargin', (city: string) => margin(sales(city), costs(city)));
  const sum = task((...xs: number[]) => xs.reduce((a, b) => a + b, 0), { name: 'sum' });

  it('runs a built target as one task of another graph, as a child run', async () => {
    const bus = new EventBus<EngineEvent>();
    const runs = new Set<string>();
    bus.on((e) => {
      if (e.type === 'RunStarted') runs.add(e.runId);
    });
    const pick = task(() => 'Oslo', { name: 'pick' });
    const target = sum(cityMargin('Lyon'), cityMargin(pick()));
    expectTypeOf(target).toEqualTypeOf<LazyResult<number>>();
    expect(await new Engine({ bus }).run(target)).toBe(36 + 36);
    expect(runs.size).toBe(3); // the outer run and two child runs
  });

  it('passes the params on, and a failing inner run fails the subflow task', async () => {
    const inner = subflow('withParam', () => sales(param('city')))();
    expect(await new Engine().run(inner, { params: { city: 'Rome' } })).toBe(40);
    const boom = task(() => {
      throw new Error('inner boom');
    });
    const failing = subflow('failing', boom());
    const error = await new Engine().run(failing).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.TASK_FAILED });
    expect(String((error as Error).message)).toMatch(/failing#0 failed/);
    expect(String((error as Error).cause)).toMatch(/inner boom/);
  });

  it('cancelling the outer run cancels the inner one [SUB-2]', async () => {
    const wait = task(
      (signal: AbortSignal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('stopped'))),
        ),
      { name: 'wait' },
    );
    const flow = subflow('waiting', wait(inject('signal')));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await expect(new Engine().run(flow, { signal: ac.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
  });

  it('is drawn and planned with its inside when its arguments are known [SUB-1]', () => {
    const target = sum(cityMargin('Lyon'), cityMargin(task(() => 'x', { name: 'pick' })()));
    const plan = dryRun(target);
    const known = plan.tasks.find((t) => t.id === 'cityMargin#0')!;
    expect(known.structure).toMatchObject({
      kind: 'subflow',
      plan: { stages: [['sales#0', 'costs#1'], ['margin#2']] },
    });
    expect(known.resources).toEqual(['context']);
    const late = plan.tasks.find((t) => t.id === 'cityMargin#2')!;
    expect(late.structure).toEqual({ kind: 'subflow', plan: null });
    const text = visualize(target);
    expect(text).toContain('subgraph n0_flow ["subflow cityMargin"]');
    expect(text).toContain('n0_0 --> n0_2');
    expect(text).toContain('n0_2 -.->|result| n0');
  });
});
