/**
 * LocalBus and LocalBroker: the connector conformance suite, plus what only the in-process
 * broker promises: synchronous delivery with one shared resolved promise, re-entrant publish
 * order, no leaked trie nodes, the replaceable default broker.
 */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/runtime/event-bus.js';
import type { MessagingEvent } from '../../src/messaging/index.js';
import {
  LocalBroker,
  LocalBus,
  NotConnectedError,
  getDefaultBroker,
  setDefaultBroker,
} from '../../src/messaging/index.js';
import { describeConnector } from './connector.conformance.js';

describeConnector('LocalBus', () => {
  const failures = new EventBus<MessagingEvent>();
  const broker = new LocalBroker({ bus: failures });
  return Promise.resolve({
    a: new LocalBus({ broker, name: 'a' }),
    b: new LocalBus({ broker, name: 'b' }),
    failures,
    close: () => Promise.resolve(),
  });
});

async function connected(broker = new LocalBroker()): Promise<LocalBus> {
  const bus = new LocalBus({ broker });
  await bus.connect();
  return bus;
}

describe('LocalBus', () => {
  it('delivers synchronously and returns one shared resolved promise', async () => {
    const bus = await connected();
    const got: unknown[] = [];
    bus.subscribe('a/+', (_t, p) => void got.push(p));
    const p1 = bus.publish('a/1', 1);
    expect(got).toEqual([1]); // before any await
    const p2 = bus.publish('a/2', 2);
    expect(p1).toBe(p2);
    await p1;
  });

  it('[BUS-2] calls handlers of one message in subscription order, across trie branches', async () => {
    const bus = await connected();
    const order: string[] = [];
    bus.subscribe('#', () => void order.push('#'));
    bus.subscribe('x/y', () => void order.push('x/y'));
    bus.subscribe('+/y', () => void order.push('+/y'));
    bus.subscribe('x/#', () => void order.push('x/#'));
    await bus.publish('x/y', 0);
    expect(order).toEqual(['#', 'x/y', '+/y', 'x/#']);
  });

  it('[BUS-2] queues a publish made inside a handler so every subscription keeps publish order', async () => {
    const bus = await connected();
    const first: number[] = [];
    const second: number[] = [];
    bus.subscribe('n', (_t, p) => {
      first.push(p as number);
      if (p === 1) void bus.publish('n', 2); // re-entrant
    });
    bus.subscribe('n', (_t, p) => void second.push(p as number));
    await bus.publish('n', 1);
    expect(first).toEqual([1, 2]);
    expect(second).toEqual([1, 2]); // not [2, 1]
  });

  it('[BUS-5] a handler unsubscribed during delivery is not called for that message', async () => {
    const bus = await connected();
    const got: string[] = [];
    const later = { unsubscribe: (): void => {} };
    bus.subscribe('t', () => {
      got.push('first');
      later.unsubscribe();
    });
    const sub = bus.subscribe('t', () => void got.push('second'));
    later.unsubscribe = () => sub.unsubscribe();
    await bus.publish('t', 0);
    expect(got).toEqual(['first']);
  });

  it('[BUS-5] [LBUS-1] unsubscribe and disconnect free every trie node', async () => {
    const broker = new LocalBroker();
    const a = await connected(broker);
    const b = await connected(broker);
    expect(broker.trieNodeCount).toBe(1);
    const subs = [];
    for (let i = 0; i < 200; i++) subs.push(a.subscribe(`grid/${i}/+/flash`, () => {}));
    b.subscribe('grid/#', () => {});
    b.subscribe('$SYS/+', () => {});
    b.subscribe('grid/7/+/flash', () => {});
    expect(broker.subscriptionCount).toBe(203);
    expect(broker.trieNodeCount).toBeGreaterThan(600);
    for (const s of subs) s.unsubscribe();
    expect(a.subscriptionCount).toBe(0);
    await b.disconnect();
    expect(b.subscriptionCount).toBe(0);
    expect(broker.subscriptionCount).toBe(0);
    expect(broker.trieNodeCount).toBe(1);
    await a.publish('grid/7/x/flash', 1); // nobody left: no error, no delivery
  });

  it('[BUS-3] a handler publishing from a retained delivery is queued behind the retained ones', async () => {
    const bus = await connected();
    await bus.publish('r/1', 'one', { retain: true });
    await bus.publish('r/2', 'two', { retain: true });
    const got: unknown[] = [];
    bus.subscribe('r/+', (t, p) => {
      got.push(p);
      if (t === 'r/1') void bus.publish('r/3', 'three');
    });
    expect(got).toEqual(['one', 'two', 'three']);
    expect(bus.broker.retainedCount).toBe(2);
    expect(bus.broker.retained('r/2')).toBe('two');
  });

  it('reports the connector name in NOT_CONNECTED errors and HandlerFailed events', async () => {
    const broker = new LocalBroker();
    const bus = new LocalBus({ broker, name: 'fly-bus' });
    expect(() => bus.publish('a', 1)).toThrow(NotConnectedError);
    expect(() => bus.publish('a', 1)).toThrow(/fly-bus/);
    await bus.connect();
    const events: MessagingEvent[] = [];
    broker.events.on((e) => void events.push(e));
    bus.subscribe('a', () => {
      throw new Error('x');
    });
    await bus.publish('a', 1);
    expect(events).toEqual([
      expect.objectContaining({ type: 'HandlerFailed', connector: 'fly-bus' }),
    ]);
  });

  it('has a lazily created default broker that can be replaced', () => {
    const mine = new LocalBroker();
    const previous = setDefaultBroker(mine);
    try {
      expect(getDefaultBroker()).toBe(mine);
      const bus = new LocalBus();
      expect(bus.broker).toBe(mine);
      expect(new LocalBus().broker).toBe(bus.broker);
    } finally {
      if (previous !== null) setDefaultBroker(previous);
    }
  });

  it('matching stays correct when subscriptions change between publishes (match cache)', async () => {
    const bus = await connected();
    const got: string[] = [];
    await bus.publish('c/1', 0); // fills the cache with "no subscribers"
    const s = bus.subscribe('c/+', (t) => void got.push(t));
    await bus.publish('c/1', 1);
    s.unsubscribe();
    await bus.publish('c/1', 2);
    expect(got).toEqual(['c/1']);
  });
});

describe('handler return values', () => {
  it('does not report a handler that returns null or a plain value as failed', async () => {
    const events = new EventBus<MessagingEvent>();
    const seen: string[] = [];
    events.on((e) => seen.push(e.type));
    const bus = new LocalBus({ broker: new LocalBroker({ bus: events }) });
    await bus.connect();
    let calls = 0;
    bus.subscribe('a', () => {
      calls++;
      return null as unknown as void;
    });
    bus.subscribe('a', () => {
      calls++;
      return 42 as unknown as void;
    });
    await bus.publish('a', 1);
    expect(calls).toBe(2);
    expect(seen).toEqual([]);
    await bus.disconnect();
  });
});
