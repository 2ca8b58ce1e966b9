/**
 * The graph layer: from a target LazyResult to the nodes and edges a run executes, with cycle
 * detection and structural hashing.
 */
export { buildGraph } from './graph.js';
export type { Graph, GraphNode, BuildGraphOptions } from './graph.js';
export { collectLazies, substitute, isPlainObject } from './scan-args.js';
export type { LazyValues } from './scan-args.js';
export { StructuralHasher, fnv1a } from './structural-hash.js';
export { dryRun } from './plan.js';
export type { Plan, PlanTask, PlanCache, PlanStructure } from './plan.js';
export { visualize } from './visualize.js';
export type { GraphFormat, VisualizeOptions } from './visualize.js';
export { sequence, pipeline, compose } from './compose.js';
export type { Stage, ValuesOf } from './compose.js';
export { graphToJSON, graphFromJSON, TaskRegistry } from './graph-json.js';
export type { GraphJSON, NodeJSON } from './graph-json.js';
