/**
 * Graphs as JSON: `graphToJSON(target)` writes a target's graph as plain data (tasks by name,
 * arguments as JSON, policies, edges as node indexes); `graphFromJSON(json, registry)` builds
 * the same target again from the task functions a {@link TaskRegistry} holds under those
 * names. For storing a workflow, sending it to another process, or diffing two versions.
 *
 * What JSON can hold: arguments made of strings, finite numbers, booleans, null, arrays and
 * plain objects (`undefined` too); LazyResults (as `{ "$node": i }`); injects by registered
 * name (`{ "$inject": "db" }`); inputs (`{ "$input": spec }`). A function, a class instance, a
 * resource definition injected directly or a file cache computed by a function cannot be
 * written: `graphToJSON` throws INVALID_ARGUMENT naming the node and the place.
 *
 * Invariants:
 * - [JSON-1] Round trip: `graphFromJSON(graphToJSON(t), registry)` gives a target with the same
 *   graph (the same JSON again) and, run, the same value.
 * - [JSON-2] `graphFromJSON` checks its input (schema, task names, references to earlier nodes
 *   only) and throws INVALID_ARGUMENT naming what is wrong; it never runs anything.
 */
import { z } from 'zod';
import { LazyResult, type TaskDef } from '../spec/lazy-result.js';
import { inject } from '../spec/resource.js';
import { env, inputSpecOf, param, type InputType } from '../spec/input.js';
import type { TailCallable } from '../spec/tail-call.js';
import { InvalidArgumentError } from '../errors.js';
import { buildGraph, type GraphNode } from './graph.js';
import { isPlainObject } from './scan-args.js';
import { sequenceTask } from './compose.js';

/** The JSON form of a graph. */
export interface GraphJSON {
  readonly format: 'cascade-graph';
  readonly version: 1;
  /** Index of the target node. */
  readonly target: number;
  readonly nodes: readonly NodeJSON[];
}

/** One node of a {@link GraphJSON}. */
export interface NodeJSON {
  /** The registered task name. */
  readonly task: string;
  readonly kind: 'call' | 'map';
  /** The arguments, with `{ "$node": i }` for upstream values. */
  readonly args: readonly unknown[];
  readonly retry: { maxAttempts: number; delay: number; backoff: number } | null;
  readonly cache: { kind: 'memory'; ttlMs: number | null } | { kind: 'file'; path: string } | null;
  readonly constraints: Readonly<Record<string, number>> | null;
  /** `runIf`: a constant, `{ "$node": i }`, or null. */
  readonly condition: boolean | { readonly $node: number } | null;
  /** `after`: node indexes. */
  readonly after: readonly number[];
}

/**
 * Task functions by name, for {@link graphFromJSON}. `sequence` is always known.
 *
 * @example
 * ```ts
 * const registry = new TaskRegistry().add(fetchSales, margin, publish);
 * const target = graphFromJSON(JSON.parse(text), registry);
 * ```
 */
export class TaskRegistry {
  readonly #tasks = new Map<string, TaskDef>([[sequenceTask.def.name, sequenceTask.def]]);

  /** Register task factories (or routers, subflows) under their names; a name once. */
  add(...factories: TailCallable[]): this {
    for (const f of factories) {
      const def = (f as Partial<TailCallable> | null)?.def;
      if (typeof def !== 'object' || def === null || typeof def.fn !== 'function') {
        throw new InvalidArgumentError('TaskRegistry.add', f, 'must be a task factory');
      }
      const other = this.#tasks.get(def.name);
      if (other !== undefined && other !== def) {
        throw new InvalidArgumentError('task name', def.name, 'is registered already');
      }
      this.#tasks.set(def.name, def);
    }
    return this;
  }

  /** The task registered under `name`, or undefined. */
  get(name: string): TaskDef | undefined {
    return this.#tasks.get(name);
  }

  /** The registered names. */
  get names(): string[] {
    return [...this.#tasks.keys()];
  }
}

/**
 * The graph of `target` as JSON data. [JSON-1]
 *
 * @example
 * ```ts
 * const text = JSON.stringify(graphToJSON(publish(margin(sales, costs))));
 * ```
 */
export function graphToJSON(target: LazyResult<unknown>): GraphJSON {
  const graph = buildGraph(target);
  const nodes = graph.nodes.map((node): NodeJSON => {
    const lazy = node.lazy;
    const ref = (l: LazyResult<unknown>): { $node: number } => ({ $node: graph.indexOf(l)! });
    const cache = lazy.cache;
    let cacheJSON: NodeJSON['cache'] = null;
    if (cache?.kind === 'memory') {
      cacheJSON = { kind: 'memory', ttlMs: Number.isFinite(cache.ttlMs) ? cache.ttlMs : null };
    } else if (cache?.kind === 'file') {
      if (typeof cache.path !== 'string') {
        throw new InvalidArgumentError(
          `${node.id} cache.path`,
          'a function',
          'cannot be written as JSON',
        );
      }
      cacheJSON = { kind: 'file', path: cache.path };
    }
    const cond = lazy.condition;
    return {
      task: node.name,
      kind: lazy.kind === 'map' ? 'map' : 'call',
      args: lazy.args.map((a, i) => encode(a, node, `args[${i}]`, ref, [])),
      retry: lazy.retry,
      cache: cacheJSON,
      constraints: lazy.constraints,
      condition: cond instanceof LazyResult ? ref(cond) : cond,
      after: lazy.afterList.map((a) => graph.indexOf(a)!),
    };
  });
  return { format: 'cascade-graph', version: 1, target: graph.target, nodes };
}

function encode(
  value: unknown,
  node: GraphNode,
  where: string,
  ref: (l: LazyResult<unknown>) => { $node: number },
  ancestors: unknown[],
): unknown {
  const bad = (problem: string): never => {
    throw new InvalidArgumentError(`${node.id} ${where}`, describe(value), problem);
  };
  if (value === undefined) return { $undefined: true };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number')
    return Number.isFinite(value) ? value : bad('must be finite for JSON');
  if (value instanceof LazyResult) {
    if (value.kind !== 'inject') return ref(value);
    const spec = inputSpecOf(value);
    if (spec !== null) return { $input: spec };
    if (typeof value.resource === 'string') return { $inject: value.resource };
    return bad('inject a registered resource by name to write it as JSON');
  }
  if (typeof value !== 'object') return bad('cannot be written as JSON');
  if (ancestors.includes(value)) return bad('is circular');
  ancestors.push(value);
  try {
    if (Array.isArray(value))
      return value.map((v, i) => encode(v, node, `${where}[${i}]`, ref, ancestors));
    if (!isPlainObject(value)) return bad('is not a plain object or array');
    const out: Record<string, unknown> = {};
    let escaped = false;
    for (const key of Object.keys(value)) {
      if (key.startsWith('$')) escaped = true;
      out[key] = encode(value[key], node, `${where}.${key}`, ref, ancestors);
    }
    return escaped ? { $object: out } : out;
  } finally {
    ancestors.pop();
  }
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null)
    return `a ${value.constructor?.name ?? 'object'}`;
  return String(value);
}

const nodeRef = z.object({ $node: z.number().int().nonnegative() }).strict();
const nodeSchema = z
  .object({
    task: z.string().min(1),
    kind: z.enum(['call', 'map']),
    args: z.array(z.unknown()),
    retry: z
      .object({ maxAttempts: z.number(), delay: z.number(), backoff: z.number() })
      .strict()
      .nullable(),
    cache: z
      .union([
        z.object({ kind: z.literal('memory'), ttlMs: z.number().nullable() }).strict(),
        z.object({ kind: z.literal('file'), path: z.string() }).strict(),
      ])
      .nullable(),
    constraints: z.record(z.string(), z.number()).nullable(),
    condition: z.union([z.boolean(), nodeRef]).nullable(),
    after: z.array(z.number().int().nonnegative()),
  })
  .strict();
const graphSchema = z
  .object({
    format: z.literal('cascade-graph'),
    version: z.literal(1),
    target: z.number().int().nonnegative(),
    nodes: z.array(nodeSchema).min(1),
  })
  .strict();

/**
 * Build the target a {@link GraphJSON} describes, with task functions from `registry`.
 * [JSON-1] [JSON-2]
 *
 * @example
 * ```ts
 * const target = graphFromJSON(JSON.parse(text), new TaskRegistry().add(fetchSales, publish));
 * await engine.run(target);
 * ```
 */
export function graphFromJSON(json: unknown, registry: TaskRegistry): LazyResult<unknown> {
  const parsed = graphSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidArgumentError(
      'graph JSON',
      summarize(json),
      z.prettifyError(parsed.error).replace(/\n/g, ' '),
    );
  }
  const g = parsed.data;
  if (g.target >= g.nodes.length) {
    throw new InvalidArgumentError(
      'graph JSON target',
      g.target,
      `there are ${g.nodes.length} nodes`,
    );
  }
  const built: LazyResult<unknown>[] = [];
  g.nodes.forEach((n, i) => {
    const def = registry.get(n.task);
    if (def === undefined) {
      throw new InvalidArgumentError(
        `graph JSON node ${i} task`,
        n.task,
        `is not registered (${registry.names.join(', ')})`,
      );
    }
    const ref = (k: number, where: string): LazyResult<unknown> => {
      if (k >= i)
        throw new InvalidArgumentError(
          `graph JSON node ${i} ${where}`,
          k,
          'must name an earlier node',
        );
      return built[k];
    };
    const args = n.args.map((a, j) => decode(a, (k) => ref(k, `args[${j}]`)));
    const cond = n.condition;
    let lazy = new LazyResult<unknown>({
      kind: n.kind,
      task: def,
      args,
      resource: null,
      retry: null,
      cache: null,
      constraints: null,
      condition:
        cond === null
          ? null
          : typeof cond === 'boolean'
            ? cond
            : (ref(cond.$node, 'condition') as LazyResult<boolean>),
      afterList: n.after.map((k) => ref(k, 'after')),
    });
    // the policies through their own methods, so they are validated as when written [POL-1]
    if (n.retry !== null) lazy = lazy.withRetry(n.retry);
    if (n.cache !== null) {
      lazy = lazy.withCache(
        n.cache.kind === 'memory'
          ? { kind: 'memory', ...(n.cache.ttlMs !== null && { ttlMs: n.cache.ttlMs }) }
          : n.cache,
      );
    }
    if (n.constraints !== null) lazy = lazy.withConstraints(n.constraints);
    built.push(lazy);
  });
  return built[g.target];
}

function decode(value: unknown, ref: (k: number) => LazyResult<unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => decode(v, ref));
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const v = o[keys[0]];
    switch (keys[0]) {
      case '$node':
        if (!Number.isInteger(v))
          throw new InvalidArgumentError('graph JSON $node', v, 'must be an integer');
        return ref(v as number);
      case '$inject':
        if (typeof v !== 'string')
          throw new InvalidArgumentError('graph JSON $inject', v, 'must be a name');
        return inject(v);
      case '$input':
        return decodeInput(v);
      case '$undefined':
        return undefined;
      case '$object': {
        const inner = v as Record<string, unknown>;
        return Object.fromEntries(Object.keys(inner).map((k) => [k, decode(inner[k], ref)]));
      }
    }
  }
  return Object.fromEntries(keys.map((k) => [k, decode(o[k], ref)]));
}

const inputSchema = z
  .object({
    source: z.enum(['param', 'env']),
    name: z.string(),
    type: z.enum(['string', 'number', 'integer', 'boolean', 'json']),
    hasDefault: z.boolean(),
    default: z.unknown().optional(),
    required: z.boolean(),
    description: z.string(),
  })
  .strict();

function decodeInput(value: unknown): LazyResult<unknown> {
  const parsed = inputSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidArgumentError(
      'graph JSON $input',
      summarize(value),
      z.prettifyError(parsed.error).replace(/\n/g, ' '),
    );
  }
  const s = parsed.data;
  const make = s.source === 'param' ? param : env;
  return (make as (name: string, o: object) => LazyResult<unknown>)(s.name, {
    type: s.type satisfies InputType,
    ...(s.hasDefault && { default: s.default }),
    ...(!s.required && { required: false }),
    description: s.description,
  });
}

function summarize(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
