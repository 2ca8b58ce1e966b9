/**
 * The task graph of one run: built from the target LazyResult by walking its arguments,
 * `runIf` condition and `after` list — so it holds exactly what the target needs, nothing
 * else. Nodes come out in topological order (dependencies first).
 *
 * Invariants:
 * - [GRAPH-1] Only nodes reachable from the target are in the graph.
 * - [GRAPH-2] `nodes[i].deps` are all `< i` (topological order); the target is the last node.
 * - [GRAPH-3] A cycle is rejected with CYCLE; `details.path` names it, e.g. `['a','b','a']`,
 *   and the message reads `a -> b -> a`.
 * - [GRAPH-4] Calls of a pure task with structurally equal arguments (and policies) become one
 *   node.
 * - [GRAPH-5] Building is iterative: a 1,000,000-deep chain does not overflow the stack.
 */
import { LazyResult } from '../spec/lazy-result.js';
import { collectLazies } from './scan-args.js';
import { StructuralHasher } from './structural-hash.js';
import { CascadeError, ErrorCode, InvalidArgumentError } from '../errors.js';

/** One task call (or map) in a graph. */
export interface GraphNode {
  /** Position in `Graph.nodes`. */
  readonly index: number;
  /** Unique in the graph: `<taskName>#<index>`. */
  readonly id: string;
  /** The task's name. */
  readonly name: string;
  /** The LazyResult this node runs (policies included). */
  readonly lazy: LazyResult<unknown>;
  /** Upstream nodes (data, condition and `after`), unique, all `< index`. [GRAPH-2] */
  readonly deps: readonly number[];
  /** Downstream nodes. */
  readonly dependents: readonly number[];
  /** The `inject(...)` placeholders found in the arguments. */
  readonly injects: readonly LazyResult<unknown>[];
  /** Whether the arguments hold any LazyResult (then they must be substituted). */
  readonly hasLazyArgs: boolean;
  /** Structural hash (pure tasks) or an identity key (others). */
  readonly hash: string;
}

/** A built graph. */
export interface Graph {
  /** Nodes in topological order; the target is last. [GRAPH-2] */
  readonly nodes: readonly GraphNode[];
  /** Index of the target node. */
  readonly target: number;
  /**
   * The node a LazyResult of the graph became (several may share one: [GRAPH-4]), or
   * undefined for one not in the graph.
   */
  indexOf(lazy: LazyResult<unknown>): number | undefined;
}

/** Options of {@link buildGraph}. */
export interface BuildGraphOptions {
  /** Hasher for structural keys; give the engine's so identities are stable across runs. */
  hasher?: StructuralHasher;
}

interface Frame {
  lazy: LazyResult<unknown>;
  children: readonly LazyResult<unknown>[];
  injects: readonly LazyResult<unknown>[];
  argLazies: number;
  next: number;
}

const VISITING = -1;

/**
 * Build the graph a target needs. Throws CYCLE (with the path) or INVALID_ARGUMENT.
 *
 * @example
 * ```ts
 * const add = task((a: number, b: number) => a + b);
 * const g = buildGraph(add(add(1, 2), 3));
 * g.nodes.map((n) => n.id); // ['add#0', 'add#1']
 * ```
 */
export function buildGraph(target: LazyResult<unknown>, options: BuildGraphOptions = {}): Graph {
  if (!(target instanceof LazyResult) || target.kind === 'inject') {
    throw new InvalidArgumentError('target', target, 'must be a task call (a LazyResult)');
  }
  const hasher = options.hasher ?? new StructuralHasher();
  const nodes: BuiltNode[] = [];
  const build = nextBuild();
  // Every call visited, in visit order: the record indexOf falls back on.
  const visited: LazyResult<unknown>[] = [target];
  const pureIndex = new Map<string, number>();
  const stack: Frame[] = [frameOf(target)];
  const mark: number[] = []; // dedupes deps in O(1): mark[d] === stamp while building one node
  let stamp = 0;
  target.graphBuild = build;
  target.graphIndex = VISITING;

  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++];
      if (child.graphBuild !== build) {
        child.graphBuild = build;
        child.graphIndex = VISITING;
        visited.push(child);
        stack.push(frameOf(child));
      } else if (child.graphIndex === VISITING) {
        throw cycleError(stack, child);
      }
      continue;
    }
    stack.pop();
    const lazy = frame.lazy;
    let deps: readonly number[] = NONE;
    if (frame.children.length > 0) {
      const list: number[] = [];
      stamp++;
      for (const child of frame.children) {
        const d = child.graphIndex;
        if (mark[d] !== stamp) {
          mark[d] = stamp;
          list.push(d);
        }
      }
      deps = list;
    }
    const index = nodes.length;
    let hash: string | undefined;
    if (lazy.task!.pure) {
      hash = structuralHash(hasher, lazy, nodes);
      const same = pureIndex.get(hash);
      if (same !== undefined) {
        lazy.graphIndex = same; // [GRAPH-4]
        continue;
      }
      pureIndex.set(hash, index);
    }
    const hasLazyArgs = frame.argLazies > 0 || frame.injects.length > 0;
    nodes.push(new BuiltNode(index, lazy, deps, frame.injects, hasLazyArgs, hash));
    for (const d of deps) nodes[d].addDependent(index);
    lazy.graphIndex = index;
  }
  return new BuiltGraph(nodes, build, visited);
}

let lastBuild = 0;
/** A number no other build of this process has. */
function nextBuild(): number {
  lastBuild = lastBuild === Number.MAX_SAFE_INTEGER ? 1 : lastBuild + 1;
  return lastBuild;
}

/**
 * A graph as built. The builder marks each call it visits with the build and the node it
 * became (fields of the LazyResult, not a Map: a Map keyed by a fresh object first gives it
 * an identity hash, which cost more than the rest of building). `indexOf` reads that mark
 * while no later build has visited the call (one run, one build: the common case), and
 * otherwise a map made on first need from what this build recorded.
 */
class BuiltGraph implements Graph {
  readonly nodes: readonly BuiltNode[];
  readonly target: number;
  readonly #build: number;
  readonly #visited: readonly LazyResult<unknown>[];
  readonly #indices: Int32Array;
  #byCall: Map<LazyResult<unknown>, number> | null = null;
  constructor(nodes: readonly BuiltNode[], build: number, visited: LazyResult<unknown>[]) {
    this.nodes = nodes;
    this.#build = build;
    this.#visited = visited;
    const indices = new Int32Array(visited.length);
    for (let i = 0; i < visited.length; i++) indices[i] = visited[i].graphIndex;
    this.#indices = indices;
    this.target = indices[0];
  }
  indexOf(lazy: LazyResult<unknown>): number | undefined {
    if (lazy.graphBuild === this.#build) return lazy.graphIndex;
    if (this.#byCall === null) {
      const byCall = new Map<LazyResult<unknown>, number>();
      for (let i = 0; i < this.#visited.length; i++) byCall.set(this.#visited[i], this.#indices[i]);
      this.#byCall = byCall;
    }
    return this.#byCall.get(lazy);
  }
}

/**
 * A node as built. Its id and identity hash are strings made on first use (a run reads them
 * only for events, errors and state), and a node with no dependents shares one empty list:
 * a 10k-leaf graph then allocates one object per node, not four.
 */
class BuiltNode implements GraphNode {
  readonly index: number;
  readonly name: string;
  readonly lazy: LazyResult<unknown>;
  readonly deps: readonly number[];
  dependents: number[] = NO_DEPENDENTS;
  readonly injects: readonly LazyResult<unknown>[];
  readonly hasLazyArgs: boolean;
  #id: string | undefined = undefined;
  #hash: string | undefined;
  constructor(
    index: number,
    lazy: LazyResult<unknown>,
    deps: readonly number[],
    injects: readonly LazyResult<unknown>[],
    hasLazyArgs: boolean,
    hash: string | undefined,
  ) {
    this.index = index;
    this.name = lazy.task!.name;
    this.lazy = lazy;
    this.deps = deps;
    this.injects = injects;
    this.hasLazyArgs = hasLazyArgs;
    this.#hash = hash;
  }
  get id(): string {
    return (this.#id ??= `${this.name}#${this.index}`);
  }
  get hash(): string {
    return (this.#hash ??= `@${this.index}`);
  }
  addDependent(index: number): void {
    if (this.dependents.length === 0)
      this.dependents = [index]; // never writes the shared one
    else this.dependents.push(index);
  }
}

/**
 * Shared by every node with no injects or no deps; typed readonly, never written to. Not
 * frozen: a frozen array has its own elements kind, and loops over `deps` and `injects` that
 * meet both kinds measured slower.
 */
const NONE: readonly never[] = [];
/** The dependents of every node that has none: replaced, never written (`addDependent`). */
const NO_DEPENDENTS: number[] = [];

function frameOf(lazy: LazyResult<unknown>): Frame {
  // The args array is the factory's own (never self-referential): its elements are scanned
  // here and only containers go through collectLazies, whose cycle guard allocates. A node
  // with nothing upstream (most of a wide graph) allocates no list at all.
  let children: LazyResult<unknown>[] | null = null;
  const args = lazy.args;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'object' || arg === null) continue;
    children ??= [];
    if (arg instanceof LazyResult) children.push(arg);
    else collectLazies(arg, children);
  }
  let injects: readonly LazyResult<unknown>[] = NONE;
  if (children !== null && children.some((l) => l.kind === 'inject')) {
    injects = children.filter((l) => l.kind === 'inject');
    children = children.filter((l) => l.kind !== 'inject');
  }
  const argLazies = children === null ? 0 : children.length;
  const cond = lazy.condition;
  if (cond instanceof LazyResult) {
    if (cond.kind === 'inject') {
      throw new InvalidArgumentError('runIf', cond.name, 'cannot be an injected resource');
    }
    (children ??= []).push(cond);
  }
  for (const a of lazy.afterList) {
    if (a.kind === 'inject') {
      throw new InvalidArgumentError('after', a.name, 'cannot be an injected resource');
    }
    (children ??= []).push(a);
  }
  return { lazy, children: children ?? NONE, injects, argLazies, next: 0 };
}

function cycleError(stack: Frame[], child: LazyResult<unknown>): CascadeError {
  let start = stack.length - 1;
  while (start > 0 && stack[start].lazy !== child) start--;
  const path = stack.slice(start).map((f) => f.lazy.name);
  path.push(child.name);
  return new CascadeError(ErrorCode.CYCLE, `cycle in the task graph: ${path.join(' -> ')}`, {
    path,
  });
}

function structuralHash(
  hasher: StructuralHasher,
  lazy: LazyResult<unknown>,
  nodes: GraphNode[],
): string {
  const replace = (o: object): string | undefined => {
    if (!(o instanceof LazyResult)) return undefined;
    if (o.kind === 'inject') return `!${hasher.key(o.resource)}`;
    return `@${nodes[o.graphIndex].hash}`; // built before its dependents [GRAPH-2]
  };
  return hasher.hash(
    [
      hasher.idOf(lazy.task!),
      lazy.kind,
      lazy.args,
      lazy.retry,
      lazy.cache,
      lazy.constraints,
      lazy.condition,
      lazy.afterList,
    ],
    replace,
  );
}
