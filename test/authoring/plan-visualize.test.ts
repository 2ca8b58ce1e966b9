/** dryRun and visualize: the plan and the picture of a graph, without running it. */
import { describe, expect, it } from 'vitest';
import { dryRun, env, inject, param, task, visualize } from '../../src/index.js';

function workflow(calls: { n: number }) {
  const load = task((d: number) => (calls.n++, d), { name: 'load' });
  const clean = task((x: number) => (calls.n++, x), { name: 'clean' });
  const check = task((x: number) => (calls.n++, x > 0), { name: 'check' });
  const save = task((x: number, _db: unknown) => (calls.n++, x), { name: 'save' });
  const days = param('days', { type: 'integer', default: 7, description: 'days' });
  const loaded = load(days).withRetry({ maxAttempts: 3, delay: 10, backoff: 2 });
  const cleaned = clean(loaded).withCache('memory').withConstraints({ cpu_slot: 2 });
  const audit = clean(env('AUDIT', { type: 'number', default: 0 })).withCache({
    kind: 'file',
    path: '/tmp/x',
  });
  return save(cleaned, inject('db')).runIf(check(cleaned)).after(audit);
}

describe('dryRun', () => {
  it('lists inputs, stages in dependency order and each task with its policies, running nothing [PLAN-1]', () => {
    const calls = { n: 0 };
    const plan = dryRun(workflow(calls));
    expect(calls.n).toBe(0);
    expect(plan.target).toBe('save#4');
    expect(plan.inputs.map((i) => `${i.source}:${i.name}:${i.type}`)).toEqual([
      'param:days:integer',
      'env:AUDIT:number',
    ]);
    expect(plan.stages).toEqual([['load#0', 'clean#3'], ['clean#1'], ['check#2'], ['save#4']]);
    const byId = Object.fromEntries(plan.tasks.map((t) => [t.id, t]));
    expect(byId['load#0']).toMatchObject({
      inputs: ['param:days'],
      retry: { maxAttempts: 3, delay: 10, backoff: 2 },
      cache: null,
    });
    expect(byId['clean#1']).toMatchObject({
      deps: ['load#0'],
      cache: { kind: 'memory', ttlMs: null },
      constraints: { cpu_slot: 2 },
    });
    expect(byId['clean#3'].cache).toEqual({ kind: 'file', path: '/tmp/x' });
    expect(byId['save#4']).toMatchObject({
      deps: ['clean#1'],
      after: ['clean#3'],
      condition: 'check#2',
      resources: ['db'],
    });
    // JSON all the way
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('every task is in a later stage than each of its dependencies [PLAN-2]', () => {
    const add = task((a: number, b: number) => a + b);
    let x = add(1, 2);
    for (let i = 0; i < 20; i++) x = add(x, i % 3 === 0 ? add(i, i) : i);
    const plan = dryRun(x);
    const stage = new Map(plan.tasks.map((t) => [t.id, t.stage]));
    for (const t of plan.tasks) for (const d of t.deps) expect(stage.get(d)!).toBeLessThan(t.stage);
    expect(plan.stages.flat()).toHaveLength(plan.tasks.length);
  });

  it('two different declarations of one input are an error naming it [PLAN-3]', () => {
    const f = task((a: number, b: number) => a + b);
    expect(() => dryRun(f(param('n', { default: 1 }), param('n', { default: 2 })))).toThrow(
      /param n/,
    );
    expect(dryRun(f(param('n', { default: 1 }), param('n', { default: 1 }))).inputs).toHaveLength(
      1,
    );
  });
});

describe('visualize', () => {
  it('mermaid: one node per task, inputs as parallelograms, condition and after dashed [VIS-2]', () => {
    const text = visualize(workflow({ n: 0 }), { format: 'mermaid' });
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('flowchart TB');
    expect(lines.filter((l) => /^ {2}n\d+\["/.test(l))).toHaveLength(5);
    expect(text).toContain('n_in_param_days[/"param days: integer = 7"/]');
    expect(text).toContain('n_in_param_days --> n0');
    expect(text).toContain('n2 -.->|if| n4');
    expect(text).toContain('n3 -.->|after| n4');
    expect(text).toContain('n0 --> n1');
    expect(text).toContain('retry x3');
    expect(text).toContain('uses db');
    expect(text).toContain('"load#35;0<br/>retry x3"'); // '#' as an entity code in labels
    expect(text).not.toContain('load#0');
    expect(visualize(workflow({ n: 0 }))).toBe(text); // [VIS-1] same target, same text
  });

  it('dot: a digraph with the same edges', () => {
    const text = visualize(workflow({ n: 0 }), { format: 'dot', direction: 'LR' });
    expect(text.startsWith('digraph cascade {\n  rankdir=LR;')).toBe(true);
    expect(text).toContain('n2 -> n4 [style=dashed, label="if"];');
    expect(text).toContain('n0 -> n1;');
    expect(text).toContain('n0 [label="load#0\\nretry x3"];');
    expect(text.trim().endsWith('}')).toBe(true);
  });

  it('rejects an unknown format', () => {
    const t = task(() => 1)();
    // @ts-expect-error not a format
    expect(() => visualize(t, { format: 'png' })).toThrow(/format/);
  });
});
