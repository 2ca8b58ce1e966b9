/**
 * A typed, synchronous, in-process event bus: the place where the engine, the messaging
 * layer and the observatory report what happened. Events are discriminated unions (`type`).
 *
 * Invariants:
 * - [EVT-1] Subscribers see events in emit order.
 * - [EVT-2] A subscriber that throws is isolated: the others still get the event and the
 *   emitter never sees the error. The failure is counted and handed to `onSubscriberError`.
 * - [EVT-3] No subscribers means an emit costs one array length check.
 */

/** Anything with a string `type` discriminant can travel on an EventBus. */
export interface TypedEvent {
  readonly type: string;
}

/** Returned by `EventBus.on`; call it to stop listening. */
export type Unsubscribe = () => void;

/** Options of an {@link EventBus}. */
export interface EventBusOptions {
  /** Called when a subscriber throws; default: print once per bus to stderr. */
  onSubscriberError?: (error: unknown, event: TypedEvent) => void;
}

/**
 * A typed event bus.
 *
 * @example
 * ```ts
 * type Ev = { type: 'ping'; n: number } | { type: 'pong' };
 * const bus = new EventBus<Ev>();
 * const off = bus.on((e) => { if (e.type === 'ping') console.log(e.n); });
 * bus.emit({ type: 'ping', n: 1 });
 * off();
 * ```
 */
export class EventBus<E extends TypedEvent = TypedEvent> {
  #subscribers: Array<(event: E) => void> = [];
  #subscriberErrors = 0;
  #onSubscriberError: (error: unknown, event: TypedEvent) => void;
  #warned = false;

  constructor(options: EventBusOptions = {}) {
    this.#onSubscriberError =
      options.onSubscriberError ??
      ((error) => {
        if (this.#warned) return;
        this.#warned = true;
        process.emitWarning(`an event subscriber threw: ${String(error)}`, 'CascadeWarning');
      });
  }

  /** Listen to every event; returns the function that stops listening. */
  on(handler: (event: E) => void): Unsubscribe {
    // Copy-on-write so an emit in progress is not disturbed by (un)subscribes.
    this.#subscribers = [...this.#subscribers, handler];
    return () => {
      this.#subscribers = this.#subscribers.filter((h) => h !== handler);
    };
  }

  /** Listen to events of one type only. */
  onType<T extends E['type']>(
    type: T,
    handler: (event: Extract<E, { type: T }>) => void,
  ): Unsubscribe {
    return this.on((event) => {
      if (event.type === type) handler(event as Extract<E, { type: T }>);
    });
  }

  /** Deliver an event to every subscriber, in subscription order. [EVT-1] [EVT-2] */
  emit(event: E): void {
    const subscribers = this.#subscribers;
    for (let i = 0; i < subscribers.length; i++) {
      try {
        subscribers[i](event);
      } catch (error) {
        this.#subscriberErrors++;
        this.#onSubscriberError(error, event);
      }
    }
  }

  /** True when somebody listens: emitters on hot paths may skip building events. [EVT-3] */
  get hasSubscribers(): boolean {
    return this.#subscribers.length > 0;
  }

  /** How many subscriber calls threw so far. */
  get subscriberErrors(): number {
    return this.#subscriberErrors;
  }
}
