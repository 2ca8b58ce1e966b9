/**
 * Who may connect: `auth: none` only on loopback, JWT missing / wrong / expired / valid (by
 * header and by `?token=`), a token expiring mid-session closes with 4401; TLS with a
 * self-signed certificate made for the test; static files next to the WebSocket path.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CloseCode, Gateway, GatewayInsecureError, isLoopback } from '../../src/gateway/index.js';
import { ErrorCode } from '../../src/errors.js';
import { TestClient } from './client.js';

const secret = 'another-test-secret-of-32-bytes-or-more';
const key = new TextEncoder().encode(secret);
function sign(claims: Record<string, unknown>, exp: string | number = '5m', k = key) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(k);
}

const open: Gateway[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

/** Try to connect; the HTTP status and JSON body of a refused upgrade. */
function refused(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: { code?: string; message?: string } }>((ok, fail) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => fail(new Error('connected')));
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: JSON.parse(text) as object }));
    });
    ws.on('error', () => {});
  });
}

describe('auth', () => {
  it("'none' is refused off loopback with a typed error", () => {
    expect(() => new Gateway({ host: '0.0.0.0', auth: { mode: 'none' } })).toThrow(
      GatewayInsecureError,
    );
    try {
      new Gateway({ host: '192.168.1.10', auth: { mode: 'none' } });
    } catch (e) {
      expect((e as GatewayInsecureError).code).toBe(ErrorCode.GATEWAY_INSECURE);
    }
    expect(() => new Gateway({ host: '0.0.0.0', auth: { mode: 'jwt', secret } })).not.toThrow();
    expect(() => new Gateway({ host: '::1', auth: { mode: 'none' } })).not.toThrow();
    expect(isLoopback('127.8.0.1')).toBe(true);
    expect(isLoopback('::')).toBe(false);
    expect(isLoopback('localhost')).toBe(true);
  });

  it('jwt: missing, wrong, expired or bad claims get HTTP 401 with the code', async () => {
    const gateway = new Gateway({ auth: { mode: 'jwt', secret } });
    open.push(gateway);
    const { url } = await gateway.listen();
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['missing', {}, /missing bearer token/],
      ['not a jwt', { authorization: 'Bearer nonsense' }, /ERR_JWS_INVALID|invalid/i],
      [
        'wrong key',
        {
          authorization: `Bearer ${await sign({ role: 'admin' }, '5m', new TextEncoder().encode('x'.repeat(40)))}`,
        },
        /SIGNATURE/,
      ],
      [
        'expired',
        {
          authorization: `Bearer ${await sign({ role: 'admin' }, Math.floor(Date.now() / 1000) - 60)}`,
        },
        /EXPIRED/,
      ],
      ['bad role', { authorization: `Bearer ${await sign({ role: 'god' })}` }, /claims/],
      ['not bearer', { authorization: `Basic ${await sign({ role: 'admin' })}` }, /missing/],
    ];
    for (const [name, headers, reason] of cases) {
      const r = await refused(url, headers);
      expect(r.status, name).toBe(401);
      expect(r.body.code, name).toBe('CASCADE_ERR_UNAUTHORIZED');
      expect(r.body.message, name).toMatch(reason);
    }
    expect(gateway.stats.rejectedUnauthorized).toBe(cases.length);
    expect(gateway.stats.connections).toBe(0);
  });

  it('jwt: a valid token by header or by ?token= opens a session with its role', async () => {
    const gateway = new Gateway({ auth: { mode: 'jwt', secret } });
    open.push(gateway);
    const { url } = await gateway.listen();
    const byHeader = await TestClient.open(url, {
      token: await sign({ role: 'control', sub: 'u1' }),
    });
    expect(byHeader.hello.role).toBe('control');
    const byQuery = await TestClient.open(`${url}?token=${await sign({ role: 'viewer' })}`);
    expect(byQuery.hello.role).toBe('viewer');
    expect(
      gateway
        .sessionStats()
        .map((s) => s.subject)
        .sort(),
    ).toEqual(['anonymous', 'u1']);
    await byHeader.close();
    await byQuery.close();
  });

  it('a token that expires during the session closes it with 4401', async () => {
    const gateway = new Gateway({ auth: { mode: 'jwt', secret } });
    open.push(gateway);
    const { url } = await gateway.listen();
    const exp = Math.floor(Date.now() / 1000) + 1;
    const c = await TestClient.open(url, { token: await sign({ role: 'viewer' }, exp) });
    expect(await c.closed).toEqual({ code: CloseCode.UNAUTHORIZED, reason: 'token expired' });
  });
});

const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveOpenssl)('TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('wss:// and https:// with a self-signed certificate made here', async () => {
    // prettier-ignore
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    writeFileSync(join(dir, 'index.html'), '<h1>gateway</h1>\n');
    const gateway = new Gateway({
      auth: { mode: 'none' },
      tls: { cert, key: readFileSync(join(dir, 'key.pem')) },
      staticDir: dir,
    });
    open.push(gateway);
    const { url } = await gateway.listen();
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ws$/);
    const c = await TestClient.open(url, { ca: cert });
    gateway.publishEvent('secure', { ok: true });
    c.send({ type: 'resume', epoch: gateway.epoch, lastSeq: 0 });
    expect(await c.nextOf('event')).toMatchObject({ event: 'secure', data: { ok: true } });
    await c.close();

    // An untrusting client is refused by its own TLS check.
    const untrusting = new WebSocket(url);
    const error = await new Promise<Error>((ok) => untrusting.once('error', ok));
    expect(error.message).toMatch(/self[- ]signed|certificate/i);

    const page = await new Promise<{ status: number; body: string }>((ok, fail) => {
      httpsGet(url.replace('wss:', 'https:').replace('/ws', '/'), { ca: cert }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
      }).on('error', fail);
    });
    expect(page).toEqual({ status: 200, body: '<h1>gateway</h1>\n' });
  });
});

describe('static files', () => {
  it('serves the directory, 404 for the rest and for paths escaping it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-static-'));
    writeFileSync(join(dir, 'app.js'), 'console.log(1);\n');
    const gateway = new Gateway({ auth: { mode: 'none' }, staticDir: dir });
    open.push(gateway);
    const base = (await gateway.listen()).url.replace('ws:', 'http:').replace('/ws', '');
    const js = await fetch(`${base}/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toBe('console.log(1);\n');
    for (const path of ['/missing.js', '/%2e%2e/%2e%2e/etc/passwd', '/..%2F..%2Fetc%2Fpasswd']) {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).toBe(404);
      await r.text();
    }
    const ws = await fetch(`${base}/ws`);
    expect(ws.status).toBe(426);
    await ws.text();
    rmSync(dir, { recursive: true, force: true });
  });
});
