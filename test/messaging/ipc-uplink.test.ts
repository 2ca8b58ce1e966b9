/**
 * The worker uplink [UPL-1..4]: the connector conformance suite over real MessagePorts (both
 * connectors of a pair bridged to one broker), and real worker threads that publish thousands
 * of messages (order, exact drop count when saturated) and receive control messages.
 *
 * Workers run the TypeScript fixture through a tiny tsx bootstrap (fixtures/ts-worker.mjs),
 * so the test exercises the current sources, never a stale dist/ build.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/runtime/event-bus.js';
import type { MessagingEvent, UplinkBridge, UplinkStats } from '../../src/messaging/index.js';
import {
  IpcUplinkConnector,
  LocalBroker,
  LocalBus,
  bridgeUplink,
} from '../../src/messaging/index.js';
import { describeConnector, eventually } from './connector.conformance.js';
import { CascadeError, ErrorCode, ProtocolError, SubscribeRefusedError } from '../../src/errors.js';

describeConnector('IpcUplinkConnector', async () => {
  const failures = new EventBus<MessagingEvent>();
  const broker = new LocalBroker({ bus: failures });
  const bridges: UplinkBridge[] = [];
  const side = async (name: string): Promise<IpcUplinkConnector> => {
    const main = new LocalBus({ broker, name: `main-${name}` });
    await main.connect();
    const { port1, port2 } = new MessageChannel();
    bridges.push(bridgeUplink(port1, main, { name: `bridge-${name}` }));
    return new IpcUplinkConnector({ port: port2, name, events: failures });
  };
  return {
    a: await side('a'),
    b: await side('b'),
    failures,
    close: () => {
      for (const b of bridges) b.close();
      return Promise.resolve();
    },
  };
});

interface Started {
  worker: Worker;
  bridge: UplinkBridge;
  bus: LocalBus;
  done: Promise<UplinkStats>;
  exited: Promise<number>;
}

async function startWorker(data: Record<string, unknown>): Promise<Started> {
  const bus = new LocalBus({ broker: new LocalBroker(), name: 'main' });
  await bus.connect();
  const { port1, port2 } = new MessageChannel();
  const bridge = bridgeUplink(port1, bus);
  const worker = new Worker(new URL('./fixtures/ts-worker.mjs', import.meta.url), {
    workerData: {
      entry: new URL('./fixtures/uplink-worker.ts', import.meta.url).href,
      port: port2,
      ...data,
    },
    transferList: [port2],
  });
  const done = new Promise<UplinkStats>((resolve, reject) => {
    worker.on('message', (m: { type: string; stats?: UplinkStats }) => {
      if (m.type === 'done') resolve(m.stats!);
    });
    worker.on('error', reject);
  });
  const exited = new Promise<number>((resolve) => worker.on('exit', resolve));
  return { worker, bridge, bus, done, exited };
}

describe('IpcUplinkConnector in a real worker thread', () => {
  it('[UPL-1] delivers thousands of messages to the main bus in publish order', async () => {
    const n = 20_000;
    const got: number[] = [];
    const topics = new Set<string>();
    const w = await startWorker({ mode: 'ordered', n, batchSize: 128, maxInFlight: 1000 });
    w.bus.subscribe('telemetry/#', (t, p) => {
      topics.add(t);
      got.push((p as { i: number }).i);
    });
    const stats = await w.done;
    expect(stats).toMatchObject({ published: n, dropped: 0, inFlight: 0 });
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(topics.size).toBe(10);
    expect(w.bridge.stats).toMatchObject({ messages: n, failed: 0 });
    expect(await w.exited).toBe(0); // disconnect let the thread end by itself
    w.bridge.close();
  });

  it('[UPL-2] drops exactly what does not fit when the port is saturated', async () => {
    const n = 10_000;
    const maxInFlight = 1_500;
    const again = 700;
    const got: number[] = [];
    const w = await startWorker({ mode: 'saturate', n, again, batchSize: 64, maxInFlight });
    w.bus.subscribe('telemetry/w', (_t, p) => void got.push((p as { i: number }).i));
    const stats = await w.done;
    // One synchronous burst: nothing can be acknowledged meanwhile, so exactly maxInFlight
    // messages are accepted; the second burst, after the acks, fits entirely.
    expect(stats).toEqual({
      published: maxInFlight + again,
      dropped: n - maxInFlight,
      batches: Math.ceil(maxInFlight / 64) + Math.ceil(again / 64),
      inFlight: 0,
    });
    const expected = [
      ...Array.from({ length: maxInFlight }, (_, i) => i),
      ...Array.from({ length: again }, (_, i) => n + i),
    ];
    expect(got).toEqual(expected);
    expect(got.length + stats.dropped).toBe(n + again);
    expect(await w.exited).toBe(0);
    w.bridge.close();
  });

  it('carries control messages down, retained first, and replies up', async () => {
    const w = await startWorker({ mode: 'control', n: 0 });
    await w.bus.publish('control/period', 5000, { retain: true });
    const replies: unknown[] = [];
    w.bus.subscribe('reply/+', (_t, p) => void replies.push(p));
    await new Promise<void>((resolve) =>
      w.worker.on('message', (m: { type: string }) => m.type === 'subscribed' && resolve()),
    );
    await w.bus.publish('control/pause', true);
    await w.bus.publish('other/topic', 'not forwarded');
    await w.bus.publish('control/resume', { at: 12 });
    await eventually(() => replies.length === 3);
    expect(replies).toEqual([
      { topic: 'control/period', payload: 5000 }, // retained, before live [CON-4]
      { topic: 'control/pause', payload: true },
      { topic: 'control/resume', payload: { at: 12 } },
    ]);
    expect(w.bridge.stats.subscriptions).toBe(1);
    await w.bus.publish('control/stop', null);
    await w.done;
    expect(await w.exited).toBe(0);
    expect(w.bridge.stats.subscriptions).toBe(0); // the worker's disconnect freed it
    expect(w.bus.broker.trieNodeCount).toBe(3); // root + reply/+ (the main side's own) are left
    w.bridge.close();
  });
});

describe('uplink failure paths [UPL-4]', () => {
  it('drops and reports a payload that cannot be cloned, keeping the rest of the batch', async () => {
    const bus = new LocalBus({ broker: new LocalBroker() });
    await bus.connect();
    const { port1, port2 } = new MessageChannel();
    const bridge = bridgeUplink(port1, bus);
    const events: MessagingEvent[] = [];
    const uplink = new IpcUplinkConnector({ port: port2 });
    uplink.events.on((e) => void events.push(e));
    await uplink.connect();
    const got: unknown[] = [];
    bus.subscribe('t/+', (_t, p) => void got.push(p));
    void uplink.publish('t/1', 1);
    void uplink.publish('t/2', () => 'functions cannot be cloned');
    void uplink.publish('t/3', 3);
    await uplink.flush();
    expect(got).toEqual([1, 3]);
    expect(uplink.stats).toMatchObject({ published: 2, dropped: 1 });
    expect(events).toEqual([expect.objectContaining({ type: 'PublishFailed', topic: 't/2' })]);
    await uplink.disconnect();
    bridge.close();
  });

  it('reports garbage on the port and refused subscriptions instead of throwing', async () => {
    const bus = new LocalBus({ broker: new LocalBroker() });
    await bus.connect();
    const { port1, port2 } = new MessageChannel();
    const bridge = bridgeUplink(port1, bus, { allowSubscribe: (p) => p.startsWith('control/') });
    const bridgeEvents: MessagingEvent[] = [];
    bridge.events.on((e) => void bridgeEvents.push(e));
    port2.postMessage({ type: 'nonsense' });
    port2.postMessage({ type: 'batch', topics: ['a/+'], payloads: [1], retain: [] });
    const uplink = new IpcUplinkConnector({ port: port2 });
    const uplinkEvents: MessagingEvent[] = [];
    uplink.events.on((e) => void uplinkEvents.push(e));
    await uplink.connect();
    const refused = uplink.subscribe('secrets/#', () => {});
    await expect(refused.ready).rejects.toThrow(/not allowed/);
    expect(uplinkEvents).toEqual([
      expect.objectContaining({ type: 'SubscribeFailed', pattern: 'secrets/#' }),
    ]);
    await eventually(() => bridge.stats.failed === 2);
    expect(bridgeEvents.map((e) => e.type)).toEqual(['PublishFailed', 'PublishFailed']);
    await uplink.disconnect();
    bridge.close();
  });

  it('a refused subscription rejects with a typed error with a code [UPL-5]', async () => {
    const bus = new LocalBus({ broker: new LocalBroker() });
    await bus.connect();
    const { port1, port2 } = new MessageChannel();
    const bridge = bridgeUplink(port1, bus, { allowSubscribe: (p) => p.startsWith('control/') });
    const uplink = new IpcUplinkConnector({ port: port2, name: 'shard-1' });
    const events: MessagingEvent[] = [];
    uplink.events.on((e) => void events.push(e));
    await uplink.connect();
    const error = await uplink
      .subscribe('secrets/#', () => {})
      .ready!.then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(SubscribeRefusedError);
    expect(error).toBeInstanceOf(CascadeError);
    expect(error).toMatchObject({
      name: 'SubscribeRefusedError',
      code: ErrorCode.SUBSCRIBE_REFUSED,
      message: 'subscription to secrets/# refused (connector shard-1): not allowed by the bridge',
      details: { connector: 'shard-1', pattern: 'secrets/#', reason: 'not allowed by the bridge' },
    });
    expect(events).toEqual([expect.objectContaining({ type: 'SubscribeFailed', error })]);
    await uplink.disconnect();
    bridge.close();
  });

  it("a subscription the main connector fails carries the main side's code [UPL-5]", async () => {
    const bus = new LocalBus({ broker: new LocalBroker(), name: 'main' }); // never connected
    const { port1, port2 } = new MessageChannel();
    const bridge = bridgeUplink(port1, bus);
    const uplink = new IpcUplinkConnector({ port: port2 });
    await uplink.connect();
    await expect(uplink.subscribe('control/#', () => {}).ready).rejects.toMatchObject({
      code: ErrorCode.SUBSCRIBE_REFUSED,
      details: { pattern: 'control/#', remoteCode: ErrorCode.NOT_CONNECTED },
    });
    await uplink.disconnect();
    bridge.close();
  });

  it('a closed bridge ends the uplink: flush resolves, later batches count as dropped', async () => {
    const bus = new LocalBus({ broker: new LocalBroker() });
    await bus.connect();
    const { port1, port2 } = new MessageChannel();
    const bridge = bridgeUplink(port1, bus);
    const uplink = new IpcUplinkConnector({ port: port2 });
    await uplink.connect();
    void uplink.publish('x', 1);
    await uplink.flush();
    bridge.close();
    await eventually(() => {
      try {
        void uplink.publish('x', 2);
        return false;
      } catch {
        return true; // NOT_CONNECTED once the peer closed
      }
    });
    await uplink.flush(); // resolves, does not hang
    expect(uplink.stats.published).toBe(1);
  });
});

describe('bridgeUplink with bad input from the port', () => {
  it('reports a malformed batch as PublishFailed and goes on bridging [UPL-4]', async () => {
    const broker = new LocalBroker();
    const bus = new LocalBus({ broker });
    await bus.connect();
    const { port1, port2 } = new MessageChannel();
    const bridge = bridgeUplink(port1, bus);
    const failed: MessagingEvent[] = [];
    bridge.events.on((e) => {
      if (e.type === 'PublishFailed') failed.push(e);
    });
    const got: unknown[] = [];
    bus.subscribe('ok/#', (_t, p) => {
      got.push(p);
    });
    port2.postMessage({ type: 'batch' });
    port2.postMessage({ type: 'batch', topics: [1], payloads: [2], retain: [] });
    const worker = new IpcUplinkConnector({ port: port2 });
    await worker.connect();
    void worker.publish('ok/1', 'still bridging');
    await worker.flush();
    await eventually(() => got.length === 1);
    expect(got).toEqual(['still bridging']);
    expect(failed).toHaveLength(2);
    for (const e of failed) {
      expect(e.type === 'PublishFailed' && (e.error as CascadeError).code).toBe(
        ErrorCode.INVALID_MESSAGE,
      );
    }
    await worker.disconnect();
    bridge.close();
    await bus.disconnect();
  });

  it('reports a message of no known type with a coded ProtocolError, both ways [UPL-4]', async () => {
    const broker = new LocalBroker();
    const bus = new LocalBus({ broker });
    await bus.connect();
    const { port1, port2 } = new MessageChannel();
    const bridge = bridgeUplink(port1, bus, { name: 'b1' });
    const bridgeFailed: unknown[] = [];
    bridge.events.on((e) => {
      if (e.type === 'PublishFailed') bridgeFailed.push(e.error);
    });
    const worker = new IpcUplinkConnector({ port: port2 });
    const workerFailed: unknown[] = [];
    worker.events.on((e) => {
      if (e.type === 'PublishFailed') workerFailed.push(e.error);
    });
    await worker.connect();
    port2.postMessage({ type: 'hello', from: 'the future' }); // up, to the bridge
    port1.postMessage({ type: 'greetings' }); // down, to the worker
    await eventually(() => bridgeFailed.length === 1 && workerFailed.length === 1);
    for (const error of [...bridgeFailed, ...workerFailed]) {
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).code).toBe(ErrorCode.UNKNOWN_MESSAGE);
    }
    expect((bridgeFailed[0] as ProtocolError).message).toContain('hello');
    await worker.disconnect();
    bridge.close();
    await bus.disconnect();
  });
});
