/**
 * MqttConnector: the connector conformance suite against a real Mosquitto (MQTT 5) and an
 * embedded Aedes (MQTT 3.1.1), both on free loopback ports; then what only a connector over a
 * wire promises: the payload codec, reconnection after a broker restart with the retained
 * state received again, the bounded offline buffer, overlapping subscriptions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { EventBus } from '../../src/runtime/event-bus.js';
import type { MessagingEvent } from '../../src/messaging/index.js';
import { EmbeddedBroker, MosquittoProcess, MqttConnector } from '../../src/messaging/index.js';
import { describeConnector, eventually, thrownCode } from './connector.conformance.js';

interface Broker {
  url: string;
  close(): Promise<void>;
}

async function mosquitto(): Promise<Broker & { m: MosquittoProcess }> {
  const m = await MosquittoProcess.start();
  return { m, url: m.url, close: () => m.stop() };
}

async function aedes(): Promise<Broker> {
  return EmbeddedBroker.start();
}

function pairOn(start: () => Promise<Broker>, protocolVersion: 4 | 5) {
  return async () => {
    const broker = await start();
    const failures = new EventBus<MessagingEvent>();
    const a = new MqttConnector({ url: broker.url, protocolVersion, name: 'a', bus: failures });
    const b = new MqttConnector({ url: broker.url, protocolVersion, name: 'b', bus: failures });
    return {
      a,
      b,
      failures,
      close: async () => {
        await a.disconnect();
        await b.disconnect();
        await broker.close();
      },
    };
  };
}

describeConnector('MqttConnector on Mosquitto (MQTT 5)', pairOn(mosquitto, 5));
// [MQC-6] Aedes sends retained messages after the SUBACK, while live ones go on.
describeConnector('MqttConnector on Aedes (MQTT 3.1.1)', pairOn(aedes, 4), {
  retainedOrder: 'per-topic',
});

type Got = Array<[string, unknown]>;

describe('MqttConnector', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });
  async function connected(
    url: string,
    protocolVersion: 4 | 5,
    extra = {},
  ): Promise<MqttConnector> {
    const c = new MqttConnector({ url, protocolVersion, reconnectMs: 100, ...extra });
    await c.connect();
    cleanups.push(() => c.disconnect());
    return c;
  }

  for (const [label, start, v] of [
    ['Mosquitto, MQTT 5', mosquitto, 5],
    ['Aedes, MQTT 3.1.1', aedes, 4],
  ] as const) {
    it(`[COD-1] [COD-2] [COD-3] JSON by default, bytes untouched, empty clears (${label})`, async () => {
      const broker = await start();
      cleanups.push(() => broker.close());
      const a = await connected(broker.url, v);
      const b = await connected(broker.url, v);
      const got: Got = [];
      await b.subscribe('codec/+', (t, p) => void got.push([t, p])).ready;
      const bytes = new Uint8Array([0xff, 0x00, 0x7b, 0x01]); // not UTF-8, not JSON
      const view = new Uint8Array(new Uint8Array([9, 1, 2, 3, 9]).buffer, 1, 3);
      await a.publish('codec/obj', { t: 1.5, ids: [1, 2], s: 'é' }, { qos: 1 });
      await a.publish('codec/num', 0);
      await a.publish('codec/str', 'hello');
      await a.publish('codec/bytes', bytes);
      await a.publish('codec/view', view);
      await a.publish('codec/empty', '');
      await eventually(() => got.length === 6, 3000, 'six messages');
      expect(got).toEqual([
        ['codec/obj', { t: 1.5, ids: [1, 2], s: 'é' }],
        ['codec/num', 0],
        ['codec/str', 'hello'],
        ['codec/bytes', bytes],
        ['codec/view', new Uint8Array([1, 2, 3])],
        ['codec/empty', ''],
      ]);
      expect(got[3][1]).toBeInstanceOf(Uint8Array);
    });

    it(`[MQC-1] [MQC-2] overlapping patterns once each; a second handler gets the retained (${label})`, async () => {
      const broker = await start();
      cleanups.push(() => broker.close());
      const a = await connected(broker.url, v);
      const b = await connected(broker.url, v);
      await a.publish('ov/k', 'r1', { retain: true, qos: 1 });
      const wide: Got = [];
      const narrow: Got = [];
      const second: Got = [];
      await b.subscribe('ov/#', (t, p) => void wide.push([t, p])).ready;
      await b.subscribe('ov/+', (t, p) => void narrow.push([t, p])).ready;
      await eventually(() => wide.length === 1 && narrow.length === 1, 3000, 'retained');
      await a.publish('ov/k', 'r2', { retain: true, qos: 1 });
      await a.publish('ov/x', 'live', { qos: 1 });
      await eventually(() => wide.length === 3 && narrow.length === 3, 3000, 'live');
      const late = b.subscribe('ov/+', (t, p) => void second.push([t, p]));
      await late.ready;
      await a.publish('ov/x', 'after', { qos: 1 });
      await eventually(() => narrow.length === 4, 3000, 'after');
      await new Promise((r) => setTimeout(r, 50)); // room for a duplicate to show up
      expect(wide).toEqual([
        ['ov/k', 'r1'],
        ['ov/k', 'r2'],
        ['ov/x', 'live'],
        ['ov/x', 'after'],
      ]);
      expect(narrow).toEqual(wide);
      // [MQC-2] On 3.1.1 the live r2 did not say it was retained, so the cache dropped ov/k.
      const retainedSeen = v === 5 ? [['ov/k', 'r2']] : [];
      expect(second).toEqual([...retainedSeen, ['ov/x', 'after']]);
    });
  }

  it('[MQC-3] reconnects after a Mosquitto restart, subscribes again, gets the retained state again', async () => {
    const broker = await mosquitto();
    cleanups.push(() => broker.close());
    const events: MessagingEvent[] = [];
    const a = await connected(broker.url, 5);
    const b = await connected(broker.url, 5);
    b.events.on((e) => void events.push(e));
    const got: Got = [];
    await b.subscribe('state/#', (t, p) => void got.push([t, p])).ready;
    await a.publish('state/mode', 'paused', { retain: true, qos: 1 });
    await eventually(() => got.length === 1, 3000, 'retained before restart');
    await broker.m.restart();
    await eventually(() => a.online && b.online && b.stats.reconnects === 1, 5000, 'reconnect');
    // The broker kept the retained message (persistence); the new subscription receives it.
    await eventually(() => got.length === 2, 3000, 'retained after restart');
    expect(got[1]).toEqual(['state/mode', 'paused']);
    await a.publish('state/live', 1, { qos: 1 });
    await eventually(() => got.length === 3, 3000, 'live after restart');
    expect(got[2]).toEqual(['state/live', 1]);
    expect(events.map((e) => e.type)).toEqual(['ConnectionChanged', 'ConnectionChanged']);
    expect(events.map((e) => (e as { state: string }).state)).toEqual(['lost', 'reconnected']);
  });

  it('[MQC-4] buffers at most offlineLimit while the broker is down, drops the oldest, counts both', async () => {
    const broker = await mosquitto();
    cleanups.push(() => broker.close());
    const a = await connected(broker.url, 5, { offlineLimit: 3 });
    const b = await connected(broker.url, 5);
    const got: unknown[] = [];
    await b.subscribe('buf/+', (_t, p) => void got.push(p)).ready;
    const restarted = broker.m.restart(); // kills first, then starts again
    await eventually(() => !a.online, 3000, 'connection lost');
    const outcomes = [1, 2, 3, 4, 5].map((i) =>
      a.publish(`buf/${i}`, i, { qos: 1, retain: true }).then(
        () => 'sent',
        (e: { code?: string }) => e.code,
      ),
    );
    expect(a.stats.offlineBuffered).toBe(3);
    expect(a.stats.offlineDropped).toBe(2);
    await restarted;
    expect(await Promise.all(outcomes)).toEqual([
      ErrorCode.OFFLINE_BUFFER_FULL,
      ErrorCode.OFFLINE_BUFFER_FULL,
      'sent',
      'sent',
      'sent',
    ]);
    // Retained, so b gets them whether it subscribes again before or after a's flush.
    await eventually(() => got.length === 3, 10_000, 'buffered messages');
    expect(got).toEqual([3, 4, 5]);
    expect(a.stats.offlineBuffered).toBe(0);
  });

  it('[MQC-5] connect() fails at once with MQTT_CONNECT_FAILED when nothing listens', async () => {
    const broker = await aedes();
    const url = broker.url;
    await broker.close(); // the port is free now
    const c = new MqttConnector({ url, protocolVersion: 4 });
    const started = Date.now();
    await expect(c.connect()).rejects.toMatchObject({ code: ErrorCode.MQTT_CONNECT_FAILED });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(thrownCode(() => c.subscribe('a', () => {}))).toBe(ErrorCode.NOT_CONNECTED);
  });

  it('MQTT 5 message expiry: Mosquitto drops an expired retained message', async () => {
    const broker = await mosquitto();
    cleanups.push(() => broker.close());
    const a = await connected(broker.url, 5);
    await a.publish('exp/short', 'soon gone', { retain: true, qos: 1, expirySeconds: 1 });
    await a.publish('exp/long', 'kept', { retain: true, qos: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    const b = await connected(broker.url, 5);
    const got: Got = [];
    await b.subscribe('exp/#', (t, p) => void got.push([t, p])).ready;
    await eventually(() => got.length >= 1, 3000, 'retained');
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([['exp/long', 'kept']]);
  });
});
