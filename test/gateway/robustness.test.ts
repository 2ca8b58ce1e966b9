/**
 * What a bad client cannot do [GW-1] [GW-7]: invalid JSON, unknown types, schema violations
 * and binary messages are error frames; an oversized message closes only its own socket
 * (1009); a flood is refused then closed with 4429; 100,000 bad frames from a client that
 * does not even read its errors leave the server alive, its memory bounded and another
 * client's events intact; a peer that stops answering pings is terminated; a client that
 * reads events too slowly is closed with 4503 and resumes without losing any.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, Gateway } from '../../src/gateway/index.js';
import { TestClient, sleep } from './client.js';

const open: Gateway[] = [];
async function start(options: Partial<ConstructorParameters<typeof Gateway>[0]> = {}) {
  const gateway = new Gateway({ auth: { mode: 'none' }, ...options });
  open.push(gateway);
  const { url } = await gateway.listen();
  return { gateway, url };
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('bad messages', () => {
  it('each is an error frame with its code, and the session goes on', async () => {
    const { url } = await start();
    const c = await TestClient.open(url);
    const cases: Array<[string | Buffer, string]> = [
      ['{not json', 'CASCADE_ERR_BAD_JSON'],
      [Buffer.from([1, 2, 3]), 'CASCADE_ERR_BAD_JSON'],
      ['42', 'CASCADE_ERR_UNKNOWN_MESSAGE'],
      ['null', 'CASCADE_ERR_UNKNOWN_MESSAGE'],
      ['{"type":"launch-missiles"}', 'CASCADE_ERR_UNKNOWN_MESSAGE'],
      ['{"type":"subscribe"}', 'CASCADE_ERR_INVALID_MESSAGE'],
      ['{"type":"subscribe","streams":["everything"]}', 'CASCADE_ERR_INVALID_MESSAGE'],
      ['{"type":"subscribe","streams":["events"],"extra":1}', 'CASCADE_ERR_INVALID_MESSAGE'],
      ['{"type":"resume","epoch":"e","lastSeq":-1}', 'CASCADE_ERR_INVALID_MESSAGE'],
      ['{"type":"control","id":{},"cmd":"pause"}', 'CASCADE_ERR_INVALID_MESSAGE'],
    ];
    for (const [data, code] of cases) {
      c.ws.send(data);
      expect(await c.nextOf('error'), String(data)).toMatchObject({ code });
    }
    c.send({ type: 'subscribe', streams: ['events'] });
    expect(await c.nextOf('subscribed')).toMatchObject({ streams: ['events'] });
    await c.close();
  });

  it('an oversized message closes that socket with 1009; the others are untouched', async () => {
    const { gateway, url } = await start({ limits: { maxPayload: 1024 } });
    const big = await TestClient.open(url);
    const good = await TestClient.open(url);
    good.send({ type: 'subscribe', streams: ['events'] });
    await good.nextOf('subscribed');
    big.ws.send('x'.repeat(4096));
    expect((await big.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    gateway.publishEvent('still-here', null);
    expect(await good.nextOf('event')).toMatchObject({ event: 'still-here' });
    await good.close();
  });

  it('a flood is refused with RATE_LIMITED errors, then closed with 4429', async () => {
    const { gateway, url } = await start({
      limits: { ratePerSec: 10, burst: 10, floodStrikes: 20 },
    });
    const c = await TestClient.open(url);
    for (let i = 0; i < 1000; i++) c.send({ type: 'subscribe', streams: ['events'] });
    expect(await c.closed).toEqual({ code: CloseCode.RATE_LIMITED, reason: 'rate limit exceeded' });
    const limited = c.inbox.filter((m) => m.type === 'error');
    expect(limited.length).toBe(20);
    expect(limited.every((m) => m.code === 'CASCADE_ERR_RATE_LIMITED')).toBe(true);
    expect(c.inbox.filter((m) => m.type === 'subscribed').length).toBe(10); // the burst
    expect(gateway.stats.closedRateLimited).toBe(1);
  });

  it('100,000 bad frames from a client that reads nothing: server alive, memory bounded, events intact', async () => {
    const { gateway, url } = await start({
      limits: { ratePerSec: 1e9, burst: 1e9, stateBufferedBytes: 64 * 1024 },
    });
    const good = await TestClient.open(url);
    good.send({ type: 'subscribe', streams: ['events'] });
    await good.nextOf('subscribed');
    const hostile = await TestClient.open(url);
    (hostile.ws as unknown as { _socket: Socket })._socket.pause(); // reads none of its errors
    const heap0 = process.memoryUsage().heapUsed;
    const bad = ['{oops', '{"type":"nope"}', '{"type":"viewport","x":"a"}', '[]'];
    let sent = 0;
    const flood = (async () => {
      while (sent < 100_000) {
        for (let k = 0; k < 1000; k++) hostile.ws.send(bad[sent++ % bad.length]);
        await sleep(0);
      }
    })();
    const events = 200;
    for (let i = 0; i < events; i++) {
      gateway.publishEvent('beat', { i });
      if (i % 20 === 0) await sleep(1);
    }
    await flood;
    await until(() => gateway.stats.messagesIn >= 100_000, 30_000, 'the flood to be read');
    const growth = process.memoryUsage().heapUsed - heap0;
    const seqs: number[] = [];
    for (let i = 0; i < events; i++) seqs.push((await good.nextOf('event')).seq as number);
    expect(seqs).toEqual(Array.from({ length: events }, (_, k) => k + 1));
    const s = gateway.stats;
    expect(s.errorsSent + s.errorsDropped).toBeGreaterThanOrEqual(100_000);
    expect(s.errorsDropped).toBeGreaterThan(0); // [GW-7] not buffered for a deaf client
    const hostileStats = gateway.sessionStats().find((x) => x.id === hostile.hello.session)!;
    expect(hostileStats.bufferedAmount).toBeLessThan(64 * 1024 + 4096);
    // Rough: the flood's garbage is young and mostly collected; nothing grows per frame.
    expect(growth).toBeLessThan(64 * 1024 * 1024);
    const late = await TestClient.open(url); // still accepting
    expect(late.hello.type).toBe('hello');
    await late.close();
    hostile.ws.terminate();
    await good.close();
  });
});

describe('liveness', () => {
  it('a peer that stops answering pings is terminated; a live one stays', async () => {
    const { gateway, url } = await start({ heartbeatMs: 100, heartbeatMisses: 2 });
    const deaf = await TestClient.open(url, { autoPong: false });
    const alive = await TestClient.open(url);
    expect((await deaf.closed).code).toBe(1006); // terminated: no close frame
    expect(gateway.stats.heartbeatTimeouts).toBe(1);
    await sleep(300);
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
    await alive.close();
  });

  it('a slow event reader is closed with 4503 and resumes without losing an event', async () => {
    const { gateway, url } = await start({ limits: { maxBufferedBytes: 32 * 1024 } });
    const c = await TestClient.open(url);
    c.send({ type: 'subscribe', streams: ['events'] });
    await c.nextOf('subscribed');
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const payload = 'x'.repeat(2000);
    for (let i = 1; i <= 3000 && gateway.stats.closedSlowConsumer === 0; i++) {
      gateway.publishEvent('big', { i, payload });
      if (i % 50 === 0) await sleep(1);
    }
    expect(gateway.stats.closedSlowConsumer).toBe(1);
    const total = gateway.lastSeq;
    for (let i = 0; i < 5; i++) gateway.publishEvent('big', { i: total + i + 1, payload });
    socket.resume();
    expect((await c.closed).code).toBe(CloseCode.SLOW_CONSUMER);
    const got = c.inbox.filter((m) => m.type === 'event').map((m) => m.seq as number);
    const lastSeq = got.length === 0 ? 0 : got[got.length - 1];
    expect(got).toEqual(Array.from({ length: got.length }, (_, k) => k + 1)); // a prefix, in order
    const again = await TestClient.open(url);
    again.send({ type: 'resume', epoch: gateway.epoch, lastSeq });
    const resumed = await again.nextOf('resumed', 5000);
    expect(resumed).toMatchObject({
      from: lastSeq + 1,
      to: total + 5,
      replayed: total + 5 - lastSeq,
    });
    const replayed = again.inbox.filter((m) => m.type === 'event').map((m) => m.seq as number);
    expect([...got, ...replayed]).toEqual(Array.from({ length: total + 5 }, (_, k) => k + 1));
    await again.close();
  });
});

describe('paced catch-up', () => {
  it('a resume into a deaf socket is paced; events evicted meanwhile become a gap; each seq once', async () => {
    const stateBufferedBytes = 64 * 1024;
    const { gateway, url } = await start({ replay: 2000, limits: { stateBufferedBytes } });
    const payload = 'y'.repeat(4000);
    for (let i = 1; i <= 2000; i++) gateway.publishEvent('old', { i, payload });
    const c = await TestClient.open(url);
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    c.send({ type: 'resume', epoch: gateway.epoch, lastSeq: 0 });
    let maxBuffered = 0;
    for (let i = 2001; i <= 5000; i++) {
      gateway.publishEvent('new', { i, payload }); // evicts what the cursor has not reached
      if (i % 100 === 0) {
        await sleep(5);
        const me = gateway.sessionStats().find((s) => s.id === c.hello.session);
        maxBuffered = Math.max(maxBuffered, me?.bufferedAmount ?? 0);
      }
    }
    expect(maxBuffered).toBeLessThan(stateBufferedBytes + 3 * 4096); // paced, not dumped
    socket.resume();
    const resumed = await c.nextOf('resumed', 10_000);
    expect(resumed).toMatchObject({ from: 1, to: 5000 });
    // Everything before `resumed`, in arrival order: every seq exactly once, as an event or
    // inside an announced gap.
    const seen: number[] = [];
    for (const m of c.inbox) {
      if (m.type === 'event') seen.push(m.seq as number);
      if (m.type === 'gap') for (let q = m.from as number; q <= (m.to as number); q++) seen.push(q);
    }
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, k) => k + 1));
    expect(c.inbox.some((m) => m.type === 'gap')).toBe(true);
    expect(resumed.replayed).toBe(c.inbox.filter((m) => m.type === 'event').length);
    c.inbox.length = 0;
    gateway.publishEvent('live', { i: 5001 }); // live again, after the catch-up
    expect(await c.nextOf('event')).toMatchObject({ seq: 5001, event: 'live' });
    await c.close();
  });
});
