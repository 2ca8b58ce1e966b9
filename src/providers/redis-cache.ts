/**
 * A cache backend in Redis: one string per entry under `prefix + key`, its value serialised
 * with Node's structured-clone serialiser (value-codec.ts), its ttl Redis's own (`PX`), so
 * entries expire in Redis without anyone reading them.
 *
 * Invariants:
 * - Keeps [CACHE-4] and [CACHE-5] (test/providers/cache-backend.conformance.ts).
 * - [RCACHE-1] `clear()` removes only keys under this cache's prefix (SCAN + DEL), never the
 *   rest of the database.
 */
import { MISS, type CacheBackend } from '../runtime/cache.js';
import { InvalidArgumentError } from '../errors.js';
import { RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
import { decodeEntry, encodeEntry } from './value-codec.js';

/** Options of a {@link RedisCache}. */
export interface RedisCacheOptions extends RedisConnectionOptions {
  /** Prepended to every key (default `cascade:cache:`). */
  readonly prefix?: string;
}

/**
 * A cache backend in Redis, shared by every process using the same server and prefix.
 *
 * @example
 * ```ts
 * import { Engine, task } from 'cascade';
 * import { RedisCache } from 'cascade/providers';
 * const redis = new RedisCache({ url: 'redis://127.0.0.1:6379' });
 * const engine = new Engine({ caches: { redis } });
 * const slow = task(async (n: number) => n * n, { name: 'slow' });
 * await engine.run(slow(12).withCache({ backend: 'redis', ttlMs: 60_000 })); // 144
 * await redis.close();
 * ```
 */
export class RedisCache implements CacheBackend {
  readonly name = 'redis';
  readonly #connection: RedisConnection;
  readonly #prefix: string;

  constructor(options: RedisCacheOptions) {
    this.#connection = new RedisConnection(options, 'RedisCache');
    const prefix = options.prefix ?? 'cascade:cache:';
    if (typeof prefix !== 'string') {
      throw new InvalidArgumentError('RedisCache.prefix', prefix, 'must be a string');
    }
    this.#prefix = prefix;
  }

  async get(key: string): Promise<unknown> {
    const redis = await this.#connection.client();
    const bytes = await redis.getBuffer(this.#prefix + key);
    if (bytes === null) return MISS;
    const entry = decodeEntry(bytes);
    if (entry === null || entry.expires <= Date.now()) return MISS;
    return entry.value;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const redis = await this.#connection.client();
    const expires = ttlMs === Infinity ? Infinity : Date.now() + ttlMs;
    const bytes = encodeEntry(value, expires);
    if (ttlMs === Infinity) await redis.set(this.#prefix + key, bytes);
    else await redis.set(this.#prefix + key, bytes, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async delete(key: string): Promise<void> {
    const redis = await this.#connection.client();
    await redis.del(this.#prefix + key);
  }

  /** Remove every key under this cache's prefix. [RCACHE-1] */
  async clear(): Promise<void> {
    const redis = await this.#connection.client();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${escapeGlob(this.#prefix)}*`,
        'COUNT',
        500,
      );
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  /** Close the connection if this cache made it (a client handed in stays open). */
  close(): Promise<void> {
    return this.#connection.close();
  }
}

/**
 * `text` with Redis glob characters escaped, for a MATCH pattern.
 *
 * @example
 * ```ts
 * escapeGlob('a*b'); // 'a\\*b'
 * ```
 */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
