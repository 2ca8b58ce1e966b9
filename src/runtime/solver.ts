/**
 * The solver: from a target LazyResult to a checked graph. It builds only what the target
 * needs ([GRAPH-1]), rejects cycles with their path ([GRAPH-3]) and checks that every
 * `inject(name)` names a known resource before anything runs ([RES-4]).
 */
import { buildGraph, type Graph } from '../graph/graph.js';
import type { StructuralHasher } from '../graph/structural-hash.js';
import type { LazyResult } from '../spec/lazy-result.js';
import { resolveInject, type ResourceRegistry } from './resources.js';

/** What the solver needs from the engine. */
export interface SolveOptions {
  readonly hasher: StructuralHasher;
  readonly registry: ResourceRegistry;
}

/**
 * Builds and checks the graph of a run. Subclass it to add checks of your own.
 *
 * @example
 * ```ts
 * const graph = new Solver().solve(add(add(1, 2), 3), { hasher, registry: new Map() });
 * graph.nodes.length; // 2
 * ```
 */
export class Solver {
  /** Build the target's graph; throws CYCLE, UNKNOWN_RESOURCE or INVALID_ARGUMENT. */
  solve(target: LazyResult<unknown>, options: SolveOptions): Graph {
    const graph = buildGraph(target, { hasher: options.hasher });
    for (const node of graph.nodes) {
      for (const inj of node.injects) resolveInject(inj, options.registry);
    }
    return graph;
  }
}
