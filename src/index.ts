/**
 * Cascade: the curated public surface. Layers are also reachable one by one through the
 * subpath exports (`cascade/runtime`, `cascade/messaging`, ...).
 */
export * from './errors.js';
export * from './runtime/index.js';
