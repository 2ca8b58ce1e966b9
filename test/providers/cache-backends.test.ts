// Every cache backend passes the conformance suite; then what only the file and Redis
// backends do: content keys that hold across processes, atomic entries, a Redis that is
// down. redis-server is started here on a free 127.0.0.1 port.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Engine,
  MemoryCache,
  MISS,
  inject,
  resource,
  task,
  type LazyResult,
} from '../../src/index.js';
import { ErrorCode } from '../../src/errors.js';
import { FileCache, RedisCache } from '../../src/providers/index.js';
import { describeCacheBackend } from './cache-backend.conformance.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let redis: RedisServer;
let dir = '';
const closers: Array<() => Promise<void>> = [];
let n = 0;

beforeAll(async () => {
  redis = await startRedisServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-cache-'));
});
afterAll(async () => {
  for (const close of closers) await close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

describeCacheBackend('MemoryCache', () => Promise.resolve(new MemoryCache()));
describeCacheBackend('FileCache', () =>
  Promise.resolve(new FileCache({ dir: path.join(dir, `conf-${++n}`) })),
);
describeCacheBackend('RedisCache', () => {
  const c = new RedisCache({ url: redis.url, prefix: `conf-${++n}:` });
  closers.push(() => c.close());
  return Promise.resolve(c);
});

describe('FileCache', () => {
  it('[CKEY-1] finds an entry another process wrote (content keys, not identities)', async () => {
    const cacheDir = path.join(dir, 'cross');
    const script = path.join(dir, 'child.mts');
    const src = path.join(import.meta.dirname, '..', '..', 'src');
    await writeFile(
      script,
      `import { Engine, task } from '${src}/index.js';
import { FileCache } from '${src}/providers/index.js';
const slow = task((x: { n: number }) => ({ pid: process.pid, n: x.n }), { name: 'slow' });
const engine = new Engine({ caches: { disk: new FileCache({ dir: ${JSON.stringify(cacheDir)} }) } });
console.log(JSON.stringify(await engine.run(slow({ n: 5 }).withCache({ backend: 'disk' }))));
`,
    );
    const tsx = path.join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const child = spawnSync(tsx, [script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const written = JSON.parse(child.stdout) as { pid: number; n: number };
    expect(written.pid).not.toBe(process.pid);
    // the same task (same name and source) in this process: a hit with the child's value
    const slow = task((x: { n: number }) => ({ pid: process.pid, n: x.n }), { name: 'slow' });
    const engine = new Engine({ caches: { disk: new FileCache({ dir: cacheDir }) } });
    expect(await engine.run(slow({ n: 5 }).withCache({ backend: 'disk' }))).toEqual(written);
  });

  it('[FCACHE-2] an unreadable entry is a miss and is removed', async () => {
    const c = new FileCache({ dir: path.join(dir, 'corrupt') });
    await c.set('abcdef', 'fine', Infinity);
    const file = path.join(dir, 'corrupt', 'ab', 'abcdef');
    await writeFile(file, 'not an entry');
    expect(await c.get('abcdef')).toBe(MISS);
    expect(await readdir(path.join(dir, 'corrupt', 'ab'))).toEqual([]);
  });

  it('[FCACHE-1] readers racing writers of one entry see a whole value, never a torn one', async () => {
    const c = new FileCache({ dir: path.join(dir, 'race') });
    const values = ['a', 'b', 'c'].map((ch) => ch.repeat(200_000));
    await c.set('racekey', values[0], Infinity);
    const seen: unknown[] = [];
    const writers = Array.from({ length: 30 }, (_, i) => c.set('racekey', values[i % 3], Infinity));
    const readers = Array.from({ length: 30 }, async () => void seen.push(await c.get('racekey')));
    await Promise.all([...writers, ...readers]);
    expect(seen).toHaveLength(30);
    for (const v of seen) expect(values).toContain(v);
  });

  it('refuses a key that could leave its directory', async () => {
    const c = new FileCache({ dir: path.join(dir, 'keys') });
    await expect(c.get('../../etc/passwd')).rejects.toThrow(/FileCache key/);
    expect(() => new FileCache({ dir: '' })).toThrow(/FileCache.dir/);
  });
});

describe('RedisCache', () => {
  it('[RCACHE-1] clear() removes its own prefix only', async () => {
    const mine = new RedisCache({ url: redis.url, prefix: 'mine:*' });
    const other = new RedisCache({ url: redis.url, prefix: 'mine:x' });
    closers.push(
      () => mine.close(),
      () => other.close(),
    );
    await mine.set('k1', 1, Infinity);
    await other.set('k1', 2, Infinity);
    await mine.clear();
    expect(await mine.get('k1')).toBe(MISS);
    expect(await other.get('k1')).toBe(2);
  });
});

describe('backend caches in the engine', () => {
  it('[CKEY-2] an argument with no content (a class instance) is INVALID_ARGUMENT naming it', async () => {
    class Conn {}
    let calls = 0;
    const useConn = task((_o: { db: Conn }) => ++calls, { name: 'useConn' });
    const engine = new Engine({ caches: { m: new MemoryCache() } });
    const error = await engine
      .run(useConn({ db: new Conn() }).withCache({ backend: 'm' }))
      .catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((error as Error).message).toMatch(/args\[0\]\.db.*Conn/);
    expect(calls).toBe(0);
  });

  it('[EXE-9] keys an injected service by its name and the run params by their value', async () => {
    let calls = 0;
    const conn = resource('conn', () => ({ opened: Symbol('per run') }), { scope: 'run' });
    const query = task(
      (c: { opened: symbol }, params: Readonly<Record<string, unknown>>, sql: string) => {
        calls++;
        return `${sql} on ${String(params.db)} (${typeof c.opened})`;
      },
      { name: 'query' },
    );
    const engine = new Engine({ resources: [conn], caches: { m: new MemoryCache() } });
    for (const policy of ['memory', { backend: 'm' }] as const) {
      calls = 0;
      const q = (): LazyResult<string> =>
        query(inject('conn'), inject('params'), 'select 1').withCache(policy);
      expect(await engine.run(q(), { params: { db: 'a' } })).toBe('select 1 on a (symbol)');
      expect(await engine.run(q(), { params: { db: 'a' } })).toBe('select 1 on a (symbol)');
      expect(calls).toBe(1); // a new connection each run, the same entry
      expect(await engine.run(q(), { params: { db: 'b' } })).toBe('select 1 on b (symbol)');
      expect(calls).toBe(2); // other params, another entry
    }
  });

  it('[EXE-8] an unknown backend name fails the task before it runs', async () => {
    let calls = 0;
    const t = task(() => ++calls, { name: 't' });
    const error = await new Engine({ caches: { disk: new MemoryCache() } })
      .run(t().withCache({ backend: 'redis' }))
      .catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((error as Error).message).toMatch(/redis.*caches \(disk\)/);
    expect(calls).toBe(0);
  });

  it('[EXE-8] a Redis that is down is a miss and a warning: the task still runs', async () => {
    const down = await startRedisServer();
    const cache = new RedisCache({ url: down.url, redisOptions: { connectTimeout: 300 } });
    closers.push(() => cache.close());
    let calls = 0;
    const t = task((x: number) => x + ++calls, { name: 'down' });
    const engine = new Engine({ caches: { redis: cache } });
    expect(await engine.run(t(1).withCache({ backend: 'redis' }))).toBe(2);
    await down.stop();
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      expect(await engine.run(t(1).withCache({ backend: 'redis' }))).toBe(3);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(calls).toBe(2);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0].message).toMatch(/^redis backend: get /);
    expect((warnings[0] as Error & { code: string }).code).toBe(ErrorCode.BACKEND_FAILED);
  });

  it('refuses caches and a state store that lack the contract, by name', () => {
    expect(() => new Engine({ caches: { disk: {} as MemoryCache } })).toThrow(/caches\.disk/);
    expect(() => new Engine({ state: { load: () => 1 } as never })).toThrow(/invalid state/);
  });

  it('validates the backend policy when it is attached', () => {
    const t = task(() => 1);
    expect(() => t().withCache({ backend: '' })).toThrow(/cache.backend/);
    expect(() => t().withCache({ backend: 'x', ttlMs: 0 })).toThrow(/cache.ttlMs/);
  });
});
