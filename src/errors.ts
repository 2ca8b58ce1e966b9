/**
 * Errors with stable codes (docs/errors.md is the catalogue). Every error Cascade throws on purpose is a
 * `CascadeError` carrying a `code` from {@link ErrorCode}, the offending input (`details`) and,
 * where one exists, a `cause`. Callers tell errors apart by `code`, never by message.
 * The codes are listed, with what each means, in docs/errors.md.
 */

/** Every stable error code. Add new codes here and to docs/errors.md. */
export const ErrorCode = {
  /** An option or argument has a value outside its declared range or type. */
  INVALID_ARGUMENT: 'CASCADE_ERR_INVALID_ARGUMENT',
  /** A topic or topic pattern breaks the MQTT topic rules. */
  INVALID_TOPIC: 'CASCADE_ERR_INVALID_TOPIC',
  /** The task graph has a cycle; `details.path` names it. */
  CYCLE: 'CASCADE_ERR_CYCLE',
  /** A task asked for a resource that nobody registered. */
  UNKNOWN_RESOURCE: 'CASCADE_ERR_UNKNOWN_RESOURCE',
  /** A constraint asks for more than the capacity will ever hold. */
  INFEASIBLE_CONSTRAINT: 'CASCADE_ERR_INFEASIBLE_CONSTRAINT',
  /** A task failed after all its attempts. */
  TASK_FAILED: 'CASCADE_ERR_TASK_FAILED',
  /** A run or a wait was cancelled through an AbortSignal. */
  CANCELLED: 'CASCADE_ERR_CANCELLED',
  /** An operation on a closed channel, connector or scheduler. */
  CLOSED: 'CASCADE_ERR_CLOSED',
  /** A connector was used before `connect()` or after `disconnect()`. */
  NOT_CONNECTED: 'CASCADE_ERR_NOT_CONNECTED',
  /** A second receiver waited on a DirectChannel, which has exactly one receiver. */
  CHANNEL_BUSY: 'CASCADE_ERR_CHANNEL_BUSY',
  /** The main side of a worker uplink refused a subscription, or could not make it. */
  SUBSCRIBE_REFUSED: 'CASCADE_ERR_SUBSCRIBE_REFUSED',
  /** A worker thread running a shard of an experiment threw or exited; `details.shard` names it. */
  SHARD_FAILED: 'CASCADE_ERR_SHARD_FAILED',
  /** A process shard lost its coordinator (it went away) or does not fit its run. */
  COORDINATOR_LOST: 'CASCADE_ERR_COORDINATOR_LOST',
  /** A gateway was asked for `auth: { mode: 'none' }` on an address other than loopback. */
  GATEWAY_INSECURE: 'CASCADE_ERR_GATEWAY_INSECURE',
  /** A gateway connection had no bearer token, or one that does not verify. */
  UNAUTHORIZED: 'CASCADE_ERR_UNAUTHORIZED',
  /** A gateway session's role or topic ACL does not allow what it asked for. */
  FORBIDDEN: 'CASCADE_ERR_FORBIDDEN',
  /** A gateway client sent a text message that is not JSON, or a binary message. */
  BAD_JSON: 'CASCADE_ERR_BAD_JSON',
  /** A peer (gateway client, worker uplink) sent a message whose `type` the protocol lacks. */
  UNKNOWN_MESSAGE: 'CASCADE_ERR_UNKNOWN_MESSAGE',
  /** A peer's message (gateway client, worker uplink) of a known type breaks its schema. */
  INVALID_MESSAGE: 'CASCADE_ERR_INVALID_MESSAGE',
  /** A gateway client sent messages faster than its token bucket allows. */
  RATE_LIMITED: 'CASCADE_ERR_RATE_LIMITED',
  /** A gateway client asked for a stream this gateway does not serve. */
  UNKNOWN_STREAM: 'CASCADE_ERR_UNKNOWN_STREAM',
  /** A gateway control command that the command handler does not declare. */
  UNKNOWN_COMMAND: 'CASCADE_ERR_UNKNOWN_COMMAND',
  /** A gateway control command whose arguments break the command's schema. */
  INVALID_COMMAND: 'CASCADE_ERR_INVALID_COMMAND',
  /** A gateway control command that the command handler threw or rejected on. */
  COMMAND_FAILED: 'CASCADE_ERR_COMMAND_FAILED',
  /** A gateway session asked for more than a per-session limit allows. */
  LIMIT_EXCEEDED: 'CASCADE_ERR_LIMIT_EXCEEDED',
  /** A gateway client's collab publish failed on the connector (a transport error). */
  PUBLISH_FAILED: 'CASCADE_ERR_PUBLISH_FAILED',
  /** A metrics log (JSONL) has no line that `plot` or `analyze` can read. */
  INVALID_METRICS_LOG: 'CASCADE_ERR_INVALID_METRICS_LOG',
  /** An MqttConnector's first connection attempt failed (refused, timed out, CONNACK error). */
  MQTT_CONNECT_FAILED: 'CASCADE_ERR_MQTT_CONNECT_FAILED',
  /** An MqttConnector dropped a message from its full offline buffer; `details.topic`. */
  OFFLINE_BUFFER_FULL: 'CASCADE_ERR_OFFLINE_BUFFER_FULL',
  /** A control-plane constraint, scope or command breaks its rules; `details.reason`. */
  INVALID_CONSTRAINT: 'CASCADE_ERR_INVALID_CONSTRAINT',
  /** A `shell` provider's process exited non-zero, was killed, or wrote too much output. */
  PROCESS_FAILED: 'CASCADE_ERR_PROCESS_FAILED',
  /** A provider's operation (`shell`, `http`) ran past its `timeoutMs`; `details.timeoutMs`. */
  TIMEOUT: 'CASCADE_ERR_TIMEOUT',
  /** An `http` provider's response had a status outside 200..299; `details.status`. */
  HTTP_STATUS: 'CASCADE_ERR_HTTP_STATUS',
  /** A cache or state backend (Redis, a cache directory) failed; `details.backend`. */
  BACKEND_FAILED: 'CASCADE_ERR_BACKEND_FAILED',
  /** A router took more steps than its `maxSteps`; `details.router`, `details.maxSteps`. */
  STEPS_EXCEEDED: 'CASCADE_ERR_STEPS_EXCEEDED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The base of every error Cascade throws on purpose.
 *
 * @example
 * ```ts
 * try { bus.subscribe('a/#/b', () => {}); }
 * catch (e) { if (e instanceof CascadeError && e.code === ErrorCode.INVALID_TOPIC) console.log(e.details); }
 * ```
 */
export class CascadeError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/**
 * A bad argument or option: thrown at once, naming the option and the value.
 *
 * @example
 * ```ts
 * throw new InvalidArgumentError('period', -1, 'must be > 0');
 * ```
 */
export class InvalidArgumentError extends CascadeError {
  constructor(option: string, value: unknown, problem: string) {
    super(ErrorCode.INVALID_ARGUMENT, `invalid ${option}: ${String(value)} (${problem})`, {
      option,
      value,
    });
  }
}

/**
 * A topic or pattern that breaks the MQTT rules.
 *
 * @example
 * ```ts
 * throw new InvalidTopicError('a/#/b', '"#" must be the last level');
 * ```
 */
export class InvalidTopicError extends CascadeError {
  constructor(topic: string, problem: string) {
    super(ErrorCode.INVALID_TOPIC, `invalid topic ${JSON.stringify(topic)}: ${problem}`, {
      topic,
    });
  }
}

/**
 * An operation was cancelled by an AbortSignal.
 *
 * @example
 * ```ts
 * if (signal.aborted) throw new CancelledError('run cancelled', { cause: signal.reason });
 * ```
 */
export class CancelledError extends CascadeError {
  constructor(message = 'cancelled', options?: { cause?: unknown }) {
    super(ErrorCode.CANCELLED, message, {}, options);
  }
}

/**
 * An operation on something already closed (a channel, a connector, a scheduler).
 *
 * @example
 * ```ts
 * throw new ClosedError('channel', 'fly-3');
 * ```
 */
export class ClosedError extends CascadeError {
  constructor(what: string, name?: string) {
    super(ErrorCode.CLOSED, `${what}${name === undefined ? '' : ` ${name}`} is closed`, {
      what,
      name,
    });
  }
}

/**
 * A message from a peer that breaks a wire protocol: an unknown `type` (UNKNOWN_MESSAGE) or a
 * known one with bad fields (INVALID_MESSAGE). Reported (an event, an error frame), never thrown
 * into the event loop: bad input from the wire must not crash a process or a worker.
 *
 * @example
 * ```ts
 * new ProtocolError(ErrorCode.UNKNOWN_MESSAGE, 'uplink bridge', 'unknown message type "hello"');
 * ```
 */
export class ProtocolError extends CascadeError {
  constructor(
    code: typeof ErrorCode.UNKNOWN_MESSAGE | typeof ErrorCode.INVALID_MESSAGE,
    peer: string,
    problem: string,
  ) {
    super(code, `${peer}: ${problem}`, { peer, problem });
  }
}

/**
 * A subscription a worker asked for through its uplink was refused by the bridge
 * (`allowSubscribe`) or failed on the main connector. An error crosses the thread boundary
 * only as text, so the main side's code, when it had one, is kept in `details.remoteCode`.
 *
 * @example
 * ```ts
 * throw new SubscribeRefusedError('uplink', 'secrets/#', 'not allowed');
 * ```
 */
export class SubscribeRefusedError extends CascadeError {
  constructor(connector: string, pattern: string, reason: string, remoteCode?: string) {
    super(
      ErrorCode.SUBSCRIBE_REFUSED,
      `subscription to ${pattern} refused (connector ${connector}): ${reason}`,
      { connector, pattern, reason, ...(remoteCode !== undefined && { remoteCode }) },
    );
  }
}

/**
 * A worker thread running a shard of an experiment threw, or exited before it was asked to.
 * The run that owns it stops every shard and ends with this error.
 *
 * @example
 * ```ts
 * throw new ShardFailedError(1, 'exited with code 1');
 * ```
 */
export class ShardFailedError extends CascadeError {
  constructor(shard: number, reason: string, options?: { cause?: unknown }) {
    super(ErrorCode.SHARD_FAILED, `shard ${shard} failed: ${reason}`, { shard, reason }, options);
  }
}

/**
 * A process shard (`cascade fireflies --shard I/N`) lost its coordinator: the coordinator
 * went away mid-run (its last will cleared the run's config), or the run does not take this
 * process: another number of shards, another process runs this shard, or the run started
 * without it. `details.reason` says which.
 *
 * @example
 * ```ts
 * throw new CoordinatorLostError('its will cleared the run (the process went away)');
 * ```
 */
export class CoordinatorLostError extends CascadeError {
  constructor(reason: string) {
    super(ErrorCode.COORDINATOR_LOST, `shard: the coordinator is lost: ${reason}`, { reason });
  }
}

/**
 * A metrics log that `cascade plot` / `cascade analyze` cannot read: no line of it is a
 * metrics line (`{"t":…,"metrics":{…}}`). `details.source` names the file.
 *
 * @example
 * ```ts
 * throw new InvalidMetricsLogError('run.jsonl', 'no metrics line among 3 lines');
 * ```
 */
export class InvalidMetricsLogError extends CascadeError {
  constructor(source: string, reason: string) {
    super(ErrorCode.INVALID_METRICS_LOG, `${source}: not a metrics log (${reason})`, {
      source,
      reason,
    });
  }
}

/**
 * A cache or state backend failed: Redis unreachable, a cache directory unwritable. Cache
 * reads and writes that fail are reported as a process warning carrying this error (a cache is
 * an optimisation; the task runs); a state backend that cannot load a run fails the run with
 * it. `details`: `backend`, `operation`.
 *
 * @example
 * ```ts
 * throw new BackendError('redis', 'load run r1', { cause: err });
 * ```
 */
export class BackendError extends CascadeError {
  constructor(backend: string, operation: string, options?: { cause?: unknown }) {
    const because =
      options?.cause instanceof Error ? `: ${options.cause.message}` : ': failed (no cause)';
    super(
      ErrorCode.BACKEND_FAILED,
      `${backend} backend: ${operation}${because}`,
      { backend, operation },
      options,
    );
  }
}
