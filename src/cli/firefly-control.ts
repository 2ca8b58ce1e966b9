/**
 * `cascade fireflies --control [PORT] [--broker URL]`: a run steered by the control plane. The
 * CLI composes the layers here (the observatory never imports the messaging client): a
 * ConstraintSet fed by `cascade/constraints/#` of a broker, an engine that enforces it on every
 * firefly's step, and a run observer that announces the run and publishes its events for
 * `cascade watch`.
 *
 * - Without `--broker` the run serves an embedded broker (Aedes, MQTT 3.1.1) on
 *   `127.0.0.1:18830` (or PORT), where `cascade ctl` and `cascade watch` look by default.
 * - A pause that applies to the fireflies (scope `global`, `group:fireflies`, `task:firefly`)
 *   pauses the run's clock, as the space key does: simulated time stops with the agents, so a
 *   paused run is the same run, later (on shard processes the coordinator owns the clock of
 *   the lock-step, so its pause holds every shard). Concurrency and rate limits go through the
 *   engine's gate on each agent's step; on shards, threads or processes, each shard's gate
 *   takes its share of them [SLIM-1].
 * - `--limit N` with `--control` becomes a local concurrency constraint on `global` (a
 *   `cascade ctl limit global` replaces it, a `cascade ctl clear global` removes it).
 */
import { ConstraintSet, Engine, type ConstraintEvent } from '../runtime/index.js';
import {
  DEFAULT_CONTROL_PORT,
  EmbeddedBroker,
  MqttConnector,
  RUNS_PREFIX,
  connectMqtt,
  type Connector,
} from '../messaging/index.js';
import {
  FIREFLY_STEP_SCOPES,
  type FireflyRunControl,
  type FireflyRunObserver,
} from '../observatory/index.js';
import { UsageError } from './usage-error.js';

/** A run's control plane: the engine to run on, the observer, and how to close it. */
export interface FireflyControl {
  /** The broker the run listens on. */
  readonly url: string;
  /** The run's id in `cascade/runs/<id>/...`. */
  readonly runId: string;
  /** The engine enforcing the constraints (undefined for a sharded run). */
  readonly engine: Engine | undefined;
  readonly constraints: ConstraintSet;
  readonly observer: FireflyRunObserver;
  close(): Promise<void>;
}

/**
 * Start the control plane of a firefly run: listen (or connect) before the run starts.
 *
 * @example
 * ```ts
 * const control = await startFireflyControl({});
 * await runFireflies({ ...options, engine: control.engine, observers: [control.observer] });
 * await control.close();
 * ```
 */
export async function startFireflyControl(options: {
  broker?: string;
  port?: number;
  /**
   * The shards (worker threads or processes) the run is spread over, each enforcing its share
   * of the limits; undefined for a run in this thread, which gets the control's engine.
   */
  shards?: number;
  limit?: number;
  warn?: (line: string) => void;
  /** Called (and awaited) before a failure to start is thrown: free what the caller holds. */
  onFailure?: () => Promise<void> | undefined;
}): Promise<FireflyControl> {
  try {
    return await start(options);
  } catch (error) {
    await options.onFailure?.();
    throw error;
  }
}

async function start(options: Parameters<typeof startFireflyControl>[0]): Promise<FireflyControl> {
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  let embedded: EmbeddedBroker | null = null;
  let connector: MqttConnector;
  if (options.broker !== undefined) {
    connector = await connectMqtt({ url: options.broker, name: 'fireflies' });
  } else {
    const port = options.port ?? DEFAULT_CONTROL_PORT;
    try {
      embedded = await EmbeddedBroker.start({ host: '127.0.0.1', port });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'EADDRINUSE'
          ? `--control: port ${port} is in use (another run with --control?); give another ` +
              `(--control PORT) and reach it with cascade ctl --broker mqtt://127.0.0.1:PORT`
          : `--control: cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`,
      );
    }
    connector = new MqttConnector({ url: embedded.url, protocolVersion: 4, name: 'fireflies' });
    await connector.connect();
  }
  const url = embedded?.url ?? options.broker!;
  const runId = `fireflies-${process.pid}`;
  const constraints = new ConstraintSet();
  if (options.limit !== undefined) {
    constraints.set({ scope: 'global', kind: 'concurrency', limit: options.limit });
  }
  const shards = options.shards;
  const engine = shards === undefined ? new Engine({ constraints }) : undefined;
  let control: FireflyRunControl | undefined;
  let pausedByUs = false;
  const applyPause = (): void => {
    if (control === undefined) return;
    const paused = constraints
      .list()
      .some((c) => c.kind === 'pause' && FIREFLY_STEP_SCOPES.has(c.scope));
    if (paused && !control.paused) {
      control.pause();
      pausedByUs = true;
    } else if (!paused && pausedByUs) {
      pausedByUs = false;
      if (control.paused) control.resume();
    }
  };
  const publish = (type: string, data: unknown): void => {
    connector.publish(`${RUNS_PREFIX}/${runId}/events/${type}`, data).catch(() => {});
  };
  const off = constraints.events.on((e: ConstraintEvent) => {
    applyPause();
    publish('constraint', e);
    if (e.type !== 'ConstraintApplied' || e.constraint.kind === 'pause') return;
    if (
      shards !== undefined &&
      e.constraint.kind === 'concurrency' &&
      e.constraint.limit < shards &&
      FIREFLY_STEP_SCOPES.has(e.constraint.scope)
    ) {
      warn(
        `control: concurrency ${e.constraint.limit} is split between ${shards} shards, ` +
          `each of which runs at least one step at a time`,
      );
    }
  });
  await constraints.attach(connector).ready;
  const observer: FireflyRunObserver = {
    started(c) {
      control = c;
      const info = {
        pid: process.pid,
        width: c.width,
        height: c.height,
        agents: c.agents,
        clock: c.clockKind,
        seed: c.seed,
        workers: c.workers,
        startedAt: Date.now(),
      };
      connector
        .publish(`${RUNS_PREFIX}/${runId}/info`, info, { retain: true, qos: 1 })
        .catch(() => {});
      publish('started', info);
      applyPause();
    },
    sample(s) {
      publish('sample', s);
    },
    ended(outcome) {
      publish(
        'ended',
        'summary' in outcome
          ? { finalR: outcome.summary.finalR, flashes: outcome.summary.flashes }
          : {
              error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
            },
      );
    },
  };
  return {
    url,
    runId,
    engine,
    constraints,
    observer,
    async close() {
      off();
      constraints.close();
      await (connector as Connector)
        .publish(`${RUNS_PREFIX}/${runId}/info`, '', { retain: true, qos: 1 })
        .catch(() => {});
      await connector.disconnect();
      await embedded?.close();
    },
  };
}
