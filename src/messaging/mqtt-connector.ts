/**
 * `MqttConnector`: the {@link Connector} contract over a real MQTT broker (Mosquitto, EMQX,
 * Aedes), on the `mqtt` client. Payloads go through a {@link PayloadCodec} (JSON by default,
 * byte arrays untouched, empty payloads as zero bytes, which clear a retained message).
 *
 * One broker subscription per distinct pattern; every `subscribe()` on that pattern adds a
 * handler to it. On MQTT 5 each broker subscription carries a subscription identifier and a
 * message is dispatched to the handlers of the identifiers it arrives with, so overlapping
 * patterns are exact whether the broker sends one copy per matching subscription (Mosquitto)
 * or one copy in all. On MQTT 3.1.1 (Aedes) there are no identifiers: a message goes to every
 * matching pattern's handlers (both brokers measured here send one copy per client), and a
 * retained message, which on 3.1.1 only arrives in answer to a SUBSCRIBE, goes to the pattern
 * whose SUBACK came last (brokers answer a SUBSCRIBE with SUBACK then its retained messages).
 *
 * Invariants: those of the Connector contract, plus
 * - [MQC-1] A message reaches each subscription once, in the order the broker sent it.
 * - [MQC-2] A second `subscribe()` on a pattern already subscribed gets the retained messages
 *   of that pattern from a cache the connector keeps per pattern (brokers measured here do not
 *   resend retained messages for a SUBSCRIBE that repeats a filter). On MQTT 5 subscriptions
 *   use retain-as-published, so the cache follows live retained publishes; on 3.1.1 a live
 *   message on a cached topic drops it from the cache (it may or may not have been retained).
 * - [MQC-3] After the connection is lost, the client reconnects (every `reconnectMs`),
 *   subscribes every pattern again and so receives the retained state again.
 * - [MQC-4] While the connection is down, `publish` buffers at most `offlineLimit` messages,
 *   sent in order on reconnect; past the limit the oldest is dropped and its promise rejects
 *   with OFFLINE_BUFFER_FULL. Both are counted in `stats`.
 * - [MQC-6] On 3.1.1, Aedes streams a subscription's retained messages after its SUBACK while
 *   it goes on forwarding live ones, so a live message can overtake them. Order is kept per
 *   topic: a retained message arriving after a live one on its topic (within 2 s of the
 *   SUBACK) is older, and is dropped. Across topics, retained-before-live [CON-4] holds on
 *   Mosquitto, not on Aedes.
 * - [MQC-5] `connect()` fails at once with MQTT_CONNECT_FAILED when the first attempt fails
 *   (refused, timed out, rejected CONNACK); it never retries silently.
 */
import { connect as mqttConnect } from 'mqtt';
import type { IClientOptions, IClientPublishOptions, IPublishPacket, MqttClient } from 'mqtt';
import { CascadeError, ClosedError, ErrorCode, InvalidArgumentError } from '../errors.js';
import { EventBus } from '../runtime/event-bus.js';
import type {
  Connector,
  MessageHandler,
  MessagingEvent,
  PublishOptions,
  Subscription,
} from './connector.js';
import { NotConnectedError } from './connector.js';
import { jsonCodec, type PayloadCodec } from './payload-codec.js';
import { isEmptyPayload } from './retained-store.js';
import { TopicTrie } from './topic-trie.js';
import { validatePattern, validateTopic } from './topic.js';

/** Options of {@link MqttConnector}. */
export interface MqttConnectorOptions {
  /** The broker, `mqtt://HOST:PORT` (also `mqtts://`, `ws://`). */
  url: string;
  /** MQTT protocol version: 5 (default) or 4 (3.1.1, e.g. for Aedes). */
  protocolVersion?: 4 | 5;
  /** Name in failure events and errors (default `mqtt`). */
  name?: string;
  /** MQTT client identifier (default `cascade-<name>-<random>`). */
  clientId?: string;
  /** Payload codec (default {@link jsonCodec}). */
  codec?: PayloadCodec;
  /** Where handler failures and connection changes are reported; a new EventBus if omitted. */
  bus?: EventBus<MessagingEvent>;
  /** Messages kept while the connection is down (default 10,000). [MQC-4] */
  offlineLimit?: number;
  /** Wait between reconnection attempts, ms (default 500). [MQC-3] */
  reconnectMs?: number;
  /** Time allowed for the first connection, ms (default 5,000). [MQC-5] */
  connectTimeoutMs?: number;
  /** QoS of the broker subscriptions: the highest QoS messages are delivered at (default 1). */
  subscribeQos?: 0 | 1 | 2;
  /** Username and password, if the broker asks for them. */
  username?: string;
  password?: string;
  /**
   * The last will: what the broker publishes for this client when its connection ends without
   * a DISCONNECT (the process was killed, the network went away). An empty payload with
   * `retain` clears the topic's retained message.
   */
  will?: { topic: string; payload: Uint8Array | string; qos?: 0 | 1; retain?: boolean };
  /** Seconds between keep-alive pings (default 60); the broker gives up after 1.5 times it. */
  keepaliveSeconds?: number;
}

/** Counters of an {@link MqttConnector}. */
export interface MqttConnectorStats {
  /** Messages handed to the client (sent, or buffered while offline). */
  published: number;
  /** Messages received from the broker (each copy counts once). */
  received: number;
  /** Messages buffered now because the connection is down. [MQC-4] */
  offlineBuffered: number;
  /** Messages dropped from a full offline buffer. [MQC-4] */
  offlineDropped: number;
  /** Times the connection was re-established. [MQC-3] */
  reconnects: number;
}

/**
 * `connect()` could not reach the broker, or the broker refused the connection. [MQC-5]
 *
 * @example
 * ```ts
 * try { await new MqttConnector({ url: 'mqtt://127.0.0.1:1' }).connect(); }
 * catch (e) { (e as MqttConnectError).code; } // CASCADE_ERR_MQTT_CONNECT_FAILED
 * ```
 */
export class MqttConnectError extends CascadeError {
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(
      ErrorCode.MQTT_CONNECT_FAILED,
      `cannot connect to MQTT broker ${url}: ${reason}`,
      { url, reason },
      options,
    );
  }
}

/**
 * A message was dropped from a full offline buffer before the connection came back. [MQC-4]
 *
 * @example
 * ```ts
 * connector.publish('a', 1).catch((e) => (e as OfflineBufferFullError).details.topic);
 * ```
 */
export class OfflineBufferFullError extends CascadeError {
  constructor(connector: string, topic: string, limit: number) {
    super(
      ErrorCode.OFFLINE_BUFFER_FULL,
      `connector ${connector} dropped a message to ${topic}: the offline buffer holds ${limit}`,
      { connector, topic, limit },
    );
  }
}

/** One broker subscription: a distinct pattern and the handlers on it. */
class PatternEntry {
  readonly handlers: MqttSubscription[] = [];
  /** Retained messages of this pattern seen so far, by topic. [MQC-2] */
  readonly retained = new Map<string, unknown>();
  /** Order of the last SUBACK (3.1.1 retained dispatch); 0 before the first. */
  ackSeq = 0;
  /** When the last SUBACK came (3.1.1: live topics are noted for a while after it). [MQC-6] */
  ackAt = 0;
  /** 3.1.1: topics a live message arrived on since the last SUBACK. [MQC-6] */
  readonly liveSeen = new Set<string>();
  ready: Promise<void>;
  settle: (error?: Error) => void = () => {};
  constructor(
    readonly pattern: string,
    readonly id: number,
  ) {
    this.ready = this.#fresh();
  }
  #fresh(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    p.catch(() => {}); // awaited by callers who care; never an unhandled rejection
    return p;
  }
}

class MqttSubscription implements Subscription {
  active = true;
  constructor(
    readonly connector: MqttConnector,
    readonly entry: PatternEntry,
    readonly handler: MessageHandler,
  ) {}
  get ready(): Promise<void> {
    return this.entry.ready;
  }
  unsubscribe(): void {
    if (!this.active) return;
    this.active = false;
    this.connector._drop(this);
  }
}

interface Pending {
  topic: string;
  bytes: Buffer;
  opts: IClientPublishOptions;
  resolve: () => void;
  reject: (e: Error) => void;
}

const MAX_SUBSCRIPTION_ID = 268_435_455;
/** 3.1.1: how long after a SUBACK live topics are noted, and how many at most. [MQC-6] */
const FRESH_MS = 2000;
const FRESH_TOPICS = 10_000;

/**
 * A connector to a real MQTT broker.
 *
 * @example
 * ```ts
 * const mqtt = new MqttConnector({ url: 'mqtt://127.0.0.1:1883' });
 * await mqtt.connect();
 * await mqtt.subscribe('cascade/constraints/#', (topic, c) => console.log(topic, c)).ready;
 * await mqtt.publish('cascade/constraints/global', { kind: 'pause' }, { retain: true, qos: 1 });
 * await mqtt.disconnect();
 * ```
 */
export class MqttConnector implements Connector {
  /** The broker URL. */
  readonly url: string;
  /** The name used in failure events and errors. */
  readonly name: string;
  /** MQTT protocol version in use. */
  readonly protocolVersion: 4 | 5;
  /** Handler failures and connection changes are reported here. */
  readonly events: EventBus<MessagingEvent>;
  #codec: PayloadCodec;
  #clientOptions: IClientOptions;
  #offlineLimit: number;
  #connectTimeoutMs: number;
  #subscribeQos: 0 | 1 | 2;
  #client: MqttClient | null = null;
  #connected = false;
  #up = false;
  #entries = new Map<string, PatternEntry>();
  #byId = new Map<number, PatternEntry>();
  #trie = new TopicTrie<PatternEntry>();
  #nextId = 1;
  #ackSeq = 0;
  #offline: Pending[] = [];
  #stats: MqttConnectorStats = {
    published: 0,
    received: 0,
    offlineBuffered: 0,
    offlineDropped: 0,
    reconnects: 0,
  };

  constructor(options: MqttConnectorOptions) {
    this.url = options.url;
    if (!/^(mqtts?|wss?|tcp|ssl):\/\/[^/]/.test(this.url)) {
      throw new InvalidArgumentError(
        'url',
        this.url,
        'must be a broker URL such as mqtt://HOST:PORT (mqtt, mqtts, ws, wss, tcp or ssl)',
      );
    }
    this.name = options.name ?? 'mqtt';
    this.protocolVersion = options.protocolVersion ?? 5;
    if (this.protocolVersion !== 4 && this.protocolVersion !== 5) {
      throw new InvalidArgumentError('protocolVersion', this.protocolVersion, 'must be 4 or 5');
    }
    this.#codec = options.codec ?? jsonCodec;
    this.events = options.bus ?? new EventBus<MessagingEvent>();
    this.#offlineLimit = positiveInt('offlineLimit', options.offlineLimit ?? 10_000);
    this.#connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs ?? 5000);
    this.#subscribeQos = options.subscribeQos ?? 1;
    const reconnectMs = positiveInt('reconnectMs', options.reconnectMs ?? 500);
    this.#clientOptions = {
      protocolVersion: this.protocolVersion,
      clientId:
        options.clientId ?? `cascade-${this.name}-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      resubscribe: false, // [MQC-3] done here, with subscription identifiers
      reconnectPeriod: reconnectMs,
      connectTimeout: this.#connectTimeoutMs,
      queueQoSZero: false, // [MQC-4] the offline buffer is ours, bounded
      username: options.username,
      password: options.password,
      keepalive: positiveInt('keepaliveSeconds', options.keepaliveSeconds ?? 60),
    };
    const will = options.will;
    if (will !== undefined) {
      validateTopic(will.topic);
      const payload = will.payload;
      this.#clientOptions.will = {
        topic: will.topic,
        payload: typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload),
        qos: will.qos ?? 0,
        retain: will.retain === true,
      };
    }
  }

  /** True between `connect()` and `disconnect()` (also while reconnecting). */
  get connected(): boolean {
    return this.#connected;
  }

  /** True while the connection to the broker is up. */
  get online(): boolean {
    return this.#client?.connected ?? false;
  }

  /** A snapshot of the counters. */
  get stats(): MqttConnectorStats {
    return { ...this.#stats, offlineBuffered: this.#offline.length };
  }

  /** Connect; rejects with MqttConnectError if the first attempt fails. [MQC-5] */
  async connect(): Promise<void> {
    if (this.#connected) return;
    const client = mqttConnect(this.url, this.#clientOptions);
    await new Promise<void>((resolve, reject) => {
      const fail = (reason: string, cause?: unknown): void => {
        clearTimeout(timer);
        client.removeListener('connect', ok);
        client.removeListener('error', onError);
        client.removeListener('close', onClose);
        client.end(true);
        reject(new MqttConnectError(this.url, reason, { cause }));
      };
      const ok = (): void => {
        clearTimeout(timer);
        client.removeListener('error', onError);
        client.removeListener('close', onClose);
        resolve();
      };
      const onError = (e: Error): void => fail(e.message, e);
      const onClose = (): void => fail('connection refused or closed');
      const timer = setTimeout(
        () => fail(`no CONNACK within ${this.#connectTimeoutMs} ms`),
        this.#connectTimeoutMs,
      );
      client.once('connect', ok);
      client.once('error', onError);
      client.once('close', onClose);
    });
    this.#client = client;
    this.#connected = true;
    noDelay(client);
    client.on('connect', () => noDelay(client));
    client.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
    client.on('connect', () => this.#onReconnect());
    this.#up = true;
    client.on('close', () => {
      // One 'lost' per outage, however many reconnection attempts fail.
      if (this.#connected && this.#up) this.events.emit(connectionEvent(this.name, 'lost'));
      this.#up = false;
    });
    client.on('error', () => {}); // reported through 'close'; reconnection follows [MQC-3]
  }

  /** Close the connection; buffered messages reject with CLOSED. [CON-6] */
  async disconnect(): Promise<void> {
    if (!this.#connected) return;
    this.#connected = false;
    const client = this.#client;
    this.#client = null;
    for (const entry of this.#entries.values()) {
      for (const sub of entry.handlers) sub.active = false;
    }
    this.#entries.clear();
    this.#byId.clear();
    this.#trie = new TopicTrie<PatternEntry>();
    const pending = this.#offline;
    this.#offline = [];
    for (const p of pending) p.reject(new ClosedError('connector', this.name));
    if (client !== null) await client.endAsync(!client.connected);
  }

  publish(topic: string, payload: unknown, opts?: PublishOptions): Promise<void> {
    if (!this.#connected) throw new NotConnectedError(this.name, 'publish'); // [CON-1]
    validateTopic(topic); // [CON-2]
    const encoded = this.#codec.encode(payload);
    const o: IClientPublishOptions = { qos: opts?.qos ?? 0, retain: opts?.retain === true };
    if (this.protocolVersion === 5) {
      const properties: NonNullable<IClientPublishOptions['properties']> = {};
      if (encoded.contentType !== undefined) properties.contentType = encoded.contentType;
      if (opts?.expirySeconds !== undefined) {
        properties.messageExpiryInterval = Math.max(1, Math.ceil(opts.expirySeconds));
      }
      o.properties = properties;
    }
    const b = encoded.bytes;
    const bytes = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    this.#stats.published++;
    const client = this.#client;
    if (client === null || !client.connected) return this.#buffer(topic, bytes, o);
    return new Promise<void>((resolve, reject) => {
      client.publish(topic, bytes, o, (error) => (error ? reject(error) : resolve()));
    });
  }

  subscribe(pattern: string, handler: MessageHandler): Subscription {
    if (!this.#connected) throw new NotConnectedError(this.name, 'subscribe'); // [CON-1]
    validatePattern(pattern); // [CON-2]
    let entry = this.#entries.get(pattern);
    const fresh = entry === undefined;
    if (entry === undefined) {
      if (this.#nextId > MAX_SUBSCRIPTION_ID) this.#nextId = 1;
      entry = new PatternEntry(pattern, this.#nextId++);
      this.#entries.set(pattern, entry);
      this.#byId.set(entry.id, entry);
      this.#trie.add(pattern, entry);
    }
    const sub = new MqttSubscription(this, entry, handler);
    entry.handlers.push(sub);
    if (fresh) this.#sendSubscribe(entry);
    else for (const [topic, payload] of entry.retained) this.#call(sub, topic, payload); // [MQC-2]
    return sub;
  }

  /** @internal Called by a subscription's `unsubscribe()`. [CON-6] */
  _drop(sub: MqttSubscription): void {
    const entry = sub.entry;
    const i = entry.handlers.indexOf(sub);
    if (i >= 0) entry.handlers.splice(i, 1);
    if (entry.handlers.length > 0 || this.#entries.get(entry.pattern) !== entry) return;
    this.#entries.delete(entry.pattern);
    this.#byId.delete(entry.id);
    this.#trie.remove(entry.pattern, entry);
    if (this.#client?.connected === true) this.#client.unsubscribe(entry.pattern);
  }

  #sendSubscribe(entry: PatternEntry): void {
    const client = this.#client;
    if (client === null || !client.connected) return; // sent again on reconnect [MQC-3]
    const opts: Parameters<MqttClient['subscribe']>[1] = { qos: this.#subscribeQos };
    if (this.protocolVersion === 5) {
      opts.rap = true; // [MQC-2] live retained publishes keep their flag
      opts.properties = { subscriptionIdentifier: entry.id };
    }
    client.subscribe(entry.pattern, opts, (error, granted) => {
      const code = granted?.[0]?.qos ?? 0;
      if (error === null && code < 0x80) {
        entry.ackSeq = ++this.#ackSeq;
        entry.ackAt = Date.now();
        entry.liveSeen.clear();
        entry.settle();
        return;
      }
      const failure = error ?? new Error(`broker refused the subscription (reason ${code})`);
      this.events.emit({
        type: 'SubscribeFailed',
        connector: this.name,
        pattern: entry.pattern,
        error: failure,
      });
      entry.settle(failure);
    });
  }

  #onReconnect(): void {
    if (!this.#connected) return;
    this.#up = true;
    this.#stats.reconnects++;
    this.events.emit(connectionEvent(this.name, 'reconnected'));
    for (const entry of this.#entries.values()) {
      entry.retained.clear(); // the broker sends the retained state again [MQC-3]
      this.#sendSubscribe(entry);
    }
    const pending = this.#offline;
    this.#offline = [];
    const client = this.#client;
    if (client === null) return;
    for (const p of pending) {
      client.publish(p.topic, p.bytes, p.opts, (error) => (error ? p.reject(error) : p.resolve()));
    }
  }

  #buffer(topic: string, bytes: Buffer, opts: IClientPublishOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#offline.length >= this.#offlineLimit) {
        const oldest = this.#offline.shift() as Pending; // [MQC-4]
        this.#stats.offlineDropped++;
        oldest.reject(new OfflineBufferFullError(this.name, oldest.topic, this.#offlineLimit));
      }
      this.#offline.push({ topic, bytes, opts, resolve, reject });
    });
  }

  #onMessage(topic: string, raw: Buffer, packet: IPublishPacket): void {
    if (!this.#connected) return;
    this.#stats.received++;
    const props = packet.properties;
    const payload = this.#codec.decode(raw, props?.contentType, this.protocolVersion);
    const retained = packet.retain;
    if (this.protocolVersion === 5) {
      const ids = props?.subscriptionIdentifier;
      if (typeof ids === 'number') {
        this.#deliver(this.#byId.get(ids), topic, payload, retained);
        return;
      }
      if (Array.isArray(ids)) {
        for (const id of ids) this.#deliver(this.#byId.get(id), topic, payload, retained);
        return;
      }
      // a broker that left the identifiers out: match by pattern, as on 3.1.1
    }
    const matches = this.#trie.match(topic);
    if (retained) {
      // 3.1.1: a retained message answers the last SUBSCRIBE that matches it.
      let last: PatternEntry | undefined;
      for (const m of matches) if (last === undefined || m.ackSeq > last.ackSeq) last = m;
      if (last?.liveSeen.has(topic) === true) return; // [MQC-6] older than what was delivered
      this.#deliver(last, topic, payload, true);
      return;
    }
    matches.sort(byId);
    const now = Date.now();
    for (const m of matches) {
      m.retained.delete(topic); // [MQC-2] may or may not have been retained
      if (now - m.ackAt < FRESH_MS && m.liveSeen.size < FRESH_TOPICS) m.liveSeen.add(topic);
      this.#deliver(m, topic, payload, false);
    }
  }

  #deliver(
    entry: PatternEntry | undefined,
    topic: string,
    payload: unknown,
    retained: boolean,
  ): void {
    if (entry === undefined) return; // unsubscribed meanwhile [CON-6]
    if (retained) {
      if (isEmptyPayload(payload)) entry.retained.delete(topic);
      else entry.retained.set(topic, payload);
    }
    const handlers = entry.handlers;
    for (let i = 0; i < handlers.length; i++) this.#call(handlers[i], topic, payload);
  }

  #call(sub: MqttSubscription, topic: string, payload: unknown): void {
    if (!sub.active) return; // [CON-6]
    try {
      const r = sub.handler(topic, payload);
      if (r !== undefined) {
        r.then(undefined, (error: unknown) => this.#report(sub, topic, error));
      }
    } catch (error) {
      this.#report(sub, topic, error); // [CON-5]
    }
  }

  #report(sub: MqttSubscription, topic: string, error: unknown): void {
    this.events.emit({
      type: 'HandlerFailed',
      connector: this.name,
      pattern: sub.entry.pattern,
      topic,
      error,
    });
  }
}

function byId(a: PatternEntry, b: PatternEntry): number {
  return a.id - b.id;
}

function connectionEvent(connector: string, state: 'lost' | 'reconnected'): MessagingEvent {
  return { type: 'ConnectionChanged', connector, state };
}

/**
 * Send small packets at once (no Nagle): a QoS 1 publish waits for its PUBACK, and a request
 * waits for its answer; with Nagle and delayed ACKs each can wait up to 40 ms on loopback.
 */
function noDelay(client: MqttClient): void {
  const stream = client.stream as { setNoDelay?: (on: boolean) => void } | undefined;
  stream?.setNoDelay?.(true);
}

function positiveInt(option: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(option, value, 'must be a positive integer');
  }
  return value;
}
