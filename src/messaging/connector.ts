/**
 * The Connector contract: how agents talk through a broker with MQTT topic semantics
 * (docs/messaging.md). Every implementation (LocalBus, the worker uplink,
 * the MQTT client) passes the same conformance suite (test/messaging/connector.conformance.ts).
 *
 * Contract:
 * - [CON-1] `publish` and `subscribe` before `connect()` or after `disconnect()` throw a
 *   {@link NotConnectedError} at the call.
 * - [CON-2] An invalid topic or pattern throws an `InvalidTopicError` at the call. Mistakes of
 *   the caller are thrown synchronously; the promise returned by `publish` rejects only when
 *   the transport fails.
 * - [CON-3] Each subscription receives messages in publish order (per publisher).
 * - [CON-4] Retained messages are delivered to a new matching subscription before live ones.
 * - [CON-5] A handler that throws or rejects is reported as a `HandlerFailed` event; delivery
 *   to the other handlers, and of later messages, goes on.
 * - [CON-6] After `unsubscribe()` (or `disconnect()`) the handler is never called again.
 */
import { CascadeError, ErrorCode } from '../errors.js';

/** Quality of service (kept for MQTT; in-process connectors deliver exactly once). */
export type QoS = 0 | 1 | 2;

/** Options of {@link Connector.publish}. */
export interface PublishOptions {
  qos?: QoS;
  /** Keep the message as the topic's retained message (an empty payload clears it). */
  retain?: boolean;
  /**
   * Seconds after which the broker drops the message, a retained one included (MQTT 5 message
   * expiry). Connectors without it (in-process, MQTT 3.1.1) ignore it; a payload that must
   * expire there says so itself (the control plane's `expiresAt`).
   */
  expirySeconds?: number;
}

/** A message handler; a returned promise that rejects is reported like a throw. [CON-5] */
export type MessageHandler = (topic: string, payload: unknown) => void | Promise<void>;

/** Returned by {@link Connector.subscribe}. */
export interface Subscription {
  /** Stop delivery and free what the subscription holds; idempotent. [CON-6] */
  unsubscribe(): void;
  /**
   * Resolves once the broker has the subscription in place (an MQTT SUBACK, the worker
   * uplink's acknowledgement), so messages published after it are sure to match. Absent or
   * already resolved for in-process connectors.
   */
  readonly ready?: Promise<void>;
}

/**
 * Connect / disconnect / publish / subscribe with MQTT topic semantics.
 *
 * @example
 * ```ts
 * async function hello(c: Connector): Promise<void> {
 *   await c.connect();
 *   const sub = c.subscribe('greetings/+', (topic, payload) => console.log(topic, payload));
 *   await c.publish('greetings/world', 'hello', { retain: true });
 *   sub.unsubscribe();
 *   await c.disconnect();
 * }
 * ```
 */
export interface Connector {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  publish(topic: string, payload: unknown, opts?: PublishOptions): Promise<void>;
  subscribe(pattern: string, handler: MessageHandler): Subscription;
}

/**
 * What the messaging layer reports on an EventBus.
 * - `HandlerFailed`: a subscription handler threw or rejected. [CON-5]
 * - `PublishFailed`: a message could not be forwarded (worker uplink: not cloneable; bridge:
 *   the target connector refused it).
 * - `SubscribeFailed`: a subscription asked for over a bridge could not be made.
 * - `ConnectionChanged`: a connector to a remote broker lost its connection, or got it back
 *   (and subscribed again).
 */
export type MessagingEvent =
  | {
      readonly type: 'HandlerFailed';
      readonly connector: string;
      readonly pattern: string;
      readonly topic: string;
      readonly error: unknown;
    }
  | {
      readonly type: 'PublishFailed';
      readonly connector: string;
      readonly topic: string;
      readonly error: unknown;
    }
  | {
      readonly type: 'SubscribeFailed';
      readonly connector: string;
      readonly pattern: string;
      readonly error: unknown;
    }
  | {
      readonly type: 'ConnectionChanged';
      readonly connector: string;
      readonly state: 'lost' | 'reconnected';
    };

/**
 * A connector was used before `connect()` or after `disconnect()`. [CON-1]
 *
 * @example
 * ```ts
 * const bus = new LocalBus();
 * try { bus.subscribe('a', () => {}); } catch (e) { (e as NotConnectedError).code; } // CASCADE_ERR_NOT_CONNECTED
 * ```
 */
export class NotConnectedError extends CascadeError {
  constructor(connector: string, operation: string) {
    super(
      ErrorCode.NOT_CONNECTED,
      `${operation} on connector ${connector} which is not connected (call connect() first)`,
      { connector, operation },
    );
  }
}

/** One shared, already-resolved promise: returned by synchronous paths, allocation-free. */
export const RESOLVED: Promise<void> = Promise.resolve();
