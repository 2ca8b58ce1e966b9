/**
 * The errors providers and backends throw, each a CascadeError with a stable code and the data
 * a caller needs to react (exit code and stderr tail, HTTP status, the timeout) in `details`.
 * None of these codes is fatal to the attempt policy: a failed command, a 503 or a timeout is
 * retried under `.withRetry(...)` like any other task error, and wrapped in TASK_FAILED when
 * the attempts are used up (the original stays the `cause`).
 */
import { CascadeError, ErrorCode } from '../errors.js';

/** Why a process is reported as failed. */
export type ProcessFailure = 'exit' | 'signal' | 'output-limit';

/**
 * A `shell` process exited with a non-zero code, was killed by a signal, or wrote more than
 * `maxOutputBytes`. `details`: `argv`, `exitCode` (null when killed), `signal`, `stderrTail`
 * (the last 4 KiB of stderr), `reason`.
 *
 * @example
 * ```ts
 * try { await engine.run(shell(['false'])); }
 * catch (e) { if (e.cause instanceof ProcessFailedError) console.log(e.cause.exitCode); } // 1
 * ```
 */
export class ProcessFailedError extends CascadeError {
  /** The exit code, or null when the process was killed by a signal. */
  readonly exitCode: number | null;
  /** The last bytes (up to 4 KiB) of what the process wrote to stderr. */
  readonly stderrTail: string;

  constructor(
    argv: readonly string[],
    failure: {
      reason: ProcessFailure;
      exitCode: number | null;
      signal: string | null;
      stderrTail: string;
    },
  ) {
    const how =
      failure.reason === 'exit'
        ? `exited with code ${failure.exitCode}`
        : failure.reason === 'signal'
          ? `was killed by ${failure.signal}`
          : 'wrote more output than maxOutputBytes';
    const tail = failure.stderrTail.trimEnd();
    super(
      ErrorCode.PROCESS_FAILED,
      `${argv.join(' ')} ${how}${tail === '' ? '' : `: ${tail.slice(-200)}`}`,
      { argv, ...failure },
    );
    this.exitCode = failure.exitCode;
    this.stderrTail = failure.stderrTail;
  }
}

/**
 * An operation of a provider ran longer than its `timeoutMs` and was stopped (a process killed,
 * a request aborted). `details`: `operation`, `timeoutMs`.
 *
 * @example
 * ```ts
 * throw new TimeoutError('shell sleep 10', 500);
 * ```
 */
export class TimeoutError extends CascadeError {
  constructor(operation: string, timeoutMs: number) {
    super(ErrorCode.TIMEOUT, `${operation} timed out after ${timeoutMs} ms`, {
      operation,
      timeoutMs,
    });
  }
}

/**
 * An HTTP response whose status is not 2xx. `details`: `method`, `url`, `status`,
 * `statusText`, `bodyTail` (the first 1 KiB of the body, as text).
 *
 * @example
 * ```ts
 * try { await engine.run(http('http://127.0.0.1:8080/missing')); }
 * catch (e) { if (e.cause instanceof HttpStatusError) console.log(e.cause.status); } // 404
 * ```
 */
export class HttpStatusError extends CascadeError {
  /** The response status, e.g. 404. */
  readonly status: number;
  /**
   * Whether another attempt may succeed: false for a 4xx other than 408 (timeout), 425 (too
   * early) and 429 (too many requests), so the engine's retry stops there [ATT-6].
   */
  readonly retryable: boolean;

  constructor(
    method: string,
    url: string,
    response: { status: number; statusText: string; bodyTail: string },
  ) {
    super(
      ErrorCode.HTTP_STATUS,
      `${method} ${url} answered ${response.status} ${response.statusText}`.trimEnd(),
      { method, url, ...response },
    );
    this.status = response.status;
    const s = response.status;
    this.retryable = s < 400 || s > 499 || s === 408 || s === 425 || s === 429;
  }
}
