/**
 * dryRun: the execution plan of a target without running anything. The plan lists the inputs
 * the run will read, the stages (a task's stage is one more than the latest stage among what
 * it waits for, so every task of a stage may run at once), and for each task what it waits
 * for (data, condition, ordering), the resources it injects and its policies (retry, cache,
 * constraints). A plan is plain JSON data.
 *
 * Invariants:
 * - [PLAN-1] Building a plan runs no task, resource factory or input: it only walks the graph.
 * - [PLAN-2] Stages follow the graph's edges: every task's dependencies are in earlier stages,
 *   and tasks appear in graph order (dependencies first) within their stage.
 * - [PLAN-3] Each input (`param`, `env`) appears once; two declarations of the same name that
 *   differ (type, default, required) are an INVALID_ARGUMENT naming it.
 */
import { LazyResult, type RouterStateInfo } from '../spec/lazy-result.js';
import { inputSpecOf, type InputSpec } from '../spec/input.js';
import type { Constraints, RetryPolicy } from '../spec/policies.js';
import { InvalidArgumentError } from '../errors.js';
import { buildGraph, type Graph, type GraphNode } from './graph.js';
import { collectLazies } from './scan-args.js';

/** The cache policy of a planned task, as JSON (`ttlMs: null` = no expiry). */
export type PlanCache =
  | { readonly kind: 'memory'; readonly ttlMs: number | null }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'backend'; readonly backend: string; readonly ttlMs: number | null };

/** What a composite task is made of, as a plan shows it. */
export type PlanStructure =
  | {
      readonly kind: 'router';
      readonly start: string;
      readonly maxSteps: number | null;
      readonly states: readonly RouterStateInfo[];
    }
  | { readonly kind: 'subflow'; readonly plan: Plan | null }
  | { readonly kind: 'sequence' };

/** One task of a plan. */
export interface PlanTask {
  /** The node id (`name#index`), as in events. */
  readonly id: string;
  readonly name: string;
  /** `map` runs once per list element. */
  readonly kind: 'call' | 'map';
  readonly stage: number;
  /** Tasks whose values it takes as arguments. */
  readonly deps: readonly string[];
  /** Tasks it runs after without taking their values (`.after`). */
  readonly after: readonly string[];
  /** Its `runIf` condition: a task id, a constant, or null. */
  readonly condition: string | boolean | null;
  /** Resources it injects, by name (`signal`, `db`, ...); inputs are listed in `inputs`. */
  readonly resources: readonly string[];
  /** Inputs it reads: `param:days`, `env:TOKEN`. */
  readonly inputs: readonly string[];
  readonly retry: Required<RetryPolicy> | null;
  readonly cache: PlanCache | null;
  readonly constraints: Constraints | null;
  readonly pure: boolean;
  /** The inside of a router, subflow or sequence. */
  readonly structure?: PlanStructure;
}

/** The execution plan of a target. */
export interface Plan {
  /** The target's node id. */
  readonly target: string;
  readonly inputs: readonly InputSpec[];
  /** Task ids per stage, in order. [PLAN-2] */
  readonly stages: readonly (readonly string[])[];
  /** Every task in graph order. */
  readonly tasks: readonly PlanTask[];
}

/**
 * The ordered execution plan of `target`, without running anything. [PLAN-1]
 *
 * @example
 * ```ts
 * const days = param('days', { type: 'integer', default: 7 });
 * const plan = dryRun(report(fetchSales(days).withRetry({ maxAttempts: 3 })));
 * plan.stages;        // [['fetchSales#0'], ['report#1']]
 * plan.tasks[0].retry; // { maxAttempts: 3, delay: 0, backoff: 1 }
 * plan.inputs[0].name; // 'days'
 * ```
 */
export function dryRun(target: LazyResult<unknown>): Plan {
  const graph = buildGraph(target);
  const stageOf = new Array<number>(graph.nodes.length);
  const stages: string[][] = [];
  const tasks: PlanTask[] = [];
  for (const node of graph.nodes) {
    let stage = 0;
    for (const d of node.deps) stage = Math.max(stage, stageOf[d] + 1);
    stageOf[node.index] = stage;
    (stages[stage] ??= []).push(node.id);
    tasks.push(planTask(graph, node, stage));
  }
  return {
    target: graph.nodes[graph.target].id,
    inputs: inputsOf(graph),
    stages,
    tasks,
  };
}

/**
 * The inputs (`param`, `env`) a graph reads, each once, in the order first met. [PLAN-3]
 *
 * @example
 * ```ts
 * inputsOf(buildGraph(report(param('day', { type: 'integer' })))).map((i) => i.name); // ['day']
 * ```
 */
export function inputsOf(graph: Graph): InputSpec[] {
  const seen = new Map<string, InputSpec>();
  for (const node of graph.nodes) {
    for (const inj of node.injects) {
      const spec = inputSpecOf(inj);
      if (spec === null) continue;
      const key = `${spec.source}:${spec.name}`;
      const other = seen.get(key);
      if (other === undefined) seen.set(key, spec);
      else if (!sameInput(other, spec)) {
        throw new InvalidArgumentError(
          `${spec.source} ${spec.name}`,
          spec.type,
          'is declared twice with different type, default or required',
        );
      }
    }
  }
  return [...seen.values()];
}

function sameInput(a: InputSpec, b: InputSpec): boolean {
  return (
    a.type === b.type &&
    a.required === b.required &&
    a.hasDefault === b.hasDefault &&
    JSON.stringify(a.default) === JSON.stringify(b.default)
  );
}

/** How a node's upstream nodes split into data, condition and ordering edges. */
export interface NodeEdges {
  readonly data: readonly number[];
  readonly condition: number | null;
  readonly after: readonly number[];
}

/**
 * The upstream nodes of `node` by kind of edge (a node may be several kinds at once).
 *
 * @example
 * ```ts
 * edgesOf(graph, graph.nodes[graph.target]).data; // indexes of the target's data deps
 * ```
 */
export function edgesOf(graph: Graph, node: GraphNode): NodeEdges {
  const found: LazyResult<unknown>[] = [];
  collectLazies(node.lazy.args, found);
  const data: number[] = [];
  for (const l of found) {
    if (l.kind === 'inject') continue;
    const i = graph.indexOf(l)!;
    if (!data.includes(i)) data.push(i);
  }
  const cond = node.lazy.condition;
  const condition = cond instanceof LazyResult ? graph.indexOf(cond)! : null;
  const after: number[] = [];
  for (const a of node.lazy.afterList) {
    const i = graph.indexOf(a)!;
    if (!after.includes(i)) after.push(i);
  }
  return { data, condition, after };
}

function planTask(graph: Graph, node: GraphNode, stage: number): PlanTask {
  const lazy = node.lazy;
  const edges = edgesOf(graph, node);
  const idOf = (i: number): string => graph.nodes[i].id;
  const resources: string[] = [];
  const inputs: string[] = [];
  for (const inj of node.injects) {
    const spec = inputSpecOf(inj);
    const name = spec === null ? resourceName(inj) : `${spec.source}:${spec.name}`;
    const list = spec === null ? resources : inputs;
    if (!list.includes(name)) list.push(name);
  }
  const cond = lazy.condition;
  const structure = structureOf(node);
  return {
    id: node.id,
    name: node.name,
    kind: lazy.kind === 'map' ? 'map' : 'call',
    stage,
    deps: edges.data.map(idOf),
    after: edges.after.map(idOf),
    condition:
      edges.condition !== null ? idOf(edges.condition) : typeof cond === 'boolean' ? cond : null,
    resources,
    inputs,
    retry: lazy.retry,
    cache: planCache(lazy),
    constraints: lazy.constraints,
    pure: lazy.task!.pure,
    ...(structure !== null && { structure }),
  };
}

function resourceName(inj: LazyResult<unknown>): string {
  const r = inj.resource;
  return typeof r === 'string' ? r : (r?.name ?? '?');
}

function planCache(lazy: LazyResult<unknown>): PlanCache | null {
  const c = lazy.cache;
  if (c === null) return null;
  if (c.kind === 'memory')
    return { kind: 'memory', ttlMs: Number.isFinite(c.ttlMs) ? c.ttlMs : null };
  if (c.kind === 'backend') {
    return {
      kind: 'backend',
      backend: c.backend,
      ttlMs: Number.isFinite(c.ttlMs) ? c.ttlMs : null,
    };
  }
  return { kind: 'file', path: typeof c.path === 'string' ? c.path : '<computed from arguments>' };
}

function structureOf(node: GraphNode): PlanStructure | null {
  const s = node.lazy.task!.structure;
  if (s === undefined) return null;
  switch (s.kind) {
    case 'router':
      return {
        kind: 'router',
        start: s.start,
        maxSteps: Number.isFinite(s.maxSteps) ? s.maxSteps : null,
        states: s.states,
      };
    case 'subflow': {
      const inner = staticSubflowTarget(node);
      return { kind: 'subflow', plan: inner === null ? null : dryRun(inner) };
    }
    case 'sequence':
      return { kind: 'sequence' };
  }
}

/**
 * The inner target of a subflow node whose arguments are known before the run (no upstream
 * values among them), or null. Building it runs nothing. [LAZY-1]
 *
 * @example
 * ```ts
 * staticSubflowTarget(graph.nodes[0]); // the LazyResult the subflow will run, or null
 * ```
 */
export function staticSubflowTarget(node: GraphNode): LazyResult<unknown> | null {
  const s = node.lazy.task!.structure;
  if (s?.kind !== 'subflow' || node.lazy.kind !== 'call') return null;
  const found: LazyResult<unknown>[] = [];
  const args = node.lazy.args.slice(0, -1); // the last argument is the injected context
  collectLazies(args, found);
  if (found.length > 0) return null;
  return (s.build as (...a: unknown[]) => LazyResult<unknown>)(...args);
}
