/**
 * The attempt policy: what happens when one execution of a task throws. Graph mode (the
 * executor, per node) and VM mode (the engine, per agent run) both run their attempts through
 * {@link runAttempts} and map a lone failure through {@link finalError}, so a task behaves the
 * same in both modes; `test/runtime/attempt-policy.conformance.test.ts` runs one suite in both.
 *
 * Invariants:
 * - [ATT-1] Fatal errors are not retried and reach the caller as they are: a CascadeError
 *   whose code is in {@link FATAL_CODES} (INVALID_ARGUMENT, UNKNOWN_RESOURCE,
 *   INFEASIBLE_CONSTRAINT, CANCELLED). Another attempt cannot fix a bad argument.
 * - [ATT-2] Any other error is retried while attempts remain: before attempt n+1 a
 *   TaskRetrying event (attempt n, delayMs) and a wait of `delay * backoff^(n-1)` ms on the
 *   run's clock, cut short by the run's signal.
 * - [ATT-3] The last attempt's error becomes TASK_FAILED (`details.taskName`, `nodeId`,
 *   `attempts`; `cause` = that error).
 * - [ATT-4] An error thrown while the run's signal is aborted becomes CancelledError
 *   (`cause` = the error) and is not retried.
 * - [ATT-6] An error whose `retryable` property is `false` (an HttpStatusError for a 4xx other
 *   than 408, 425 and 429: the same request will get the same answer) is not retried: it
 *   becomes TASK_FAILED at once, with the attempts made so far.
 * - [ATT-5] Every attempt that calls the task is reported by TaskExecutionStarted and
 *   TaskExecutionFinished (`succeeded` | `failed`), in both modes, when the bus has
 *   subscribers; no event object is made otherwise.
 */
import type { RetryPolicy } from '../spec/policies.js';
import { CancelledError, CascadeError, ErrorCode } from '../errors.js';
import type { EventBus } from './event-bus.js';
import type { EngineEvent } from './events.js';

/** Codes of errors that are never retried nor wrapped in TASK_FAILED. [ATT-1] */
export const FATAL_CODES: ReadonlySet<string> = new Set<string>([
  ErrorCode.INVALID_ARGUMENT,
  ErrorCode.UNKNOWN_RESOURCE,
  ErrorCode.INFEASIBLE_CONSTRAINT,
  ErrorCode.CANCELLED,
]);

/**
 * True when `error` must not be retried nor wrapped. [ATT-1]
 *
 * @example
 * ```ts
 * isFatal(new InvalidArgumentError('n', -1, 'must be >= 0')); // true
 * isFatal(new Error('flaky')); // false
 * ```
 */
export function isFatal(error: unknown): boolean {
  return error instanceof CascadeError && FATAL_CODES.has(error.code);
}

/** True when `error` says another attempt cannot succeed (`retryable: false`). [ATT-6] */
function isPermanent(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { retryable?: unknown }).retryable === false
  );
}

/** What the attempt loop needs of a run: its id, bus, signal and clock. */
export interface AttemptScope {
  readonly runId: string;
  readonly bus: EventBus<EngineEvent>;
  readonly signal: AbortSignal;
  /** Wait `ms`; rejects with CancelledError when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * What a run rejects with when attempt `attempt` of `maxAttempts` threw `error`, or null when
 * another attempt follows. [ATT-1, ATT-3, ATT-4]
 *
 * @example
 * ```ts
 * finalError(new Error('boom'), 1, 1, undefined, 'fetch', 'fetch#0'); // TASK_FAILED, cause boom
 * finalError(new Error('boom'), 1, 3, undefined, 'fetch', 'fetch#0'); // null: retry
 * ```
 */
export function finalError(
  error: unknown,
  attempt: number,
  maxAttempts: number,
  signal: AbortSignal | undefined,
  taskName: string,
  nodeId: string,
): unknown {
  if (isFatal(error)) return error; // [ATT-1]
  if (signal !== undefined && signal.aborted) {
    return new CancelledError('run cancelled', { cause: error }); // [ATT-4]
  }
  if (attempt < maxAttempts && !isPermanent(error)) return null; // [ATT-2, ATT-6]
  return new CascadeError(
    ErrorCode.TASK_FAILED,
    `task ${nodeId} failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${String(error)}`,
    { taskName, nodeId, attempts: attempt },
    { cause: error },
  ); // [ATT-3]
}

/**
 * The wait before attempt `attempt + 1`: `delay * backoff^(attempt-1)`. [ATT-2]
 *
 * @example
 * ```ts
 * retryDelay({ maxAttempts: 4, delay: 100, backoff: 2 }, 2); // 200
 * ```
 */
export function retryDelay(retry: Required<RetryPolicy>, attempt: number): number {
  return retry.delay * retry.backoff ** (attempt - 1);
}

/**
 * Run `attempt(1)`, `attempt(2)`, … under `retry` until one resolves, and resolve with its
 * value; reject as {@link finalError} says. `attempt` reports its own execution events with
 * {@link attemptStarted} / {@link attemptFinished}: only it knows whether the task was called
 * (a cache hit is not an execution).
 *
 * @example
 * ```ts
 * const value = await runAttempts(scope, 'fetch', 'fetch#0', { maxAttempts: 3, delay: 10, backoff: 2 },
 *   (n) => fetchOnce(n));
 * ```
 */
export async function runAttempts<T>(
  scope: AttemptScope,
  taskName: string,
  nodeId: string,
  retry: Required<RetryPolicy> | null,
  attempt: (n: number) => Promise<T>,
): Promise<T> {
  const maxAttempts = retry === null ? 1 : retry.maxAttempts;
  for (let n = 1; ; n++) {
    if (scope.signal.aborted)
      throw new CancelledError('run cancelled', { cause: scope.signal.reason });
    try {
      return await attempt(n);
    } catch (error) {
      const final = finalError(error, n, maxAttempts, scope.signal, taskName, nodeId);
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the task's own error, whatever it threw
      if (final !== null) throw final;
      const delayMs = retryDelay(retry!, n);
      const bus = scope.bus;
      if (bus.hasSubscribers) {
        bus.emit({
          type: 'TaskRetrying',
          runId: scope.runId,
          taskName,
          nodeId,
          attempt: n,
          delayMs,
          error,
        }); // [ATT-2]
      }
      if (delayMs > 0) await scope.sleep(delayMs, scope.signal);
    }
  }
}

/**
 * Report that attempt `attempt` calls the task (if anyone listens); returns the start time
 * for {@link attemptFinished}. [ATT-5]
 *
 * @example
 * ```ts
 * const started = attemptStarted(scope, 'fetch', 'fetch#0', 1);
 * ```
 */
export function attemptStarted(
  scope: AttemptScope,
  taskName: string,
  nodeId: string,
  attempt: number,
): number {
  const bus = scope.bus;
  if (bus.hasSubscribers) {
    bus.emit({ type: 'TaskExecutionStarted', runId: scope.runId, taskName, nodeId, attempt });
  }
  return performance.now();
}

/**
 * Report the end of an attempt that called the task (if anyone listens). [ATT-5]
 *
 * @example
 * ```ts
 * attemptFinished(scope, 'fetch', 'fetch#0', 1, started, 'failed', error);
 * ```
 */
export function attemptFinished(
  scope: AttemptScope,
  taskName: string,
  nodeId: string,
  attempt: number,
  started: number,
  status: 'succeeded' | 'failed',
  error: unknown,
): void {
  const bus = scope.bus;
  if (!bus.hasSubscribers) return;
  bus.emit({
    type: 'TaskExecutionFinished',
    runId: scope.runId,
    taskName,
    nodeId,
    attempt,
    durationMs: performance.now() - started,
    status,
    ...(status === 'failed' && { error }),
  });
}
