// Every state backend passes the conformance suite; then the engine's side of resuming:
// a bad run id, a store that cannot load, a store that cannot save. redis-server is started
// here on a free 127.0.0.1 port. [STATE-1..4, ENG-6]
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, MemoryStateStore, task, type StateStore } from '../../src/index.js';
import { ErrorCode } from '../../src/errors.js';
import { RedisStateStore } from '../../src/providers/index.js';
import { describeStateStore } from './state-store.conformance.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let redis: RedisServer;
const closers: Array<() => Promise<void>> = [];
let n = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  for (const close of closers) await close();
  await redis.stop();
});

function redisStore(prefix: string, ttlMs?: number): RedisStateStore {
  const s = new RedisStateStore({ url: redis.url, prefix, ttlMs });
  closers.push(() => s.close());
  return s;
}

describeStateStore(
  'MemoryStateStore',
  () => Promise.resolve(new MemoryStateStore()),
  (s) => Promise.resolve(s),
);
let prefix = '';
describeStateStore(
  'RedisStateStore',
  () => Promise.resolve(redisStore((prefix = `state-${++n}:`))),
  () => Promise.resolve(redisStore(prefix)),
);

describe('resuming runs', () => {
  it('[RSTATE-1] a Redis record with ttlMs expires after its last save', async () => {
    const s = redisStore('ttl:', 150);
    await s.save('r', 'a#0', 1);
    expect((await s.load('r')).size).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect((await s.load('r')).size).toBe(0);
  });

  it('[STATE-4] a store that cannot load fails the run with BACKEND_FAILED before any task runs', async () => {
    let calls = 0;
    const t = task(() => ++calls, { name: 't' });
    const broken: StateStore = {
      name: 'broken',
      load: () => Promise.reject(new Error('disk on fire')),
      save: () => Promise.resolve(),
      delete: () => Promise.resolve(),
    };
    const error = await new Engine({ state: broken })
      .run(t(), { runId: 'r' })
      .catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.BACKEND_FAILED);
    expect((error as Error).message).toBe('broken backend: load run r: disk on fire');
    expect(calls).toBe(0);
  });

  it('[STATE-4] a store that cannot save is a warning: the run succeeds', async () => {
    const t = task(() => 7, { name: 't' });
    const flaky: StateStore = {
      name: 'flaky',
      load: () => Promise.resolve(new Map()),
      save: () => Promise.reject(new Error('full')),
      delete: () => Promise.resolve(),
    };
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      expect(await new Engine({ state: flaky }).run(t(), { runId: 'r' })).toBe(7);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.message)).toEqual(['flaky backend: save t#0 of run r: full']);
  });

  it('[ENG-6] a VM target given a runId resumes too (it takes the graph path)', async () => {
    const state = new MemoryStateStore();
    let calls = 0;
    const agent = task((k: number): number => (calls++, k * 2), { name: 'agent' });
    const engine = new Engine({ state });
    expect(await engine.run(agent(4), { vm: true, runId: 'vm-1' })).toBe(8);
    expect(await engine.run(agent(4), { vm: true, runId: 'vm-1' })).toBe(8);
    expect(calls).toBe(1);
  });

  it('a run id must be a non-empty string; without a store it only names the run', async () => {
    const t = task(() => 1, { name: 't' });
    await expect(new Engine().run(t(), { runId: '' })).rejects.toThrow(/runId/);
    const engine = new Engine();
    const ids: string[] = [];
    engine.bus.on((e) => void ids.push(e.runId));
    await engine.run(t(), { runId: 'named' });
    expect(new Set(ids)).toEqual(new Set(['named']));
  });
});
