/**
 * The CacheBackend conformance suite: one set of behaviour tests every cache
 * backend passes: MemoryCache, FileCache, RedisCache. A test file calls
 * `describeCacheBackend(name, make)`, where `make` gives a fresh, empty backend. [CACHE-4, CACHE-5]
 */
import { describe, expect, it } from 'vitest';
import { Engine, MISS, task, type CacheBackend } from '../../src/index.js';

/** A structured-clone value of many kinds, to check what a backend gives back. */
export const RICH = {
  text: 'héllo',
  n: 1.5,
  big: 12345678901234567890n,
  when: new Date(1_700_000_000_000),
  list: [1, 'two', null, undefined, { deep: true }],
  map: new Map([['k', 1]]),
  set: new Set([1, 2]),
  bytes: new Uint8Array([0, 1, 255]),
};

export function describeCacheBackend(name: string, make: () => Promise<CacheBackend>): void {
  describe(`CacheBackend conformance: ${name}`, () => {
    it('[CACHE-4] an unknown key is a miss; a stored value comes back equal', async () => {
      const c = await make();
      expect(await c.get('k0000')).toBe(MISS);
      await c.set('k0001', RICH, Infinity);
      expect(await c.get('k0001')).toEqual(RICH);
      await c.set('k0002', undefined, Infinity);
      expect(await c.get('k0002')).toBeUndefined();
    });

    it('[CACHE-4] an entry is a miss once its ttl passed', async () => {
      const c = await make();
      await c.set('k0003', 'short', 80);
      await c.set('k0004', 'long', 60_000);
      expect(await c.get('k0003')).toBe('short');
      await new Promise((r) => setTimeout(r, 160));
      expect(await c.get('k0003')).toBe(MISS);
      expect(await c.get('k0004')).toBe('long');
    });

    it('[CACHE-5] set replaces; delete and clear remove', async () => {
      const c = await make();
      await c.set('k0005', 1, Infinity);
      await c.set('k0005', 2, Infinity);
      expect(await c.get('k0005')).toBe(2);
      await c.set('k0006', 3, Infinity);
      await c.delete('k0005');
      await c.delete('k0005'); // absent: a no-op
      expect(await c.get('k0005')).toBe(MISS);
      expect(await c.get('k0006')).toBe(3);
      await c.clear();
      expect(await c.get('k0006')).toBe(MISS);
    });

    it('backs .withCache({ backend }) across engines: the task runs once', async () => {
      const c = await make();
      let calls = 0;
      const square = task(
        async (x: { n: number }) => {
          calls++;
          return await Promise.resolve({ squared: x.n * x.n });
        },
        { name: `square-${name}` },
      );
      const e1 = new Engine({ caches: { shared: c } });
      const e2 = new Engine({ caches: { shared: c } });
      const events: string[] = [];
      e2.bus.on((e) => {
        if (e.type === 'TaskExecutionFinished') events.push(e.status);
      });
      const policy = { backend: 'shared', ttlMs: 60_000 };
      expect(await e1.run(square({ n: 7 }).withCache(policy))).toEqual({ squared: 49 });
      expect(await e2.run(square({ n: 7 }).withCache(policy))).toEqual({ squared: 49 });
      expect(calls).toBe(1);
      expect(events).toEqual(['cached']);
      // other arguments, or another version, are other entries
      await e2.run(square({ n: 8 }).withCache(policy));
      await e2.run(square({ n: 7 }).withCache({ ...policy, version: 'v2' }));
      expect(calls).toBe(3);
    });
  });
}
