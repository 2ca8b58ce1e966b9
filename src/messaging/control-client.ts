/**
 * The control plane from outside a run: what `cascade ctl` and `cascade watch` do, as a
 * library. A {@link ControlClient} sends control commands as retained constraint messages,
 * reads the constraints in force from the broker's retained state, and follows the events
 * runs publish.
 *
 * Where a run is found: `--broker mqtt://HOST:PORT` names any broker; without it, a run
 * started with `--control` on this machine serves an embedded broker (Aedes) on
 * `mqtt://127.0.0.1:18830` ({@link DEFAULT_CONTROL_URL}). A fixed, well-known loopback port
 * needs no discovery file that could go stale when a run is killed, works for any user and
 * from containers sharing the host's network; a second `--control` run on the same machine is
 * told the port is taken and can pick another (`--control PORT`, then `--broker` for ctl).
 *
 * Topics:
 * - `cascade/constraints/<scope levels>/<kind>`: retained constraints (runtime/constraint.ts).
 * - `cascade/runs/<run>/info`: retained while a run is up (its parameters); cleared at its end.
 * - `cascade/runs/<run>/events/<type>`: a run's live events (`sample`, `constraint`, …).
 *
 * Invariants:
 * - [CCL-1] `send` publishes every message of a command at QoS 1 with retain and resolves when
 *   the broker has acknowledged them all; a command the model refuses throws before anything
 *   is sent.
 * - [CCL-2] `status` lists what the broker retains, minus what has expired by `expiresAt`
 *   (MQTT 3.1.1 brokers keep expired retained messages) and minus invalid payloads, which it
 *   reports apart.
 */
import {
  CONSTRAINT_PREFIX,
  controlMessages,
  parseConstraint,
  topicConstraint,
  type Constraint,
  type ControlCommand,
} from '../runtime/index.js';
import { MqttConnectError, MqttConnector } from './mqtt-connector.js';

/** The port of the broker a `--control` run serves on loopback. */
export const DEFAULT_CONTROL_PORT = 18830;
/** Where `cascade ctl` and `cascade watch` look without `--broker`. */
export const DEFAULT_CONTROL_URL = `mqtt://127.0.0.1:${DEFAULT_CONTROL_PORT}`;

/** The topic prefix of runs' announcements and events. */
export const RUNS_PREFIX = 'cascade/runs';

/** An event a run published, as `watch` sees it. */
export interface RunEvent {
  readonly run: string;
  readonly type: string;
  readonly data: unknown;
}

/** What {@link ControlClient.status} finds. */
export interface ControlStatus {
  readonly constraints: Constraint[];
  /** Retained constraints whose `expiresAt` has passed (ignored by runs). */
  readonly expired: Constraint[];
  /** Retained payloads that are not valid constraints (runs reject them). */
  readonly invalid: Array<{ topic: string; payload: unknown; reason: string }>;
  /** Runs that announce themselves, by id. */
  readonly runs: Record<string, unknown>;
}

/**
 * Connect to a broker with MQTT 5, or 3.1.1 when the broker refuses 5 (Aedes).
 *
 * @example
 * ```ts
 * const c = await connectMqtt({ url: 'mqtt://127.0.0.1:18830', name: 'ctl' });
 * ```
 */
export async function connectMqtt(options: {
  url: string;
  name?: string;
  connectTimeoutMs?: number;
}): Promise<MqttConnector> {
  const five = new MqttConnector({ ...options, protocolVersion: 5 });
  try {
    await five.connect();
    return five;
  } catch (error) {
    const reason = error instanceof MqttConnectError ? String(error.details.reason) : '';
    if (!/protocol version/i.test(reason)) throw error;
  }
  const four = new MqttConnector({ ...options, protocolVersion: 4 });
  await four.connect();
  return four;
}

/**
 * A controller's connection to the runs on a broker.
 *
 * @example
 * ```ts
 * const ctl = await ControlClient.connect(); // the --control run on this machine
 * await ctl.send({ type: 'pause', scope: 'global', ttlSeconds: 60 });
 * console.log((await ctl.status()).constraints);
 * await ctl.close();
 * ```
 */
export class ControlClient {
  readonly connector: MqttConnector;

  private constructor(connector: MqttConnector) {
    this.connector = connector;
  }

  /** Connect to `url` (default {@link DEFAULT_CONTROL_URL}); fails with MQTT_CONNECT_FAILED. */
  static async connect(url = DEFAULT_CONTROL_URL, name = 'ctl'): Promise<ControlClient> {
    return new ControlClient(await connectMqtt({ url, name, connectTimeoutMs: 3000 }));
  }

  /** Publish a command's constraint messages (retained, QoS 1). [CCL-1] */
  async send(cmd: ControlCommand, now = Date.now()): Promise<void> {
    const messages = controlMessages(cmd, now); // throws before anything is sent
    await Promise.all(
      messages.map((m) =>
        this.connector.publish(m.topic, m.payload, {
          retain: true,
          qos: 1,
          ...(m.expirySeconds !== undefined && { expirySeconds: m.expirySeconds }),
        }),
      ),
    );
  }

  /**
   * The constraints the broker retains now, and the runs announced. Retained messages arrive
   * after the SUBACK; it waits until none has come for `quietMs` (default 150). [CCL-2]
   */
  async status(quietMs = 150, now = Date.now): Promise<ControlStatus> {
    const constraints: Constraint[] = [];
    const expired: Constraint[] = [];
    const invalid: ControlStatus['invalid'] = [];
    const runs: Record<string, unknown> = {};
    let last = Date.now();
    const onConstraint = (topic: string, payload: unknown): void => {
      last = Date.now();
      const target = topicConstraint(topic);
      if (target === null || payload === '') return;
      try {
        const c = parseConstraint(target.scope, target.kind, payload);
        if (c.expiresAt !== undefined && c.expiresAt <= now()) expired.push(c);
        else constraints.push(c);
      } catch (e) {
        invalid.push({ topic, payload, reason: (e as Error).message });
      }
    };
    const subs = [
      this.connector.subscribe(`${CONSTRAINT_PREFIX}/#`, onConstraint),
      this.connector.subscribe(`${RUNS_PREFIX}/+/info`, (topic, payload) => {
        last = Date.now();
        if (payload !== '') runs[topic.split('/')[2]] = payload;
      }),
    ];
    try {
      await Promise.all(subs.map((s) => s.ready ?? Promise.resolve()));
      last = Date.now();
      while (Date.now() - last < quietMs) {
        await new Promise((r) => setTimeout(r, Math.max(5, quietMs - (Date.now() - last))));
      }
    } finally {
      for (const s of subs) s.unsubscribe();
    }
    const order = (a: Constraint, b: Constraint): number =>
      a.scope.localeCompare(b.scope) || a.kind.localeCompare(b.kind);
    return { constraints: constraints.sort(order), expired: expired.sort(order), invalid, runs };
  }

  /**
   * Follow every run's events and every constraint change; returns a function that stops.
   *
   * @example
   * ```ts
   * const stop = ctl.watch((e) => console.log(e.run, e.type, e.data));
   * ```
   */
  watch(onEvent: (e: RunEvent) => void): { ready: Promise<void>; stop: () => void } {
    const subs = [
      this.connector.subscribe(`${RUNS_PREFIX}/+/events/#`, (topic, data) => {
        const levels = topic.split('/');
        onEvent({ run: levels[2], type: levels.slice(4).join('/'), data });
      }),
      this.connector.subscribe(`${CONSTRAINT_PREFIX}/#`, (topic, data) => {
        onEvent({
          run: '*',
          type: `constraint ${topic.slice(CONSTRAINT_PREFIX.length + 1)}`,
          data,
        });
      }),
    ];
    return {
      ready: Promise.all(subs.map((s) => s.ready ?? Promise.resolve())).then(() => undefined),
      stop: () => {
        for (const s of subs) s.unsubscribe();
      },
    };
  }

  async close(): Promise<void> {
    await this.connector.disconnect();
  }
}
