/** graphToJSON / graphFromJSON round trips [JSON-1] and their checks [JSON-2]. */
import { describe, expect, it } from 'vitest';
import {
  Engine,
  ErrorCode,
  TaskRegistry,
  END,
  bind,
  graphFromJSON,
  graphToJSON,
  inject,
  jump,
  param,
  resource,
  router,
  selectJump,
  sequence,
  subflow,
  task,
} from '../../src/index.js';

const load = task(
  (n: number, opts: { scale: number; $tag?: string; skip?: undefined }) => n * opts.scale,
  {
    name: 'load',
  },
);
const add = task((a: number, b: number) => a + b, { name: 'add' });
const positive = task((x: number) => x > 0, { name: 'positive' });
const label = task((x: number, unit: string) => `${x} ${unit}`, { name: 'label' });
const scaleBy = task(({ x, k }: { x: number; k: number }) => x * k, { name: 'scaleBy' });
const step = selectJump((n: number) => (n >= 100 ? 'done' : 'grow'), { name: 'step' });
const grow = task((n: number) => jump('check', n * 2), { name: 'grow' });
const doubling = router('doubling', {
  start: 'check',
  states: { check: bind(step, { done: END, grow: 'grow' }), grow: bind(grow, ['check']) },
  maxSteps: 50,
});

function workflow() {
  const a = load(param('n', { type: 'integer', default: 2 }), {
    scale: 10,
    $tag: 'x',
    skip: undefined,
  })
    .withRetry({ maxAttempts: 2, delay: 1, backoff: 2 })
    .withCache({ kind: 'memory', ttlMs: 5000 });
  const b = add(a, 1).withConstraints({ cpu_slot: 1 });
  const c = doubling(b);
  const mapped = scaleBy.map({ x: [1, 2, 3] }, { k: c });
  const total = label(add(b, c), inject<string>('unit')).runIf(positive(b)).after(mapped);
  return sequence(mapped, total);
}

const registry = () => new TaskRegistry().add(load, add, positive, label, scaleBy, doubling);
const engine = () => new Engine({ resources: [resource('unit', () => 'kg')] });

describe('graph JSON', () => {
  it('round trips: the same JSON again, and the same value when run [JSON-1]', async () => {
    const original = workflow();
    const json = graphToJSON(original);
    const text = JSON.stringify(json);
    const rebuilt = graphFromJSON(JSON.parse(text), registry());
    expect(graphToJSON(rebuilt)).toEqual(JSON.parse(text));
    const want = await engine().run(original, { params: { n: 3 } });
    expect(want).toEqual([[124, 248, 372], '155 kg']); // 31 doubles to 124
    expect(await engine().run(rebuilt, { params: { n: 3 } })).toEqual(want);
  });

  it('keeps policies, inputs, escaped keys and undefined', () => {
    const json = graphToJSON(workflow());
    const loadNode = json.nodes.find((n) => n.task === 'load')!;
    expect(loadNode.retry).toEqual({ maxAttempts: 2, delay: 1, backoff: 2 });
    expect(loadNode.cache).toEqual({ kind: 'memory', ttlMs: 5000 });
    expect(loadNode.args[0]).toMatchObject({
      $input: { source: 'param', name: 'n', type: 'integer', default: 2 },
    });
    expect(loadNode.args[1]).toEqual({
      $object: { scale: 10, $tag: 'x', skip: { $undefined: true } },
    });
    expect(json.nodes.find((n) => n.task === 'scaleBy')!.kind).toBe('map');
    const labelNode = json.nodes.find((n) => n.task === 'label')!;
    expect(labelNode.args[1]).toEqual({ $inject: 'unit' });
    expect(labelNode.condition).toHaveProperty('$node');
    expect(new Set(labelNode.after).size).toBe(1); // its own .after and the sequence's
  });

  it('refuses what JSON cannot hold, naming the node and the place', () => {
    const f = task((x: unknown) => x, { name: 'f' });
    expect(() => graphToJSON(f(new Date(0)))).toThrow(/f#0 args\[0\]: a Date/);
    expect(() => graphToJSON(f({ cb: () => 1 }))).toThrow(/f#0 args\[0\]\.cb: a function/);
    expect(() => graphToJSON(f(NaN))).toThrow(/must be finite/);
    expect(() => graphToJSON(f(inject(resource('db', () => 1))))).toThrow(/by name/);
    expect(() => graphToJSON(f(1).withCache({ kind: 'file', path: () => '/x' }))).toThrow(
      /cache.path/,
    );
  });

  it.each([
    [{ format: 'x' }, /graph JSON/],
    [{ format: 'cascade-graph', version: 1, target: 0, nodes: [] }, /graph JSON/],
    [
      { format: 'cascade-graph', version: 1, target: 0, nodes: [node('nope', [])] },
      /node 0 task: nope \(is not registered/,
    ],
    [
      { format: 'cascade-graph', version: 1, target: 0, nodes: [node('add', [{ $node: 0 }, 1])] },
      /node 0 args\[0\]: 0 \(must name an earlier node\)/,
    ],
    [{ format: 'cascade-graph', version: 1, target: 3, nodes: [node('add', [1, 2])] }, /target: 3/],
    [
      {
        format: 'cascade-graph',
        version: 1,
        target: 0,
        nodes: [{ ...node('add', [1, 2]), retry: { maxAttempts: 0, delay: 0, backoff: 1 } }],
      },
      /retry.maxAttempts/,
    ],
  ])('rejects bad input with INVALID_ARGUMENT [JSON-2] (%#)', (json, message) => {
    let thrown: unknown;
    try {
      graphFromJSON(json, registry());
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    expect(String((thrown as Error).message)).toMatch(message);
  });

  it('round trips a subflow registered by its factory', async () => {
    const inc = task((x: number) => x + 1, { name: 'inc' });
    const twice = subflow('twice', (x: number) => inc(inc(x)));
    const json = graphToJSON(add(twice(1), twice(add(1, 1))));
    const rebuilt = graphFromJSON(json, new TaskRegistry().add(add, twice));
    expect(await new Engine().run(rebuilt)).toBe(3 + 4);
  });

  it('a registry refuses two tasks under one name', () => {
    const other = task((a: number, b: number) => a * b, { name: 'add' });
    expect(() => new TaskRegistry().add(add, other)).toThrow(/add \(is registered already\)/);
  });
});

function node(taskName: string, args: unknown[]) {
  return {
    task: taskName,
    kind: 'call',
    args,
    retry: null,
    cache: null,
    constraints: null,
    condition: null,
    after: [],
  };
}
