/**
 * The Connector conformance suite: one set of behaviour tests every connector
 * must pass: LocalBus, the worker uplink, later the MQTT client. A test file calls
 * `describeConnector(name, makeConnectorPair)`.
 *
 * A pair is two connectors of the kind under test, not yet connected, attached to the same
 * broker (so `a` publishes what `b` receives and the other way round), plus the event bus
 * where their handler failures are reported. Delivery may be asynchronous: tests wait for a
 * sentinel message instead of assuming synchronous delivery.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import type { EventBus } from '../../src/runtime/event-bus.js';
import type { Connector, MessagingEvent } from '../../src/messaging/index.js';

export interface ConnectorPair {
  a: Connector;
  b: Connector;
  /** Where HandlerFailed events of a's and b's handlers are reported. */
  failures: EventBus<MessagingEvent>;
  /** Free everything (ports, brokers). */
  close(): Promise<void>;
}

type Received = Array<[string, unknown]>;

/** Poll until `cond()` holds, or fail after `ms`. */
export async function eventually(
  cond: () => boolean,
  ms = 3000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The `code` of what `fn` throws synchronously (undefined if it does not throw). */
export function thrownCode(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return (e as { code?: unknown }).code;
  }
  return undefined;
}

function collector(): { got: Received; handler: (t: string, p: unknown) => void } {
  const got: Received = [];
  return { got, handler: (t, p) => void got.push([t, p]) };
}

/** What a connector declares it does not promise (each one documented where it is set). */
export interface ConnectorCaveats {
  /**
   * `per-topic`: retained messages come before live ones on the same topic, but a live message
   * on another topic may overtake them (Aedes streams retained messages after the SUBACK).
   */
  retainedOrder?: 'all' | 'per-topic';
}

export function describeConnector(
  name: string,
  makePair: () => Promise<ConnectorPair>,
  caveats: ConnectorCaveats = {},
): void {
  describe(`Connector conformance: ${name}`, () => {
    let pair: ConnectorPair | null = null;
    const open = async (): Promise<ConnectorPair> => {
      pair = await makePair();
      await pair.a.connect();
      await pair.b.connect();
      return pair;
    };
    /** Publish a sentinel from `from` and wait until `got` has it: everything before is in. */
    const settle = async (from: Connector, to: Connector, got: Received): Promise<void> => {
      const mark = `sentinel-${Math.random()}`;
      const sub = to.subscribe('conformance/sentinel', (t, p) => void got.push([t, p]));
      await sub.ready;
      await from.publish('conformance/sentinel', mark);
      await eventually(() => got.some(([, p]) => p === mark), 3000, 'sentinel');
      sub.unsubscribe();
    };
    afterEach(async () => {
      if (pair !== null) await pair.close();
      pair = null;
    });

    it('[CON-1] throws NOT_CONNECTED before connect and after disconnect', async () => {
      const p = await makePair();
      pair = p;
      expect(thrownCode(() => p.a.publish('x', 1))).toBe(ErrorCode.NOT_CONNECTED);
      expect(thrownCode(() => p.a.subscribe('x', () => {}))).toBe(ErrorCode.NOT_CONNECTED);
      await p.a.connect();
      await p.a.publish('x', 1);
      await p.a.disconnect();
      expect(thrownCode(() => p.a.publish('x', 1))).toBe(ErrorCode.NOT_CONNECTED);
      expect(thrownCode(() => p.a.subscribe('x', () => {}))).toBe(ErrorCode.NOT_CONNECTED);
    });

    it('[CON-2] rejects invalid topics and patterns at the call with INVALID_TOPIC', async () => {
      const { a } = await open();
      for (const bad of ['', 'a/+', 'a/#', '+', '#', 'a\u0000b']) {
        expect(
          thrownCode(() => a.publish(bad, 1)),
          bad,
        ).toBe(ErrorCode.INVALID_TOPIC);
      }
      for (const bad of ['', 'a/#/b', 'a+/b', '#a', 'a/b#', '+a', 'a\u0000']) {
        expect(
          thrownCode(() => a.subscribe(bad, () => {})),
          bad,
        ).toBe(ErrorCode.INVALID_TOPIC);
      }
    });

    it('delivers by MQTT topic rules, both ways', async () => {
      const { a, b } = await open();
      const exact = collector();
      const plus = collector();
      const hash = collector();
      const root = collector();
      const subs = [
        b.subscribe('f/1/flash', exact.handler),
        b.subscribe('f/+/flash', plus.handler),
        b.subscribe('f/#', hash.handler),
        b.subscribe('#', root.handler),
      ];
      for (const s of subs) await s.ready;
      await a.publish('f/1/flash', 1);
      await a.publish('f/2/flash', 2);
      await a.publish('f', 3); // "#" matches the parent level
      await a.publish('f//flash', 4); // "+" matches an empty level
      await a.publish('$SYS/f', 5); // [MQTT-4.7.2-1] not matched by a leading wildcard
      await a.publish('g/1/flash', 6);
      await settle(a, b, root.got);
      for (const s of subs) s.unsubscribe();
      const back = collector();
      await a.subscribe('reply/+', back.handler).ready;
      await b.publish('reply/x', 'pong');
      expect(exact.got).toEqual([['f/1/flash', 1]]);
      expect(plus.got).toEqual([
        ['f/1/flash', 1],
        ['f/2/flash', 2],
        ['f//flash', 4],
      ]);
      expect(hash.got.map(([, p]) => p)).toEqual([1, 2, 3, 4]);
      expect(root.got.slice(0, 5).map(([, p]) => p)).toEqual([1, 2, 3, 4, 6]);
      await eventually(() => back.got.length === 1);
      expect(back.got).toEqual([['reply/x', 'pong']]);
    });

    it('[CON-3] delivers thousands of messages in publish order to every subscription', async () => {
      const { a, b } = await open();
      const one = collector();
      const two = collector();
      await b.subscribe('seq/+', one.handler).ready;
      await b.subscribe('seq/#', two.handler).ready;
      const n = 3000;
      for (let i = 0; i < n; i++) await a.publish(`seq/${i % 7}`, i);
      await eventually(() => one.got.length === n && two.got.length === n, 5000, 'all messages');
      expect(one.got.map(([, p]) => p)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(two.got.map(([, p]) => p)).toEqual(Array.from({ length: n }, (_, i) => i));
    });

    it('[CON-4] retained: replaced, cleared by empty payloads, delivered before live', async () => {
      const { a, b } = await open();
      await a.publish('cfg/period', 4, { retain: true });
      await a.publish('cfg/period', 5, { retain: true }); // replaces
      await a.publish('cfg/k', 0.2, { retain: true });
      await a.publish('cfg/gone', 'x', { retain: true });
      await a.publish('cfg/gone', '', { retain: true }); // clears
      for (const empty of [undefined, null, new Uint8Array(0)]) {
        await a.publish('cfg/empty', 'y', { retain: true });
        await a.publish('cfg/empty', empty, { retain: true });
      }
      await a.publish('cfg/live-only', 'z'); // not retained
      await settle(a, a, []);
      const got = collector();
      await b.subscribe('cfg/#', got.handler).ready;
      await a.publish('cfg/period', 6);
      await eventually(() => got.got.some(([, p]) => p === 6));
      const retained = got.got.filter(([, p]) => p !== 6);
      expect(new Map(retained)).toEqual(
        new Map<string, unknown>([
          ['cfg/period', 5],
          ['cfg/k', 0.2],
        ]),
      );
      if (caveats.retainedOrder === 'per-topic') {
        const period = got.got.filter(([t]) => t === 'cfg/period').map(([, p]) => p);
        expect(period).toEqual([5, 6]); // retained before live on this topic
      } else {
        expect(got.got.at(-1)).toEqual(['cfg/period', 6]); // retained before live
      }
      // A new exact subscription gets the retained message too.
      const exact = collector();
      await b.subscribe('cfg/k', exact.handler).ready;
      await eventually(() => exact.got.length === 1);
      expect(exact.got).toEqual([['cfg/k', 0.2]]);
    });

    it('[CON-5] a throwing or rejecting handler is reported and delivery goes on', async () => {
      const { a, b, failures } = await open();
      const failed: MessagingEvent[] = [];
      const off = failures.on((e) => void failed.push(e));
      const ok = collector();
      await b.subscribe('boom/+', (t) => {
        if (t === 'boom/throw') throw new Error('thrown');
      }).ready;
      await b.subscribe('boom/+', async (t) => {
        await Promise.resolve();
        if (t === 'boom/reject') throw new Error('rejected');
      }).ready;
      await b.subscribe('boom/+', ok.handler).ready;
      await a.publish('boom/throw', 1);
      await a.publish('boom/reject', 2);
      await a.publish('boom/fine', 3);
      await eventually(() => ok.got.length === 3 && failed.length === 2);
      off();
      expect(ok.got.map(([, p]) => p)).toEqual([1, 2, 3]);
      expect(failed).toEqual([
        expect.objectContaining({ type: 'HandlerFailed', topic: 'boom/throw', pattern: 'boom/+' }),
        expect.objectContaining({ type: 'HandlerFailed', topic: 'boom/reject', pattern: 'boom/+' }),
      ]);
      const errors = failed.map((e) => (e as { error: Error }).error.message);
      expect(errors).toEqual(['thrown', 'rejected']);
    });

    it('[CON-6] unsubscribe and disconnect stop delivery', async () => {
      const { a, b } = await open();
      const gone = collector();
      const kept = collector();
      const sub = b.subscribe('u/#', gone.handler);
      await sub.ready;
      await b.subscribe('u/#', kept.handler).ready;
      await a.publish('u/1', 1);
      await eventually(() => gone.got.length === 1 && kept.got.length === 1);
      sub.unsubscribe();
      sub.unsubscribe(); // idempotent
      await a.publish('u/2', 2);
      await settle(a, b, kept.got);
      expect(gone.got.map(([, p]) => p)).toEqual([1]);
      expect(kept.got.slice(0, 2).map(([, p]) => p)).toEqual([1, 2]);

      const watcher = collector();
      await a.subscribe('u/#', watcher.handler).ready;
      await b.disconnect();
      await a.publish('u/3', 3);
      await eventually(() => watcher.got.length === 1);
      await settle(a, a, watcher.got);
      expect(kept.got.some(([, p]) => p === 3)).toBe(false);
    });
  });
}
