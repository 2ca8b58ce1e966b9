/**
 * The engine's events: a discriminated union on `type`, emitted on the engine's EventBus.
 *
 * Invariants:
 * - [ENG-EVT-1] Per run, events are emitted in the order things happened: RunStarted first,
 *   RunFinished last; for a node, TaskExecutionStarted before its TaskExecutionFinished.
 * - [ENG-EVT-2] Every event carries `runId`; task events also `taskName` and `nodeId`.
 * - [ENG-EVT-3] Events are built only when the bus has subscribers; VM mode emits
 *   RunStarted/RunFinished once per run, TaskExecutionStarted/Finished once per attempt
 *   [ATT-5], and nothing per iteration.
 * - [ENG-EVT-4] A subscriber that throws never breaks a run (the EventBus isolates it). [EVT-2]
 */

/** How a run ended. */
export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

/** Fields of every event about one task node. */
export interface TaskEventBase {
  readonly runId: string;
  readonly taskName: string;
  /** `<taskName>#<index>`; for an element of a map, `<taskName>#<index>[<i>]`. */
  readonly nodeId: string;
}

/** A run began. */
export interface RunStarted {
  readonly type: 'RunStarted';
  readonly runId: string;
  /** The target task's name. */
  readonly target: string;
  readonly vm: boolean;
}

/** A task execution (one attempt) began. */
export interface TaskExecutionStarted extends TaskEventBase {
  readonly type: 'TaskExecutionStarted';
  readonly attempt: number;
}

/** A task execution (one attempt) ended; `cached` means the result came from a cache. */
export interface TaskExecutionFinished extends TaskEventBase {
  readonly type: 'TaskExecutionFinished';
  readonly attempt: number;
  readonly status: 'succeeded' | 'failed' | 'cached';
  readonly durationMs: number;
  readonly error?: unknown;
}

/** A task will not run: its condition was false or an upstream task was skipped. */
export interface TaskSkipped extends TaskEventBase {
  readonly type: 'TaskSkipped';
  readonly reason: string;
}

/** An attempt failed and another follows after `delayMs`. */
export interface TaskRetrying extends TaskEventBase {
  readonly type: 'TaskRetrying';
  /** The attempt that failed. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** A task waits for something before it can start (today: resources of the manager). */
export interface TaskBlocked extends TaskEventBase {
  readonly type: 'TaskBlocked';
  readonly reason: string;
}

/** A task acquired its constraints from the ResourceManager. */
export interface ResourceAcquired extends TaskEventBase {
  readonly type: 'ResourceAcquired';
  readonly resources: Readonly<Record<string, number>>;
}

/** A task released its constraints. */
export interface ResourceReleased extends TaskEventBase {
  readonly type: 'ResourceReleased';
  readonly resources: Readonly<Record<string, number>>;
}

/** A run ended. */
export interface RunFinished {
  readonly type: 'RunFinished';
  readonly runId: string;
  readonly status: RunStatus;
  readonly durationMs: number;
  readonly error?: unknown;
}

/**
 * Everything the engine reports.
 *
 * @example
 * ```ts
 * const bus = new EventBus<EngineEvent>();
 * bus.on((e) => {
 *   switch (e.type) {
 *     case 'TaskExecutionFinished': console.log(e.nodeId, e.status, e.durationMs); break;
 *     case 'RunFinished': console.log(e.runId, e.status); break;
 *     default: break;
 *   }
 * });
 * const engine = new Engine({ bus });
 * ```
 */
export type EngineEvent =
  | RunStarted
  | TaskExecutionStarted
  | TaskExecutionFinished
  | TaskSkipped
  | TaskRetrying
  | TaskBlocked
  | ResourceAcquired
  | ResourceReleased
  | RunFinished;

/** The `type` strings of {@link EngineEvent}. */
export type EngineEventType = EngineEvent['type'];
