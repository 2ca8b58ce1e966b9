/** The runtime layer: engine, solver, executor, resource manager, events, VM loop, clock. */
export * from './event-bus.js';
export type * from './clock.js';
export { Engine } from './engine.js';
export type { EngineOptions, RunOptions, SpawnOptions, EngineConnector } from './engine.js';
export { Solver } from './solver.js';
export type { SolveOptions } from './solver.js';
export { Executor } from './executor.js';
export type { RunContext } from './run-context.js';
export { ResourceManager } from './resource-manager.js';
export type { ResourceRequest } from './resource-manager.js';
export { MemoryCache, MISS, fileExists } from './cache.js';
export type { CacheBackend } from './cache.js';
export { MemoryStateStore } from './state-store.js';
export type { StateStore } from './state-store.js';
export { RunResources, resolveInject, runTeardowns } from './resources.js';
export type { ResourceRegistry, InjectedValues } from './resources.js';
export { vmLoop, vmSpawn, isThenable } from './vm.js';
export type { VmLoopOptions } from './vm.js';
export type * from './events.js';
export { Scheduler } from './scheduler.js';
export type { ClockKind, SchedulerOptions, SchedulerStats } from './scheduler.js';
export { RealClock } from './real-clock.js';
export { VirtualClock } from './virtual-clock.js';
export { QueuedClock } from './queued-clock.js';
export { TimerQueue, Timer } from './timer-queue.js';
export { SeededRng, counterUniform } from './rng.js';
export { ReadyQueue, defaultReadyQueue } from './ready-queue.js';
export type { ReadyQueueOptions } from './ready-queue.js';
export {
  CONSTRAINT_KINDS,
  CONSTRAINT_PREFIX,
  InvalidConstraintError,
  constraintPayload,
  constraintTopic,
  describeConstraint,
  parseConstraint,
  parseScope,
  topicConstraint,
} from './constraint.js';
export type { Constraint, ConstraintKind, ConstraintScope } from './constraint.js';
export { ConstraintSet } from './constraint-set.js';
export type { ConstraintEvent, ConstraintSetOptions, ConstraintSource } from './constraint-set.js';
export { ConstraintGate, GateKey } from './constraint-gate.js';
export type { GateSource, TimeHolder } from './constraint-gate.js';
export { controlConstraints, controlMessages } from './control-command.js';
export type { ConstraintChange, ControlCommand, ControlMessage } from './control-command.js';
