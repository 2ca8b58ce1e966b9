/**
 * The graph layer: from a target LazyResult to the nodes and edges a run executes, with cycle
 * detection and structural hashing.
 */
export { buildGraph } from './graph.js';
export type { Graph, GraphNode, BuildGraphOptions } from './graph.js';
export { collectLazies, substitute, isPlainObject } from './scan-args.js';
export type { LazyValues } from './scan-args.js';
export { StructuralHasher, fnv1a } from './structural-hash.js';
