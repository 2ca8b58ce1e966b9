/**
 * Result caches behind `.withCache(...)`. The in-memory cache maps a key (task identity +
 * structural key of the resolved arguments) to a value, optionally for a time-to-live; the
 * file cache treats an existing file as the task's result.
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

/** Returned by {@link MemoryCache.get} on a miss. */
export const MISS: unique symbol = Symbol('cascade.cache.miss');

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
export class MemoryCache {
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
