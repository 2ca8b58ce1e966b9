/**
 * The worker uplink: a {@link Connector} for code running in a worker thread, bridged to a
 * connector (usually a LocalBus) in the main thread over a dedicated `MessagePort`.
 *
 * Up (worker -> main): `publish` appends to a batch that is posted when it is full or on the
 * next turn of the event loop. The main side (`bridgeUplink`) publishes each message on its
 * connector, in order, then acknowledges the batch. Messages posted but not yet acknowledged
 * are "in flight"; when in-flight plus batched messages reach `maxInFlight` the port counts
 * as saturated and `publish` drops the message and counts it: telemetry never builds an
 * unbounded queue between threads.
 * Down (main -> worker): `subscribe` asks the bridge to subscribe on the main connector;
 * matching messages (control commands, the worker's own topics) are posted down.
 *
 * Invariants:
 * - [UPL-1] Messages a worker publishes reach the main connector in publish order.
 * - [UPL-2] Every publish is either delivered or counted in `stats.dropped`, exactly.
 * - [UPL-3] A subscription's `ready` resolves once the bridge subscribed: messages published
 *   after it (by anyone) reach it; retained messages arrive before live ones [CON-4].
 * - [UPL-4] Bad input from the port (an unknown message, a bad topic) is counted and
 *   reported on the event bus, never thrown into the event loop; a message that breaks the
 *   wire protocol is reported as a ProtocolError (CASCADE_ERR_UNKNOWN_MESSAGE or
 *   CASCADE_ERR_INVALID_MESSAGE).
 * - [UPL-5] A subscription the main side refuses or fails rejects `ready` with a
 *   SubscribeRefusedError (code CASCADE_ERR_SUBSCRIBE_REFUSED, the main side's error code in
 *   `details.remoteCode` when it had one), also reported as a SubscribeFailed event.
 *
 * Wire messages (structured clone): up `batch | sub | unsub | bye`, down `ack | suback |
 * subfail | msg | closed`.
 */
import type { MessagePort } from 'node:worker_threads';
import {
  ClosedError,
  ErrorCode,
  InvalidArgumentError,
  ProtocolError,
  SubscribeRefusedError,
} from '../errors.js';
import { EventBus } from '../runtime/event-bus.js';
import type {
  Connector,
  MessageHandler,
  MessagingEvent,
  PublishOptions,
  Subscription,
} from './connector.js';
import { NotConnectedError, RESOLVED } from './connector.js';
import { validatePattern, validateTopic } from './topic.js';

type UpMessage =
  | { type: 'batch'; topics: string[]; payloads: unknown[]; retain: number[] }
  | { type: 'sub'; id: number; pattern: string }
  | { type: 'unsub'; id: number }
  | { type: 'bye' };

type DownMessage =
  | { type: 'ack'; count: number }
  | { type: 'suback'; id: number }
  | { type: 'subfail'; id: number; message: string; code?: string }
  | { type: 'msg'; id: number; topic: string; payload: unknown }
  | { type: 'closed' };

/** Options of {@link IpcUplinkConnector}. */
export interface IpcUplinkOptions {
  /** The worker's end of a MessageChannel whose other end is given to `bridgeUplink`. */
  port: MessagePort;
  /** Name in failure events and errors (default `uplink`). */
  name?: string;
  /** Where handler failures are reported; a new EventBus if omitted. */
  events?: EventBus<MessagingEvent>;
  /** Messages per posted batch (default 256). */
  batchSize?: number;
  /** Un-acknowledged plus batched messages at which publish starts dropping (default 8192). */
  maxInFlight?: number;
}

/** Counters of an uplink. [UPL-2] */
export interface UplinkStats {
  /** Messages accepted by `publish` (posted or batched). */
  readonly published: number;
  /** Messages dropped because the port was saturated, or not cloneable. */
  readonly dropped: number;
  /** Batches posted. */
  readonly batches: number;
  /** Messages posted and not yet acknowledged. */
  readonly inFlight: number;
}

interface WorkerSub {
  pattern: string;
  handler: MessageHandler;
  resolveReady: () => void;
  rejectReady: (e: unknown) => void;
}

class UplinkSubscription implements Subscription {
  constructor(
    readonly ready: Promise<void>,
    readonly off: () => void,
  ) {}
  unsubscribe(): void {
    this.off();
  }
}

/**
 * The worker-side connector of the uplink.
 *
 * @example
 * ```ts
 * // worker.ts
 * import { workerData } from 'node:worker_threads';
 * const uplink = new IpcUplinkConnector({ port: workerData.port });
 * await uplink.connect();
 * uplink.subscribe('control/#', (topic, cmd) => console.log('command', topic, cmd));
 * void uplink.publish('telemetry/shard-1', { flashes: 42 });
 * await uplink.flush(); // everything published so far reached the main thread
 * ```
 */
export class IpcUplinkConnector implements Connector {
  readonly name: string;
  readonly events: EventBus<MessagingEvent>;
  readonly batchSize: number;
  readonly maxInFlight: number;
  #port: MessagePort;
  #connected = false;
  #portClosed = false;
  #topics: string[] = [];
  #payloads: unknown[] = [];
  #retain: number[] = [];
  #scheduled = false;
  #inFlight = 0;
  #published = 0;
  #dropped = 0;
  #batches = 0;
  #nextId = 1;
  #subs = new Map<number, WorkerSub>();
  #flushWaiters: Array<() => void> = [];
  #onMessage = (m: unknown): void => this.#receive(m as DownMessage);
  #onClose = (): void => this.#closedByPeer();
  #flushSoon = (): void => {
    this.#scheduled = false;
    this.#post();
  };

  constructor(options: IpcUplinkOptions) {
    const { port, name = 'uplink', events, batchSize = 256, maxInFlight = 8192 } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidArgumentError('batchSize', batchSize, 'must be an integer >= 1');
    }
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new InvalidArgumentError('maxInFlight', maxInFlight, 'must be an integer >= 1');
    }
    this.#port = port;
    this.name = name;
    this.events = events ?? new EventBus<MessagingEvent>();
    this.batchSize = batchSize;
    this.maxInFlight = maxInFlight;
  }

  /** A snapshot of the counters. */
  get stats(): UplinkStats {
    return {
      published: this.#published,
      dropped: this.#dropped,
      batches: this.#batches,
      inFlight: this.#inFlight,
    };
  }

  connect(): Promise<void> {
    if (this.#portClosed) return Promise.reject(new ClosedError('uplink port', this.name));
    if (this.#connected) return RESOLVED;
    this.#connected = true;
    this.#port.on('message', this.#onMessage);
    this.#port.on('close', this.#onClose);
    return RESOLVED;
  }

  /**
   * Post what is batched, end every subscription, wait until the main side acknowledged
   * everything published, then stop listening (which lets the worker exit).
   */
  async disconnect(): Promise<void> {
    if (!this.#connected) return;
    this.#connected = false;
    this.#post();
    for (const [id, sub] of this.#subs) {
      sub.resolveReady();
      this.#send({ type: 'unsub', id });
    }
    this.#subs.clear();
    this.#send({ type: 'bye' });
    await this.flush();
    if (!this.#connected) {
      this.#port.off('message', this.#onMessage);
      this.#port.off('close', this.#onClose);
    }
  }

  /**
   * Accept a message for the main thread; drops and counts it when the port is saturated.
   * [UPL-2] Resolves at once (fire-and-forget); use {@link flush} to wait for delivery.
   */
  publish(topic: string, payload: unknown, opts?: PublishOptions): Promise<void> {
    if (!this.#connected) throw new NotConnectedError(this.name, 'publish');
    validateTopic(topic);
    const batched = this.#topics.length;
    if (this.#inFlight + batched >= this.maxInFlight) {
      this.#dropped++;
      return RESOLVED;
    }
    this.#published++;
    this.#topics.push(topic);
    this.#payloads.push(payload);
    if (opts !== undefined && opts.retain === true) this.#retain.push(batched);
    if (batched + 1 >= this.batchSize) this.#post();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushSoon);
    }
    return RESOLVED;
  }

  /** Subscribe on the main connector; matching messages are posted down to this worker. */
  subscribe(pattern: string, handler: MessageHandler): Subscription {
    if (!this.#connected) throw new NotConnectedError(this.name, 'subscribe');
    validatePattern(pattern);
    const id = this.#nextId++;
    let resolveReady!: () => void;
    let rejectReady!: (e: unknown) => void;
    const ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    ready.catch(() => {}); // reported as SubscribeFailed; awaiting it still sees the error
    this.#subs.set(id, { pattern, handler, resolveReady, rejectReady });
    this.#post(); // messages published before subscribe stay before it [UPL-1]
    this.#send({ type: 'sub', id, pattern });
    return new UplinkSubscription(ready, () => {
      const sub = this.#subs.get(id);
      if (sub === undefined) return;
      this.#subs.delete(id);
      sub.resolveReady();
      if (this.#connected) this.#send({ type: 'unsub', id });
    });
  }

  /** Post what is batched and resolve when the main side acknowledged everything. */
  flush(): Promise<void> {
    this.#post();
    if (this.#inFlight === 0 || this.#portClosed) return RESOLVED;
    return new Promise((resolve) => this.#flushWaiters.push(resolve));
  }

  #post(): void {
    const n = this.#topics.length;
    if (n === 0) return;
    const topics = this.#topics;
    const payloads = this.#payloads;
    const retain = this.#retain;
    this.#topics = [];
    this.#payloads = [];
    this.#retain = [];
    if (this.#portClosed) {
      this.#dropped += n;
      this.#published -= n;
      return;
    }
    try {
      this.#port.postMessage({ type: 'batch', topics, payloads, retain } satisfies UpMessage);
      this.#inFlight += n;
      this.#batches++;
    } catch {
      // A payload that cannot be cloned: post one by one so only the bad ones are lost.
      for (let i = 0; i < n; i++) {
        const r = retain.includes(i) ? [0] : [];
        try {
          this.#port.postMessage({
            type: 'batch',
            topics: [topics[i]],
            payloads: [payloads[i]],
            retain: r,
          } satisfies UpMessage);
          this.#inFlight++;
          this.#batches++;
        } catch (error) {
          this.#published--;
          this.#dropped++;
          this.events.emit({
            type: 'PublishFailed',
            connector: this.name,
            topic: topics[i],
            error,
          });
        }
      }
    }
  }

  #send(m: UpMessage): void {
    if (!this.#portClosed) this.#port.postMessage(m);
  }

  #receive(m: DownMessage): void {
    switch (m.type) {
      case 'ack':
        this.#inFlight -= m.count;
        if (this.#inFlight <= 0) {
          this.#inFlight = 0;
          this.#wakeFlushWaiters();
        }
        return;
      case 'suback':
        this.#subs.get(m.id)?.resolveReady();
        return;
      case 'subfail': {
        const sub = this.#subs.get(m.id);
        if (sub === undefined) return;
        this.#subs.delete(m.id);
        // [UPL-5] a typed error with a code; the main side's own code, if any, comes along
        const error = new SubscribeRefusedError(this.name, sub.pattern, m.message, m.code);
        this.events.emit({
          type: 'SubscribeFailed',
          connector: this.name,
          pattern: sub.pattern,
          error,
        });
        sub.rejectReady(error);
        return;
      }
      case 'msg': {
        const sub = this.#subs.get(m.id);
        if (sub !== undefined) this.#call(sub, m.topic, m.payload);
        return;
      }
      case 'closed':
        this.#closedByPeer();
        return;
      default:
        // [UPL-4] a main side of another version, or a stray post on the port
        this.events.emit({
          type: 'PublishFailed',
          connector: this.name,
          topic: '',
          error: new ProtocolError(
            ErrorCode.UNKNOWN_MESSAGE,
            `uplink ${this.name}`,
            `unknown message ${safeJson(m)}`,
          ),
        });
    }
  }

  #call(sub: WorkerSub, topic: string, payload: unknown): void {
    try {
      const r = sub.handler(topic, payload);
      if (r instanceof Promise) {
        r.then(undefined, (error: unknown) => this.#handlerFailed(sub, topic, error));
      }
    } catch (error) {
      this.#handlerFailed(sub, topic, error);
    }
  }

  #handlerFailed(sub: WorkerSub, topic: string, error: unknown): void {
    this.events.emit({
      type: 'HandlerFailed',
      connector: this.name,
      pattern: sub.pattern,
      topic,
      error,
    });
  }

  #closedByPeer(): void {
    if (this.#portClosed) return;
    this.#portClosed = true;
    this.#connected = false;
    this.#dropped += this.#topics.length;
    this.#published -= this.#topics.length;
    this.#topics = [];
    this.#payloads = [];
    this.#retain = [];
    this.#inFlight = 0;
    this.#port.off('message', this.#onMessage);
    this.#port.off('close', this.#onClose);
    for (const sub of this.#subs.values()) sub.resolveReady();
    this.#subs.clear();
    this.#wakeFlushWaiters();
  }

  #wakeFlushWaiters(): void {
    const waiters = this.#flushWaiters;
    if (waiters.length === 0) return;
    this.#flushWaiters = [];
    for (const w of waiters) w();
  }
}

/** A subscription failure as it crosses to the worker: the message, and the code if any. */
function subfail(id: number, error: unknown): DownMessage {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    type: 'subfail',
    id,
    message: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' && { code }),
  };
}

/** Options of {@link bridgeUplink}. */
export interface BridgeOptions {
  /** Name in failure events (default `bridge`). */
  name?: string;
  /** Where forwarding failures are reported (default: a new EventBus). */
  events?: EventBus<MessagingEvent>;
  /** Which patterns a worker may subscribe to (default: all). */
  allowSubscribe?: (pattern: string) => boolean;
}

/** Counters of a bridge. */
export interface BridgeStats {
  readonly batches: number;
  readonly messages: number;
  /** Messages the target connector refused (bad topic, not connected, rejected publish). */
  readonly failed: number;
  /** Subscriptions the worker holds on the target connector now. */
  readonly subscriptions: number;
}

/** The main-thread end of an uplink, returned by {@link bridgeUplink}. */
export interface UplinkBridge {
  readonly stats: BridgeStats;
  readonly events: EventBus<MessagingEvent>;
  /** Unsubscribe everything the worker asked for, tell the worker, close the port. */
  close(): void;
}

/**
 * Attach the main-thread end of a worker uplink to a connector (connected by the caller):
 * batches from the worker are published on it in order and acknowledged; subscriptions the
 * worker asks for are made on it and their messages posted down. The bridge owns the port.
 *
 * @example
 * ```ts
 * const broker = new LocalBroker();
 * const bus = new LocalBus({ broker });
 * await bus.connect();
 * const { port1, port2 } = new MessageChannel();
 * const bridge = bridgeUplink(port1, bus);
 * const worker = new Worker(new URL('./shard.js', import.meta.url), {
 *   workerData: { port: port2 },
 *   transferList: [port2],
 * });
 * worker.on('exit', () => bridge.close());
 * ```
 */
export function bridgeUplink(
  port: MessagePort,
  connector: Connector,
  opts: BridgeOptions = {},
): UplinkBridge {
  const name = opts.name ?? 'bridge';
  const events = opts.events ?? new EventBus<MessagingEvent>();
  const allow = opts.allowSubscribe;
  const subs = new Map<number, Subscription>();
  let batches = 0;
  let messages = 0;
  let failed = 0;
  let closed = false;

  const fail = (topic: string, error: unknown): void => {
    failed++;
    events.emit({ type: 'PublishFailed', connector: name, topic, error });
  };

  const post = (m: DownMessage): void => {
    if (!closed) port.postMessage(m);
  };

  const dropAll = (): void => {
    for (const s of subs.values()) s.unsubscribe();
    subs.clear();
  };

  const onBatch = (topics: string[], payloads: unknown[], retain: number[]): void => {
    batches++;
    let r = 0;
    for (let i = 0; i < topics.length; i++) {
      const keep = r < retain.length && retain[r] === i;
      if (keep) r++;
      try {
        const p = connector.publish(topics[i], payloads[i], keep ? { retain: true } : undefined);
        if (p !== RESOLVED) p.then(undefined, (error: unknown) => fail(topics[i], error));
        messages++;
      } catch (error) {
        fail(topics[i], error); // [UPL-4]
      }
    }
    post({ type: 'ack', count: topics.length });
  };

  const onSub = (id: number, pattern: string): void => {
    if (allow !== undefined && !allow(pattern)) {
      post({ type: 'subfail', id, message: 'not allowed by the bridge' });
      return;
    }
    try {
      // Retained messages are posted (inside subscribe) before the suback. [UPL-3]
      const sub = connector.subscribe(pattern, (topic, payload) => {
        post({ type: 'msg', id, topic, payload });
      });
      subs.set(id, sub);
      const ready = sub.ready ?? RESOLVED;
      ready.then(
        () => post({ type: 'suback', id }),
        (error: unknown) => post(subfail(id, error)),
      );
    } catch (error) {
      events.emit({ type: 'SubscribeFailed', connector: name, pattern, error });
      post(subfail(id, error));
    }
  };

  const onMessage = (raw: unknown): void => {
    const m = raw as UpMessage;
    switch (m?.type) {
      case 'batch':
        // [UPL-4] a malformed batch is reported, never thrown out of the port listener
        if (
          !Array.isArray(m.topics) ||
          !Array.isArray(m.payloads) ||
          !Array.isArray(m.retain) ||
          m.payloads.length !== m.topics.length ||
          !m.topics.every((t) => typeof t === 'string')
        ) {
          fail(
            '(malformed batch)',
            new ProtocolError(
              ErrorCode.INVALID_MESSAGE,
              `uplink bridge ${name}`,
              'malformed batch: expected topics[] (strings), payloads[] and retain[] of one length',
            ),
          );
          post({ type: 'ack', count: Array.isArray(m.topics) ? m.topics.length : 0 });
          return;
        }
        onBatch(m.topics, m.payloads, m.retain);
        return;
      case 'sub':
        onSub(m.id, m.pattern);
        return;
      case 'unsub':
        subs.get(m.id)?.unsubscribe();
        subs.delete(m.id);
        return;
      case 'bye':
        dropAll();
        return;
      default:
        fail(
          '',
          new ProtocolError(
            ErrorCode.UNKNOWN_MESSAGE,
            `uplink bridge ${name}`,
            `unknown message ${safeJson(raw)}`,
          ),
        ); // [UPL-4]
    }
  };

  port.on('message', onMessage);
  port.on('close', () => {
    closed = true;
    dropAll();
  });

  return {
    events,
    get stats(): BridgeStats {
      return { batches, messages, failed, subscriptions: subs.size };
    },
    close(): void {
      if (closed) return;
      dropAll();
      post({ type: 'closed' });
      closed = true;
      port.off('message', onMessage);
      port.close();
    },
  };
}

/** JSON of a value from the wire for an error message, whatever it is (cycles, BigInt). */
function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}
