/**
 * Cascade: the curated public surface. Layers are also reachable one by one through the
 * subpath exports (`cascade/spec`, `cascade/runtime`, `cascade/messaging`, ...).
 */
export * from './errors.js';
export * from './spec/index.js';
export * from './graph/index.js';
export * from './runtime/index.js';
export * from './messaging/index.js';
export * from './observatory/index.js';
export * from './providers/index.js';
export { createCli } from './cli/create-cli.js';
export type { CreateCliOptions, WorkflowCli, CliOutput } from './cli/create-cli.js';
