/**
 * A gateway attached to the application's own HTTP server takes only the upgrades on its
 * path and leaves requests alone; the event log's ring keeps exactly the newest events.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EventLog, Gateway, GatewayInsecureError, TokenBucket } from '../../src/gateway/index.js';
import { TestClient } from './client.js';

describe('attached to an existing server', () => {
  it('serves its path; the server keeps its own requests; close leaves the server running', async () => {
    const server = createServer((_req, res) => res.end('app'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    const gateway = new Gateway({ server, path: '/live', auth: { mode: 'none' } });
    const { url } = await gateway.listen();
    expect(url).toBe(`ws://127.0.0.1:${port}/live`);
    const c = await TestClient.open(url);
    expect(c.hello.type).toBe('hello');
    const res = await fetch(`http://127.0.0.1:${port}/anything`);
    expect(await res.text()).toBe('app');
    await gateway.close();
    expect((await c.closed).code).toBe(1001);
    expect(server.listening).toBe(true);
    await new Promise((ok) => server.close(ok));
  });

  it("an attached server bound to every interface refuses auth 'none' at listen()", async () => {
    const server = createServer();
    // Bound, never connected to: the check reads the address the server really has.
    await new Promise<void>((ok) => server.listen(0, '0.0.0.0', ok));
    const gateway = new Gateway({ server, auth: { mode: 'none' } });
    await expect(gateway.listen()).rejects.toThrow(GatewayInsecureError);
    await gateway.close();
    expect(server.listening).toBe(true); // not the gateway's to close
    await new Promise((ok) => server.close(ok));
  });
});

describe('EventLog', () => {
  it('keeps the newest capacity events and reports the gap before them', () => {
    const log = new EventLog(3);
    expect(log.since(0)).toEqual({ gap: null, texts: [] });
    for (let i = 1; i <= 7; i++) log.append('e', i, 0);
    expect([log.oldestSeq, log.lastSeq, log.size]).toEqual([5, 7, 3]);
    const r = log.since(2);
    expect(r.gap).toEqual({ from: 3, to: 4 });
    expect(r.texts.map((t) => (JSON.parse(t) as { seq: number }).seq)).toEqual([5, 6, 7]);
    expect(log.since(6).texts.length).toBe(1);
    expect(log.since(7)).toEqual({ gap: null, texts: [] });
    expect(() => new EventLog(0)).toThrow(/events.replay/);
  });
});

describe('TokenBucket', () => {
  it('allows the burst, then the rate', () => {
    let t = 0;
    const bucket = new TokenBucket(10, 5, () => t);
    let taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(5);
    t += 1000; // one second: 10 tokens, capped at the burst
    taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(5);
    t += 100;
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });
});
