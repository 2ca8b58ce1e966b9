/**
 * The gateway over real sockets: the handshake, the events stream (live, resume exactly
 * once after a cut, gap, epoch-changed), graceful close with its code and no leaked handles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CloseCode, Gateway, PROTOCOL } from '../../src/gateway/index.js';
import { TestClient, sleep } from './client.js';

const open: Gateway[] = [];
async function start(options: Partial<ConstructorParameters<typeof Gateway>[0]> = {}) {
  const gateway = new Gateway({ auth: { mode: 'none' }, port: 0, ...options });
  open.push(gateway);
  const { url } = await gateway.listen();
  return { gateway, url };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

describe('handshake', () => {
  it('hello names the protocol, the session, the epoch and the streams', async () => {
    const { gateway, url } = await start();
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    const c = await TestClient.open(url);
    expect(c.ws.protocol).toBe(PROTOCOL);
    expect(c.hello).toMatchObject({
      type: 'hello',
      protocol: 'cascade.gateway.v1',
      epoch: gateway.epoch,
      role: 'admin',
      streams: ['events'],
      state: null,
      control: null,
      collab: null,
      events: { lastSeq: 0, oldestSeq: 1, capacity: 10_000 },
    });
    expect(c.hello.session).toMatch(/\S+/);
    const other = await TestClient.open(url);
    expect(other.hello.session).not.toBe(c.hello.session);
    expect(other.hello.epoch).toBe(c.hello.epoch);
    expect(new Gateway({ auth: { mode: 'none' } }).epoch).not.toBe(gateway.epoch);
    await c.close();
    await other.close();
  });

  it('a client that offers only another subprotocol is refused by the client check', async () => {
    const { url } = await start();
    const ws = new WebSocket(url, ['other.v9']);
    const error = await new Promise<Error>((ok) => ws.once('error', ok));
    expect(error.message).toMatch(/subprotocol/i);
  });

  it('a client offering no subprotocol is accepted; other paths get 404', async () => {
    const { url } = await start();
    const c = await TestClient.open(url, { protocols: [] });
    expect(c.hello.protocol).toBe(PROTOCOL);
    await c.close();
    const res = await fetch(url.replace('ws:', 'http:').replace('/ws', '/nothing'));
    expect(res.status).toBe(404);
    await res.text();
  });
});

describe('events', () => {
  it('subscribers get every event in order with consecutive sequence numbers', async () => {
    const { gateway, url } = await start();
    const c = await TestClient.open(url);
    c.send({ type: 'subscribe', streams: ['events'] });
    await c.nextOf('subscribed');
    for (let i = 0; i < 100; i++) gateway.publishEvent('tick', { i });
    for (let i = 0; i < 100; i++) {
      const e = await c.nextOf('event');
      expect(e).toMatchObject({ seq: i + 1, event: 'tick', data: { i } });
      expect(typeof e.time).toBe('number');
    }
    await c.close();
  });

  it('resume after a cut delivers every missed event exactly once', async () => {
    const { gateway, url } = await start();
    const a = await TestClient.open(url);
    a.send({ type: 'subscribe', streams: ['events'] });
    await a.nextOf('subscribed');
    for (let i = 1; i <= 10; i++) gateway.publishEvent('tick', { i });
    let lastSeq = 0;
    for (let i = 0; i < 10; i++) lastSeq = (await a.nextOf('event')).seq as number;
    expect(lastSeq).toBe(10);
    a.ws.terminate(); // the cut
    await a.closed;
    for (let i = 11; i <= 25; i++) gateway.publishEvent('tick', { i }); // missed
    const b = await TestClient.open(url);
    b.send({ type: 'resume', epoch: a.hello.epoch, lastSeq });
    const seqs: number[] = [];
    for (let i = 0; i < 15; i++) seqs.push((await b.nextOf('event')).seq as number);
    expect(await b.nextOf('resumed')).toMatchObject({ from: 11, to: 25, replayed: 15 });
    gateway.publishEvent('tick', { i: 26 }); // live after the replay
    seqs.push((await b.nextOf('event')).seq as number);
    expect(seqs).toEqual(Array.from({ length: 16 }, (_, k) => 11 + k));
    await sleep(50);
    expect(b.inbox.filter((m) => m.type === 'event')).toEqual([]); // nothing twice
    expect(b.inbox.filter((m) => m.type === 'gap')).toEqual([]);
    await b.close();
  });

  it('events past the replay buffer are reported as an explicit gap', async () => {
    const { gateway, url } = await start({ replay: 5 });
    for (let i = 1; i <= 12; i++) gateway.publishEvent('tick', { i });
    const c = await TestClient.open(url);
    expect(c.hello.events).toEqual({ lastSeq: 12, oldestSeq: 8, capacity: 5 });
    c.send({ type: 'resume', epoch: gateway.epoch, lastSeq: 3 });
    expect(await c.nextOf('gap')).toEqual({ type: 'gap', from: 4, to: 7 });
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) seqs.push((await c.nextOf('event')).seq as number);
    expect(seqs).toEqual([8, 9, 10, 11, 12]);
    expect(await c.nextOf('resumed')).toMatchObject({ from: 4, to: 12, replayed: 5 });
    await c.close();
  });

  it('another epoch is answered with epoch-changed, then live events', async () => {
    const { gateway, url } = await start();
    gateway.publishEvent('before', null);
    const c = await TestClient.open(url);
    c.send({ type: 'resume', epoch: 'an-old-instance', lastSeq: 500 });
    expect(await c.nextOf('epoch-changed')).toEqual({
      type: 'epoch-changed',
      epoch: gateway.epoch,
      lastSeq: 1,
    });
    gateway.publishEvent('after', null);
    expect(await c.nextOf('event')).toMatchObject({ seq: 2, event: 'after' });
    await c.close();
  });

  it('a lastSeq ahead of the epoch is an error, not a silent subscription', async () => {
    const { gateway, url } = await start();
    const c = await TestClient.open(url);
    c.send({ type: 'resume', epoch: gateway.epoch, lastSeq: 9 });
    expect(await c.nextOf('error')).toMatchObject({ code: 'CASCADE_ERR_INVALID_MESSAGE' });
    await c.close();
  });

  it('an event whose data is not JSON throws and takes no sequence number', async () => {
    const { gateway } = await start();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => gateway.publishEvent('bad', cyclic)).toThrow(TypeError);
    expect(() => gateway.publishEvent('', 1)).toThrow(/event type/);
    expect(gateway.publishEvent('ok', 1)).toBe(1);
  });
});

describe('close', () => {
  it('sends every client a close frame with the code and leaves no handle behind', async () => {
    await sleep(100); // the previous tests' servers finish closing
    const before = new Set(process.getActiveResourcesInfo());
    const countOf = (list: string[]) =>
      list.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});
    const base = countOf(process.getActiveResourcesInfo());
    const gateway = new Gateway({
      auth: { mode: 'none' },
      state: { width: 4, height: 4, snapshot: () => {} },
      heartbeatMs: 50,
    });
    const { url } = await gateway.listen();
    const a = await TestClient.open(url);
    const b = await TestClient.open(url);
    a.send({ type: 'subscribe', streams: ['state', 'events'] });
    await a.nextOf('subscribed');
    const during = countOf(process.getActiveResourcesInfo());
    // The check below means something: the server, its sockets and timers were counted.
    expect(during.TCPServerWrap ?? 0).toBeGreaterThan(base.TCPServerWrap ?? 0);
    expect(during.Timeout ?? 0).toBeGreaterThanOrEqual((base.Timeout ?? 0) + 2); // tick, heartbeat
    await gateway.close(4000, 'maintenance');
    expect(await a.closed).toEqual({ code: 4000, reason: 'maintenance' });
    expect(await b.closed).toEqual({ code: 4000, reason: 'maintenance' });
    await gateway.close(); // idempotent
    await sleep(20);
    const after = countOf(process.getActiveResourcesInfo());
    for (const [kind, n] of Object.entries(after)) {
      expect(n, `${kind} handles after close`).toBeLessThanOrEqual(base[kind] ?? 0);
    }
    expect(before.size).toBeGreaterThan(0);
  });

  it('closes with 1001 (going away) by default', async () => {
    const gateway = new Gateway({ auth: { mode: 'none' } });
    const { url } = await gateway.listen();
    const c = await TestClient.open(url);
    await gateway.close();
    expect((await c.closed).code).toBe(CloseCode.GOING_AWAY);
  });
});
