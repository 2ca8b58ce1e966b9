/**
 * What one run carries through the executor and the VM loop: its id, signal, params, and the
 * engine's shared services (bus, resource manager, cache, hasher). One object per run, so runs
 * sharing an engine never see each other's state.
 *
 * Invariants:
 * - [RUN-1] Runs are isolated: everything mutable about a run lives in its RunContext (and the
 *   executor's per-run state); the engine holds only shared services.
 * - [RUN-2] `signal` aborts when the caller's signal aborts or when a task fails for good, so
 *   running tasks and waits stop early.
 */
import type { EventBus } from './event-bus.js';
import type { EngineEvent } from './events.js';
import type { ResourceManager } from './resource-manager.js';
import type { ConstraintGate } from './constraint-gate.js';
import type { CacheBackend, MemoryCache } from './cache.js';
import type { RunResources } from './resources.js';
import type { StructuralHasher } from '../graph/structural-hash.js';

/** The per-run context handed to an Executor. */
export interface RunContext {
  readonly runId: string;
  /** Aborted on cancellation or fatal failure. [RUN-2] */
  readonly signal: AbortSignal;
  /** Abort the run from inside (a task failed for good). */
  readonly abort: (reason: unknown) => void;
  readonly params: Readonly<Record<string, unknown>>;
  readonly bus: EventBus<EngineEvent>;
  readonly resourceManager: ResourceManager;
  /** The control plane's gate every task attempt passes, or null without constraints. */
  readonly gate: ConstraintGate | null;
  /** The agent group of this run (scope `group:NAME`), or null. */
  readonly group: string | null;
  readonly cache: MemoryCache;
  /** The engine's named cache backends (`.withCache({ backend })`). */
  readonly caches: ReadonlyMap<string, CacheBackend>;
  /** The run's recorded state when it resumes by run id (`{ runId }` + a StateStore), or null. */
  readonly state: RunState | null;
  readonly hasher: StructuralHasher;
  readonly resources: RunResources;
  /** Wait `ms` (retry delays); rejects with CancelledError when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Iterations a tail-calling loop runs before yielding to the event loop once. */
  readonly yieldEvery: number;
}

/** What a run resumed by id knows and records: see state-store.ts [STATE-3, STATE-4]. */
export interface RunState {
  /** Node values recorded by earlier runs with this id, by node id. */
  readonly recorded: ReadonlyMap<string, unknown>;
  /** Record a node's value (a failure is reported as a warning, never thrown). */
  save(nodeKey: string, value: unknown): Promise<void>;
}
