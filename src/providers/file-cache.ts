/**
 * A cache backend in a directory: one file per entry, named by the entry's content key (a
 * SHA-256 the engine makes of the task and its arguments, cache-key.ts) and spread over 256
 * subdirectories by its first two hex digits. Values are stored with Node's structured-clone
 * serialiser (value-codec.ts).
 *
 * Invariants:
 * - Keeps [CACHE-4] and [CACHE-5] (test/providers/cache-backend.conformance.ts).
 * - [FCACHE-1] Writes are atomic (temporary file + rename): a concurrent reader, or another
 *   process sharing the directory, sees the old entry or the new one, never a torn one.
 * - [FCACHE-2] An unreadable entry (truncated, another format) is a miss and is removed.
 */
import { readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MISS, type CacheBackend } from '../runtime/cache.js';
import { InvalidArgumentError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { decodeEntry, encodeEntry } from './value-codec.js';

/** Options of a {@link FileCache}. */
export interface FileCacheOptions {
  /** The directory holding the entries (made on first write). */
  readonly dir: string;
}

const KEY = /^[A-Za-z0-9_-]{3,200}$/;

/**
 * A cache backend in a directory, shared by every process that names the same directory.
 *
 * @example
 * ```ts
 * import { Engine, task } from 'cascade';
 * import { FileCache } from 'cascade/providers';
 * const engine = new Engine({ caches: { disk: new FileCache({ dir: '.cache/cascade' }) } });
 * const slow = task(async (n: number) => n * n, { name: 'slow' });
 * await engine.run(slow(12).withCache({ backend: 'disk', ttlMs: 86_400_000 })); // 144
 * ```
 */
export class FileCache implements CacheBackend {
  readonly name = 'file';
  readonly #dir: string;

  constructor(options: FileCacheOptions) {
    if (typeof options?.dir !== 'string' || options.dir.length === 0) {
      throw new InvalidArgumentError('FileCache.dir', options?.dir, 'must be a non-empty path');
    }
    this.#dir = options.dir;
  }

  /** The directory holding the entries. */
  get dir(): string {
    return this.#dir;
  }

  async get(key: string): Promise<unknown> {
    const path = this.#path(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return MISS;
      throw error;
    }
    const entry = decodeEntry(bytes);
    if (entry === null || entry.expires <= Date.now()) {
      await unlink(path).catch(() => {}); // [FCACHE-2] [CACHE-2]
      return MISS;
    }
    return entry.value;
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const bytes = encodeEntry(value, ttlMs === Infinity ? Infinity : Date.now() + ttlMs);
    await writeFileAtomic(this.#path(key), bytes); // [FCACHE-1]
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  /** Remove the whole directory. */
  async clear(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
  }

  #path(key: string): string {
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new InvalidArgumentError('FileCache key', key, 'must be 3..200 of [A-Za-z0-9_-]');
    }
    return join(this.#dir, key.slice(0, 2), key);
  }
}
