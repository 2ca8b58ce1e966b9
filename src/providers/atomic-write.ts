/**
 * Atomic file writes: the bytes go to a temporary file beside the target, which is then
 * renamed over it. A reader sees the old file or the whole new one, never half of it, and a
 * writer that dies mid-way leaves at most a stray temporary file (named `.<name>.<random>.tmp`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Create missing parent directories (default true). */
  mkdirs?: boolean;
  /** Abort to stop the write; the temporary file is removed. */
  signal?: AbortSignal;
}

/**
 * Write `data` to `path` atomically (temporary file + rename in the same directory).
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/report.json', JSON.stringify(report));
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  if (options.mkdirs !== false) await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx', signal: options.signal });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
