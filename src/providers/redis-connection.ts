/**
 * The Redis connection a RedisCache or RedisStateStore uses: a client the caller hands in (and
 * keeps owning), or one made from a URL on first use. `ioredis` is loaded only then, so
 * importing `cascade` costs nothing for those who never touch Redis (loading it takes ~0.3 s
 * on a busy 2-core machine, measured with a cold cache).
 *
 * A client made here fails a command fast when the server is unreachable (one retry per
 * request, 2 s connect timeout) instead of queueing it for ever: to a cache an unreachable
 * Redis is a miss (executor.ts [EXE-8]), not a hang.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { InvalidArgumentError } from '../errors.js';

/** How a Redis backend reaches its server. */
export interface RedisConnectionOptions {
  /** `redis://host:port/db`; a client is made on first use and closed by `close()`. */
  readonly url?: string;
  /** An ioredis client to use instead (the caller keeps owning it: `close()` leaves it open). */
  readonly client?: Redis;
  /** ioredis options for a client made from `url`. */
  readonly redisOptions?: RedisOptions;
}

/** @internal One lazily made (or borrowed) client. */
export class RedisConnection {
  readonly #url: string | undefined;
  readonly #options: RedisOptions | undefined;
  #client: Promise<Redis> | null;
  readonly #owned: boolean;
  #lastError: Error | null = null;

  constructor(options: RedisConnectionOptions, what: string) {
    if ((options.url === undefined) === (options.client === undefined)) {
      throw new InvalidArgumentError(what, 'url/client', 'give exactly one of url and client');
    }
    if (options.url !== undefined && !/^rediss?:\/\//.test(options.url)) {
      throw new InvalidArgumentError(`${what}.url`, options.url, 'must start with redis://');
    }
    this.#url = options.url;
    this.#options = options.redisOptions;
    this.#owned = options.client === undefined;
    this.#client = options.client === undefined ? null : Promise.resolve(options.client);
  }

  /** The client, made on first call. */
  client(): Promise<Redis> {
    this.#client ??= this.#make();
    return this.#client;
  }

  /** The last connection error a client made here reported, or null. */
  get lastError(): Error | null {
    return this.#lastError;
  }

  /** Close the client if this connection made it. */
  async close(): Promise<void> {
    const pending = this.#client;
    if (!this.#owned || pending === null) return;
    this.#client = null;
    const client = await pending;
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  }

  async #make(): Promise<Redis> {
    const { Redis } = await import('ioredis');
    const client = new Redis(this.#url!, {
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      ...this.#options,
    });
    // without a listener ioredis prints every failed reconnection to the console
    client.on('error', (error: Error) => {
      this.#lastError = error;
    });
    return client;
  }
}
