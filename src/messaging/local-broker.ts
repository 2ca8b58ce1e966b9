/**
 * The in-process broker: a topic trie of subscriptions, a store of retained messages and an
 * EventBus for failures. It is an ordinary object (no global state); connectors such as
 * {@link LocalBus} attach to one. `getDefaultBroker()` creates a convenience instance lazily.
 *
 * Delivery is synchronous: `publish` calls every matching handler before it returns. A
 * publish made from inside a handler is queued and delivered after the current message, so
 * every subscription still sees messages in publish order.
 *
 * Invariants:
 * - [BUS-1] Matching follows the MQTT topic rules (see topic.ts), by a trie: the cost grows
 *   with topic depth. Resolved matches are memoised per topic until the next (un)subscribe.
 * - [BUS-2] Each subscription receives messages in publish order; for one message, handlers
 *   run in subscription order.
 * - [BUS-3] Retained messages are delivered to a new matching subscription, synchronously
 *   inside `subscribe`, so before any live message.
 * - [BUS-4] A handler that throws or rejects is reported as `HandlerFailed` on `events`;
 *   delivery goes on.
 * - [BUS-5] An unsubscribed handler is never called again, even for a message being
 *   delivered; its trie nodes are freed.
 */
import { EventBus } from '../runtime/event-bus.js';
import type { MessageHandler, MessagingEvent } from './connector.js';
import { RetainedStore } from './retained-store.js';
import { TopicTrie } from './topic-trie.js';
import { hasWildcard, validatePattern, validateTopic } from './topic.js';

/** Options of {@link LocalBroker}. */
export interface LocalBrokerOptions {
  /** Where failures are reported; a new EventBus if omitted. */
  bus?: EventBus<MessagingEvent>;
  /** How many topics' resolved matches are memoised (default 4096; 0 turns it off). */
  matchCacheSize?: number;
}

/** A live subscription in a broker. Monomorphic on purpose: the hot loop reads it. */
export class BrokerSubscription {
  active = true;
  constructor(
    readonly id: number,
    readonly pattern: string,
    readonly handler: MessageHandler,
    readonly owner: string,
  ) {}
}

const NO_SUBS: readonly BrokerSubscription[] = Object.freeze([]);

function bySubscriptionId(a: BrokerSubscription, b: BrokerSubscription): number {
  return a.id - b.id;
}

/**
 * An in-process MQTT-semantics broker.
 *
 * @example
 * ```ts
 * const broker = new LocalBroker();
 * broker.events.onType('HandlerFailed', (e) => console.error(e.topic, e.error));
 * const sub = broker.subscribe('sensors/+/temp', (topic, payload) => console.log(topic, payload));
 * broker.publish('sensors/7/temp', 21.5);
 * broker.unsubscribe(sub);
 * ```
 */
export class LocalBroker {
  /** Failures (`HandlerFailed`) are reported here. [BUS-4] */
  readonly events: EventBus<MessagingEvent>;
  #trie = new TopicTrie<BrokerSubscription>();
  #retained = new RetainedStore();
  #cache = new Map<string, readonly BrokerSubscription[]>();
  #cacheLimit: number;
  #nextId = 1;
  #delivering = false;
  #queueTopics: string[] = [];
  #queuePayloads: unknown[] = [];
  #queueRetain: boolean[] = [];

  constructor(options: LocalBrokerOptions = {}) {
    this.events = options.bus ?? new EventBus<MessagingEvent>();
    this.#cacheLimit = options.matchCacheSize ?? 4096;
  }

  /** Number of live subscriptions. */
  get subscriptionCount(): number {
    return this.#trie.size;
  }

  /** Number of trie nodes (1 when nobody subscribes): a leak check. [BUS-5] */
  get trieNodeCount(): number {
    return this.#trie.nodeCount;
  }

  /** Number of retained messages. */
  get retainedCount(): number {
    return this.#retained.size;
  }

  /**
   * Whether a message published on `topic` now would reach any subscription: lets a publisher
   * skip building messages nobody reads (a sharded run forwards flashes only then).
   *
   * @example
   * ```ts
   * if (broker.hasSubscribers('firefly/flash')) forwardFlashes();
   * ```
   */
  hasSubscribers(topic: string): boolean {
    validateTopic(topic);
    return this.#trie.match(topic).length > 0;
  }

  /** The retained payload of exactly this topic, or undefined. */
  retained(topic: string): unknown {
    validateTopic(topic);
    return this.#retained.get(topic);
  }

  /**
   * Add a subscription; matching retained messages are delivered to it before this returns.
   * [BUS-3] `owner` names the connector in failure events.
   * @throws InvalidTopicError
   */
  subscribe(pattern: string, handler: MessageHandler, owner = 'broker'): BrokerSubscription {
    validatePattern(pattern);
    const sub = new BrokerSubscription(this.#nextId++, pattern, handler, owner);
    this.#trie.add(pattern, sub);
    this.#cache.clear();
    if (this.#retained.size > 0) this.#deliverRetained(sub);
    return sub;
  }

  /** Remove a subscription; idempotent. [BUS-5] */
  unsubscribe(sub: BrokerSubscription): void {
    if (!sub.active) return;
    sub.active = false;
    this.#trie.remove(sub.pattern, sub);
    this.#cache.clear();
  }

  /**
   * Deliver to every matching subscription, synchronously, and retain if asked.
   * @throws InvalidTopicError
   */
  publish(topic: string, payload: unknown, retain = false): void {
    if (this.#delivering) {
      // Re-entrant publish from a handler: queue it to keep per-subscription order. [BUS-2]
      validateTopic(topic);
      this.#queueTopics.push(topic);
      this.#queuePayloads.push(payload);
      this.#queueRetain.push(retain);
      return;
    }
    let subs = this.#cache.get(topic);
    if (subs === undefined) subs = this.#resolve(topic); // validates the topic
    this.#delivering = true;
    try {
      if (retain) this.#retained.set(topic, payload);
      this.#deliver(subs, topic, payload);
      if (this.#queueTopics.length > 0) this.#drainQueue();
    } finally {
      this.#delivering = false;
    }
  }

  #drainQueue(): void {
    const topics = this.#queueTopics;
    const payloads = this.#queuePayloads;
    const retains = this.#queueRetain;
    for (let i = 0; i < topics.length; i++) {
      const topic = topics[i];
      if (retains[i]) this.#retained.set(topic, payloads[i]);
      this.#deliver(this.#cache.get(topic) ?? this.#resolve(topic), topic, payloads[i]);
    }
    topics.length = 0;
    payloads.length = 0;
    retains.length = 0;
  }

  #deliver(subs: readonly BrokerSubscription[], topic: string, payload: unknown): void {
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i];
      if (!sub.active) continue; // [BUS-5]
      try {
        const r = sub.handler(topic, payload);
        if (r !== undefined) this.#watch(r, sub, topic);
      } catch (error) {
        this.#report(sub, topic, error);
      }
    }
  }

  #resolve(topic: string): readonly BrokerSubscription[] {
    const found = this.#trie.match(topic);
    let subs: readonly BrokerSubscription[] = NO_SUBS;
    if (found.length > 0) {
      found.sort(bySubscriptionId); // [BUS-2] subscription order across trie branches
      subs = found;
    }
    if (this.#cacheLimit > 0) {
      if (this.#cache.size >= this.#cacheLimit) this.#cache.clear();
      this.#cache.set(topic, subs);
    }
    return subs;
  }

  #deliverRetained(sub: BrokerSubscription): void {
    const topics: string[] = [];
    const payloads: unknown[] = [];
    if (hasWildcard(sub.pattern)) {
      this.#retained.match(sub.pattern, (t, p) => {
        topics.push(t);
        payloads.push(p);
      });
    } else {
      const p = this.#retained.get(sub.pattern);
      if (p === undefined) return;
      topics.push(sub.pattern);
      payloads.push(p);
    }
    // Collected first: handlers may publish (and change the store) while we deliver; such
    // publishes are queued behind the retained messages. [BUS-2]
    const one = [sub];
    const outer = !this.#delivering;
    this.#delivering = true;
    try {
      for (let i = 0; i < topics.length; i++) this.#deliver(one, topics[i], payloads[i]);
      if (outer && this.#queueTopics.length > 0) this.#drainQueue();
    } finally {
      if (outer) this.#delivering = false;
    }
  }

  #watch(result: unknown, sub: BrokerSubscription, topic: string): void {
    if (typeof result !== 'object' && typeof result !== 'function') return;
    if (result === null || typeof (result as { then?: unknown }).then !== 'function') return;
    (result as PromiseLike<unknown>).then(undefined, (error: unknown) =>
      this.#report(sub, topic, error),
    );
  }

  #report(sub: BrokerSubscription, topic: string, error: unknown): void {
    this.events.emit({
      type: 'HandlerFailed',
      connector: sub.owner,
      pattern: sub.pattern,
      topic,
      error,
    });
  }
}

/** Holder of the lazily created default broker (replaceable; no hidden static state). */
const defaultBroker: { current: LocalBroker | null } = { current: null };

/**
 * The convenience broker used by `new LocalBus()` without a `broker` option; created on
 * first use.
 *
 * @example
 * ```ts
 * const a = new LocalBus(); // attached to getDefaultBroker()
 * getDefaultBroker().events.onType('HandlerFailed', (e) => console.error(e.error));
 * ```
 */
export function getDefaultBroker(): LocalBroker {
  return (defaultBroker.current ??= new LocalBroker());
}

/**
 * Replace the default broker (tests, or an app that wants its own). Returns the previous one.
 *
 * @example
 * ```ts
 * const previous = setDefaultBroker(new LocalBroker());
 * ```
 */
export function setDefaultBroker(broker: LocalBroker): LocalBroker | null {
  const previous = defaultBroker.current;
  defaultBroker.current = broker;
  return previous;
}
