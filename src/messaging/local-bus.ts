/**
 * `LocalBus`: a {@link Connector} attached to an in-process {@link LocalBroker}. Several
 * LocalBus connectors on one broker talk to each other as MQTT clients of one server would.
 *
 * `publish` delivers synchronously and returns one shared, already-resolved promise: no
 * allocation per message. Errors of the caller (invalid topic, not connected) are thrown at
 * the call [CON-1] [CON-2].
 *
 * Invariants: those of the Connector contract, plus
 * - [LBUS-1] `disconnect()` removes every subscription this connector made (no leaked
 *   handlers or trie nodes); the connector can connect again.
 */
import type { Connector, MessageHandler, PublishOptions, Subscription } from './connector.js';
import { NotConnectedError, RESOLVED } from './connector.js';
import type { BrokerSubscription } from './local-broker.js';
import { LocalBroker, getDefaultBroker } from './local-broker.js';

/** Options of {@link LocalBus}. */
export interface LocalBusOptions {
  /** The broker to attach to; `getDefaultBroker()` if omitted. */
  broker?: LocalBroker;
  /** A name for failure events and errors (default `local-bus`). */
  name?: string;
}

class LocalSubscription implements Subscription {
  readonly ready: Promise<void> = RESOLVED;
  constructor(
    readonly owner: Set<LocalSubscription>,
    readonly broker: LocalBroker,
    readonly inner: BrokerSubscription,
  ) {}
  unsubscribe(): void {
    if (this.owner.delete(this)) this.broker.unsubscribe(this.inner);
  }
}

/**
 * An in-process connector.
 *
 * @example
 * ```ts
 * const broker = new LocalBroker();
 * const a = new LocalBus({ broker, name: 'a' });
 * const b = new LocalBus({ broker, name: 'b' });
 * await a.connect();
 * await b.connect();
 * b.subscribe('fireflies/+/flash', (topic, payload) => console.log(topic, payload));
 * void a.publish('fireflies/7/flash', { t: 12.5 });
 * ```
 */
export class LocalBus implements Connector {
  /** The broker this connector is attached to. */
  readonly broker: LocalBroker;
  /** The name used in failure events and errors. */
  readonly name: string;
  #connected = false;
  #subs = new Set<LocalSubscription>();

  constructor(options: LocalBusOptions = {}) {
    this.broker = options.broker ?? getDefaultBroker();
    this.name = options.name ?? 'local-bus';
  }

  /** True between `connect()` and `disconnect()`. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Number of live subscriptions made through this connector. */
  get subscriptionCount(): number {
    return this.#subs.size;
  }

  connect(): Promise<void> {
    this.#connected = true;
    return RESOLVED;
  }

  /** Remove every subscription of this connector and stop accepting calls. [LBUS-1] */
  disconnect(): Promise<void> {
    this.#connected = false;
    for (const s of this.#subs) this.broker.unsubscribe(s.inner);
    this.#subs.clear();
    return RESOLVED;
  }

  /** Deliver synchronously to every matching subscription. [CON-1] [CON-2] */
  publish(topic: string, payload: unknown, opts?: PublishOptions): Promise<void> {
    if (!this.#connected) throw new NotConnectedError(this.name, 'publish');
    this.broker.publish(topic, payload, opts !== undefined && opts.retain === true);
    return RESOLVED;
  }

  /** Subscribe; retained messages matching the pattern arrive before this returns. */
  subscribe(pattern: string, handler: MessageHandler): Subscription {
    if (!this.#connected) throw new NotConnectedError(this.name, 'subscribe');
    const inner = this.broker.subscribe(pattern, handler, this.name);
    const sub = new LocalSubscription(this.#subs, this.broker, inner);
    this.#subs.add(sub);
    return sub;
  }
}
