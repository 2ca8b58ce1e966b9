/**
 * The spec layer: what users declare. `task` makes factories of LazyResults, LazyResult carries
 * policies, `resource`/`inject` declare and hand over resources, `tailCall` continues an agent.
 */
export { task } from './task.js';
export type { TaskFactory, TaskOptions, TaskResult, LazyArg, LazyArgs, MapSpec } from './task.js';
export { LazyResult, isLazyResult } from './lazy-result.js';
export type { TaskDef, LazyKind, LazyInit } from './lazy-result.js';
export {
  resource,
  inject,
  overrideResource,
  isResourceSetup,
  BUILTIN_RESOURCES,
} from './resource.js';
export type {
  ResourceDef,
  ResourceFactory,
  ResourceScope,
  ResourceSetup,
  ResourceContext,
  TaskContext,
  ResourceOverride,
} from './resource.js';
export { tailCall, TailCall } from './tail-call.js';
export type { TailCallable } from './tail-call.js';
export { normalizeRetry, normalizeCache, normalizeConstraints } from './policies.js';
export type { RetryPolicy, CachePolicy, NormalizedCachePolicy, Constraints } from './policies.js';
export { waitFor, waitUntil, Wait } from './wait.js';
export type { Waker, WaitSource, WaitClock } from './wait.js';
export { param, env, InputError } from './input.js';
export type {
  InputType,
  InputTypeMap,
  InputSource,
  InputSpec,
  InputDef,
  InputOptions,
} from './input.js';
export type { TaskStructure, RouterStateInfo } from './lazy-result.js';
export { router, jump, selectJump, bind, Jump, END } from './router.js';
export type {
  JumpSelector,
  BoundSelector,
  BoundTask,
  RouterState,
  RouterOptions,
  RouterFactory,
  StateInput,
  StateOutput,
} from './router.js';
export { subflow } from './subflow.js';
export type { SubflowFactory } from './subflow.js';
