/**
 * A state backend in Redis: one hash per run (`prefix + runId`), a field per finished node,
 * each value serialised with Node's structured-clone serialiser (value-codec.ts). A run
 * resumed by another process, on another machine, finds what the first one finished.
 *
 * Invariants:
 * - Keeps [STATE-1] and [STATE-2] (test/providers/state-store.conformance.ts).
 * - [RSTATE-1] With `ttlMs`, every save pushes the run's expiry to `ttlMs` from now: a run's
 *   record lives `ttlMs` after its last finished node.
 */
import type { StateStore } from '../runtime/state-store.js';
import { InvalidArgumentError } from '../errors.js';
import { RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
import { decodeEntry, encodeEntry } from './value-codec.js';

/** Options of a {@link RedisStateStore}. */
export interface RedisStateStoreOptions extends RedisConnectionOptions {
  /** Prepended to every run's key (default `cascade:state:`). */
  readonly prefix?: string;
  /** Forget a run this long after its last save, in ms (default: never). [RSTATE-1] */
  readonly ttlMs?: number;
}

/**
 * Run state in Redis: a re-run with the same `runId`, from any process, resumes.
 *
 * @example
 * ```ts
 * import { Engine } from 'cascade';
 * import { RedisStateStore } from 'cascade/providers';
 * const state = new RedisStateStore({ url: 'redis://127.0.0.1:6379', ttlMs: 7 * 86_400_000 });
 * const engine = new Engine({ state });
 * await engine.run(nightly(), { runId: 'nightly-2026-12-01' }); // resumes if it ran before
 * await state.close();
 * ```
 */
export class RedisStateStore implements StateStore {
  readonly name = 'redis';
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(options: RedisStateStoreOptions) {
    this.#connection = new RedisConnection(options, 'RedisStateStore');
    this.#prefix = options.prefix ?? 'cascade:state:';
    if (typeof this.#prefix !== 'string') {
      throw new InvalidArgumentError('RedisStateStore.prefix', this.#prefix, 'must be a string');
    }
    const ttl = options.ttlMs ?? Infinity;
    if (typeof ttl !== 'number' || Number.isNaN(ttl) || ttl <= 0) {
      throw new InvalidArgumentError('RedisStateStore.ttlMs', ttl, 'must be a number > 0');
    }
    this.#ttlMs = ttl;
  }

  async load(runId: string): Promise<ReadonlyMap<string, unknown>> {
    const redis = await this.#connection.client();
    const fields = await redis.hgetallBuffer(this.#prefix + runId);
    const out = new Map<string, unknown>();
    for (const [node, bytes] of Object.entries(fields)) {
      const entry = decodeEntry(bytes);
      if (entry !== null) out.set(node, entry.value);
    }
    return out;
  }

  async save(runId: string, nodeKey: string, value: unknown): Promise<void> {
    const redis = await this.#connection.client();
    const key = this.#prefix + runId;
    const bytes = encodeEntry(value, Infinity);
    if (this.#ttlMs === Infinity) {
      await redis.hset(key, nodeKey, bytes);
      return;
    }
    const replies = await redis
      .multi()
      .hset(key, nodeKey, bytes)
      .pexpire(key, Math.ceil(this.#ttlMs))
      .exec(); // [RSTATE-1]
    const failed = replies?.find(([error]) => error !== null);
    if (failed?.[0] != null) throw failed[0];
  }

  async delete(runId: string): Promise<void> {
    const redis = await this.#connection.client();
    await redis.del(this.#prefix + runId);
  }

  /** Close the connection if this store made it (a client handed in stays open). */
  close(): Promise<void> {
    return this.#connection.close();
  }
}
