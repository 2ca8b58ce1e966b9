// The http provider against a real HTTP server on 127.0.0.1: bodies, typed non-2xx errors,
// the engine's retry policy, timeouts and cancellation. [HTTP-1, HTTP-2]
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Engine, task, type EngineEvent } from '../../src/index.js';
import { ErrorCode } from '../../src/errors.js';
import { HttpStatusError, TimeoutError, http, requestHttp } from '../../src/providers/index.js';

let server: Server;
let base = '';
const hits = new Map<string, number>();
let closedEarly = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    const n = (hits.get(url) ?? 0) + 1;
    hits.set(url, n);
    if (url === '/json') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ answer: 42, list: [1, 2] }));
    } else if (url === '/flaky') {
      if (n < 3) {
        res.statusCode = 503;
        res.end('busy');
      } else res.end(`ok after ${n}`);
    } else if (url === '/slow-down') {
      res.statusCode = 429;
      res.end('too many');
    } else if (url === '/missing') {
      res.statusCode = 404;
      res.end('no such thing here');
    } else if (url === '/slow') {
      res.on('close', () => {
        if (!res.writableEnded) closedEarly++;
      });
      setTimeout(() => res.end('late'), 10_000).unref();
    } else if (url === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            method: req.method,
            type: req.headers['content-type'],
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
    } else if (url === '/bytes') {
      res.end(Buffer.from([0, 1, 2, 255]));
    } else {
      res.end(`text at ${url}`);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => hits.clear());

describe('http', () => {
  it('reads text by default, JSON or bytes when asked', async () => {
    const engine = new Engine();
    const text = await engine.run(http(`${base}/hello`));
    expect(text).toMatchObject({ status: 200, body: 'text at /hello', url: `${base}/hello` });
    const json = await engine.run(http<{ answer: number }>(`${base}/json`, { as: 'json' }));
    expect(json.body.answer).toBe(42);
    expect(json.headers['content-type']).toBe('application/json');
    const bytes = await engine.run(http(`${base}/bytes`, { as: 'bytes' }));
    expect([...bytes.body]).toEqual([0, 1, 2, 255]);
  });

  it('sends a JSON body (POST by default) and takes a LazyResult URL', async () => {
    const url = task(() => `${base}/echo`, { name: 'url' });
    const res = await new Engine().run(
      http<{ method: string; type: string; body: string }>(url(), {
        json: { a: 1 },
        as: 'json',
      }),
    );
    expect(res.body).toEqual({ method: 'POST', type: 'application/json', body: '{"a":1}' });
  });

  it('[HTTP-1] a non-2xx status is an HttpStatusError with the status and body', async () => {
    const error = await new Engine().run(http(`${base}/missing`)).catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.TASK_FAILED);
    const cause = (error as { cause: unknown }).cause as HttpStatusError;
    expect(cause).toBeInstanceOf(HttpStatusError);
    expect(cause.code).toBe(ErrorCode.HTTP_STATUS);
    expect(cause.status).toBe(404);
    expect(cause.details).toMatchObject({
      method: 'GET',
      url: `${base}/missing`,
      bodyTail: 'no such thing here',
    });
  });

  it('[HTTP-1] retries under the engine policy: 503, 503, then 200', async () => {
    const engine = new Engine();
    const events: EngineEvent[] = [];
    engine.bus.on((e) => events.push(e));
    const res = await engine.run(
      http(`${base}/flaky`, { retry: { maxAttempts: 3, delay: 10, backoff: 2 } }),
    );
    expect(res.body).toBe('ok after 3');
    expect(hits.get('/flaky')).toBe(3);
    const retries = events.filter((e) => e.type === 'TaskRetrying');
    expect(retries.map((e) => e.type === 'TaskRetrying' && e.delayMs)).toEqual([10, 20]);
  });

  it('[HTTP-1] [ATT-6] does not retry a 404, retries a 429', async () => {
    const engine = new Engine();
    const retry = { maxAttempts: 3, delay: 1, backoff: 1 };
    type Failed = { code: string; details: { attempts: number } };
    const error = (await engine
      .run(http(`${base}/missing`, { retry }))
      .catch((e: unknown) => e)) as Failed;
    expect(error.code).toBe(ErrorCode.TASK_FAILED);
    expect(error.details.attempts).toBe(1);
    expect(hits.get('/missing')).toBe(1);
    const slowDown = (await engine
      .run(http(`${base}/slow-down`, { retry }))
      .catch((e: unknown) => e)) as Failed;
    expect(slowDown.details.attempts).toBe(3);
    expect(hits.get('/slow-down')).toBe(3);
  });

  it('[HTTP-2] timeoutMs aborts the request with TimeoutError', async () => {
    const started = Date.now();
    const error = await new Engine()
      .run(http(`${base}/slow`, { timeoutMs: 200 }))
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    const cause = (error as { cause: unknown }).cause;
    expect(cause).toBeInstanceOf(TimeoutError);
    expect((cause as TimeoutError).details.timeoutMs).toBe(200);
  });

  it('[HTTP-2] cancelling the run aborts the request', async () => {
    const ac = new AbortController();
    const before = closedEarly;
    const run = new Engine().run(http(`${base}/slow`), { signal: ac.signal });
    while ((hits.get('/slow') ?? 0) === 0) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    const error = await run.catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.CANCELLED);
    while (closedEarly === before) await new Promise((r) => setTimeout(r, 10));
    expect(closedEarly).toBe(before + 1);
  });

  it('[EXE-9] is cached across runs although it injects the run signal', async () => {
    const engine = new Engine();
    const a = await engine.run(http(`${base}/cached`).withCache('memory'));
    const b = await engine.run(http(`${base}/cached`).withCache('memory'));
    expect(b).toEqual(a);
    expect(hits.get('/cached')).toBe(1);
  });

  it('rejects a bad URL or option by name', async () => {
    expect(() => http('not a url')).toThrow(/http url/);
    await expect(requestHttp(`${base}/x`, { timeoutMs: 0 })).rejects.toThrow(/http.timeoutMs/);
  });
});
