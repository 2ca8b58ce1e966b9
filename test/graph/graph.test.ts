import { describe, expect, it } from 'vitest';
import { task, inject } from '../../src/spec/index.js';
import { buildGraph, StructuralHasher, substitute, collectLazies } from '../../src/graph/index.js';
import { CascadeError, ErrorCode } from '../../src/errors.js';
import { Engine } from '../../src/runtime/index.js';
import type { LazyResult } from '../../src/spec/index.js';

const add = task((a: number, b: number) => a + b, { name: 'add' });
const sum = task((xs: number[]) => xs.reduce((s, x) => s + x, 0), { name: 'sum' });

describe('buildGraph', () => {
  it('holds only what the target needs, dependencies first [GRAPH-1] [GRAPH-2]', () => {
    const a = add(1, 2);
    const b = add(a, 3);
    add(b, 100); // not needed by the target
    const g = buildGraph(b);
    expect(g.nodes.map((n) => n.id)).toEqual(['add#0', 'add#1']);
    expect(g.target).toBe(1);
    expect(g.nodes[1].deps).toEqual([0]);
    expect(g.nodes[0].dependents).toEqual([1]);
  });

  it('finds LazyResults nested in arrays and plain objects, and in runIf/after', () => {
    const one = add(0, 1);
    const two = add(1, 1);
    const cond = task(() => true, { name: 'cond' })();
    const pre = task(() => 0, { name: 'pre' })();
    const named = task((o: { xs: number[]; y: { z: number } }) => o.y.z, { name: 'named' });
    const t = named({ xs: [one, 5], y: { z: two } })
      .runIf(cond)
      .after(pre);
    const g = buildGraph(t);
    expect(g.nodes.map((n) => n.name).sort()).toEqual(['add', 'add', 'cond', 'named', 'pre']);
    expect(g.nodes[g.target].deps).toHaveLength(4);
  });

  it('rejects a cycle with its path [GRAPH-3]', () => {
    const holder: unknown[] = [];
    const a = sum(holder as number[]);
    const b = task((x: number) => x, { name: 'b' })(a);
    holder.push(b); // a -> b -> a
    let err: unknown;
    try {
      buildGraph(a);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CascadeError);
    expect((err as CascadeError).code).toBe(ErrorCode.CYCLE);
    expect((err as CascadeError).details.path).toEqual(['sum', 'b', 'sum']);
    expect((err as Error).message).toContain('sum -> b -> sum');
  });

  it('merges structurally equal calls of pure tasks, not of impure ones [GRAPH-4]', () => {
    const p = task((a: number, b: { k: number[] }) => a + b.k.length, { name: 'p', pure: true });
    const g = buildGraph(sum([p(1, { k: [1] }), p(1, { k: [1] }), p(2, { k: [1] })]));
    expect(g.nodes.filter((n) => n.name === 'p')).toHaveLength(2);
    const g2 = buildGraph(sum([add(1, 1), add(1, 1)]));
    expect(g2.nodes.filter((n) => n.name === 'add')).toHaveLength(2);
  });

  it('builds a 100,000-deep chain without recursion [GRAPH-5]', () => {
    let l: LazyResult<number> = add(0, 1);
    for (let i = 0; i < 100_000; i++) l = add(l, 1);
    const g = buildGraph(l);
    expect(g.nodes).toHaveLength(100_001);
    expect(g.target).toBe(100_000);
  });

  it("keeps each graph's index of a call shared with a graph built later", async () => {
    const shared = add(1, 2);
    const first = add(shared, 10); // shared is node 0 here
    const g1 = buildGraph(first);
    const second = add(add(add(5, 5), 5), shared); // and node 2 here (or later)
    const g2 = buildGraph(second);
    expect(g1.indexOf(shared)).toBe(0);
    expect(g2.indexOf(shared)).not.toBe(0);
    expect(g2.nodes[g2.indexOf(shared)!].lazy).toBe(shared);
    expect(g1.indexOf(shared)).toBe(0); // read again after the map fallback was made
    expect(g1.indexOf(add(0, 0))).toBeUndefined();
    // Two runs in flight at once over the shared call: each reads its own graph's values.
    const engine = new Engine();
    const [a, b] = await Promise.all([engine.run(first), engine.run(second)]);
    expect([a, b]).toEqual([13, 18]);
  });

  it('collects inject placeholders separately from data deps', () => {
    const t = task((x: number, s: AbortSignal) => (s.aborted ? 0 : x), { name: 't' });
    const g = buildGraph(t(add(1, 2), inject('signal')));
    expect(g.nodes).toHaveLength(2);
    expect(g.nodes[1].injects).toHaveLength(1);
    expect(g.nodes[1].hasLazyArgs).toBe(true);
  });
});

describe('scan-args [SCAN-1] [SCAN-2]', () => {
  it('substitutes without copying untouched subtrees', () => {
    const l = add(1, 2);
    const untouched = { deep: [1, 2] };
    const args = [{ a: l, u: untouched }, untouched];
    const out = substitute(args, { valueOf: () => 3 }) as [{ a: number; u: unknown }, unknown];
    expect(out[0].a).toBe(3);
    expect(out[0].u).toBe(untouched);
    expect(out[1]).toBe(untouched);
    expect(substitute(untouched, { valueOf: () => 0 })).toBe(untouched);
  });

  it('walks self-referential containers once', () => {
    const o: Record<string, unknown> = { x: add(1, 1) };
    o.self = o;
    const found: LazyResult<unknown>[] = [];
    collectLazies([o], found);
    expect(found).toHaveLength(1);
  });
});

describe('StructuralHasher [HASH-1] [HASH-2]', () => {
  it('is insensitive to key order and sensitive to content', () => {
    const h = new StructuralHasher();
    expect(h.key({ b: 1, a: [1, 'x'] })).toBe(h.key({ a: [1, 'x'], b: 1 }));
    expect(h.hash({ a: 1 })).toBe(h.hash({ a: 1 }));
    expect(h.hash({ a: 1 })).not.toBe(h.hash({ a: '1' }));
    expect(h.key([1, [2]])).not.toBe(h.key([[1], 2]));
  });

  it('keys class instances by identity', () => {
    class Box {
      constructor(readonly v: number) {}
    }
    const h = new StructuralHasher();
    const b = new Box(1);
    expect(h.key([b])).toBe(h.key([b]));
    expect(h.key([b])).not.toBe(h.key([new Box(1)]));
  });
});
