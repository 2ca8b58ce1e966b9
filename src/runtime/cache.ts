/**
 * Result caches behind `.withCache(...)`. The in-memory cache maps a key (task identity +
 * structural key of the resolved arguments) to a value, optionally for a time-to-live; the
 * file-existence cache treats an existing file as the task's result. {@link CacheBackend} is
 * the contract of every named cache an engine is given (`new Engine({ caches })`, used by
 * `.withCache({ backend })`): the MemoryCache here, and the file and Redis caches of
 * `cascade/providers`.
 *
 * Invariants:
 * - [CACHE-1] Only successful results are stored; a failure is never cached.
 * - [CACHE-2] An entry older than its ttl is a miss (and is dropped).
 * - [CACHE-3] The memory cache is an object owned by an engine (or passed to several): no
 *   global state. It is bounded by `maxEntries` (oldest inserted dropped first).
 */
import { access } from 'node:fs/promises';

interface Entry {
  value: unknown;
  expires: number;
}

/** Returned by {@link MemoryCache.get} (and every {@link CacheBackend}) on a miss. */
export const MISS: unique symbol = Symbol('cascade.cache.miss');

/**
 * A store of task results by key, with a time-to-live per entry. Keys are content hashes made
 * by the engine (cache-key.ts); a backend only stores and returns values. A backend that
 * keeps values outside the process serialises them (structured-clone data: plain objects,
 * arrays, strings, numbers, bigints, Dates, Maps, Sets, typed arrays).
 *
 * Contract (test/providers/cache-backend.conformance.ts runs it on every implementation):
 * - [CACHE-4] `get` after `set(k, v, ttl)` gives a value equal to `v` until `ttl` ms passed,
 *   then {@link MISS}; an unknown key gives MISS.
 * - [CACHE-5] `set` on an existing key replaces its value and ttl; `delete` and `clear` remove.
 *
 * @example
 * ```ts
 * const backend: CacheBackend = new MemoryCache();
 * await backend.set('k', { n: 1 }, 60_000);
 * (await backend.get('k')) === MISS; // false
 * ```
 */
export interface CacheBackend {
  /** A short name for warnings and errors: `memory`, `file`, `redis`. */
  readonly name: string;
  /** The value under `key`, or {@link MISS}. [CACHE-4] */
  get(key: string): unknown;
  /** Store `value` under `key` for `ttlMs` ms (Infinity: no expiry). [CACHE-5] */
  set(key: string, value: unknown, ttlMs: number): void | Promise<void>;
  /** Remove `key` (no-op if absent). */
  delete(key: string): void | Promise<void>;
  /** Remove every entry this backend holds. */
  clear(): void | Promise<void>;
}

/**
 * An in-memory result cache.
 *
 * @example
 * ```ts
 * const cache = new MemoryCache({ maxEntries: 10_000 });
 * const engine = new Engine({ cache });
 * cache.set('k', 42, Infinity);
 * cache.get('k'); // 42
 * ```
 */
export class MemoryCache implements CacheBackend {
  readonly name = 'memory';
  #entries = new Map<string, Entry>();
  #maxEntries: number;
  #hits = 0;
  #misses = 0;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /** The value stored under `key`, or {@link MISS}. [CACHE-2] */
  get(key: string, now: number = Date.now()): unknown {
    const e = this.#entries.get(key);
    if (e === undefined) {
      this.#misses++;
      return MISS;
    }
    if (e.expires <= now) {
      this.#entries.delete(key);
      this.#misses++;
      return MISS;
    }
    this.#hits++;
    return e.value;
  }

  /** Store `value` for `ttlMs` (Infinity = until evicted). */
  set(key: string, value: unknown, ttlMs: number, now: number = Date.now()): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: now + ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /** Drop `key`. */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Drop everything. */
  clear(): void {
    this.#entries.clear();
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Hits and misses so far. */
  get stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }
}

/**
 * True if a file exists at `path` (the file-existence cache's hit test).
 *
 * @example
 * ```ts
 * if (await fileExists('out/report.pdf')) console.log('cached');
 * ```
 */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
