/**
 * File providers: `readFile` and `writeFile` as tasks. Both stop when the run is cancelled;
 * `writeFile` is atomic by default (a reader never sees half a file) and resolves with the
 * path it wrote, so it composes with `.withCache({ kind: 'file', path })` and with tasks that
 * take a path.
 *
 * Invariants:
 * - [FILE-1] `writeFile` resolves with the path only once the whole content is in place under
 *   that name (temporary file + rename; atomic-write.ts); missing directories are created.
 * - [FILE-2] Cancelling the run stops a read or write with CancelledError; a cancelled atomic
 *   write leaves the target as it was.
 */
import { readFile as fsReadFile, writeFile as fsWriteFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { task } from '../spec/task.js';
import { inject } from '../spec/resource.js';
import type { LazyResult } from '../spec/lazy-result.js';
import type { LazyArg } from '../spec/task.js';
import { CancelledError, InvalidArgumentError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

/** Options of {@link readFile}. */
export interface ReadFileOptions {
  /** `text` (UTF-8, default), `bytes` or `json` (parsed). */
  readonly as?: 'text' | 'bytes' | 'json';
}

/** Options of {@link writeFile}. */
export interface WriteFileOptions {
  /** Write through a temporary file and a rename (default true). [FILE-1] */
  readonly atomic?: boolean;
  /** Create missing parent directories (default true). */
  readonly mkdirs?: boolean;
}

async function readTask(
  path: string,
  options: ReadFileOptions,
  signal: AbortSignal,
): Promise<unknown> {
  checkPath('readFile path', path);
  const as = options.as ?? 'text';
  if (as !== 'text' && as !== 'bytes' && as !== 'json') {
    throw new InvalidArgumentError('readFile.as', as, "must be 'text', 'bytes' or 'json'");
  }
  try {
    if (as === 'bytes') return new Uint8Array(await fsReadFile(path, { signal }));
    const text = await fsReadFile(path, { encoding: 'utf8', signal });
    return as === 'json' ? (JSON.parse(text) as unknown) : text;
  } catch (error) {
    throw cancelled(error, signal); // [FILE-2]
  }
}

async function writeTask(
  path: string,
  data: string | Uint8Array,
  options: WriteFileOptions,
  signal: AbortSignal,
): Promise<string> {
  checkPath('writeFile path', path);
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new InvalidArgumentError('writeFile data', data, 'must be a string or a Uint8Array');
  }
  try {
    if (options.atomic === false) {
      if (options.mkdirs !== false) await mkdir(dirname(path), { recursive: true });
      await fsWriteFile(path, data, { signal });
    } else {
      await writeFileAtomic(path, data, { mkdirs: options.mkdirs, signal });
    }
  } catch (error) {
    throw cancelled(error, signal); // [FILE-2]
  }
  return path;
}

const readFileTask = task(readTask, { name: 'readFile' });
const writeFileTask = task(writeTask, { name: 'writeFile' });

/**
 * A task reading a file: UTF-8 text by default, `{ as: 'bytes' }` a Uint8Array,
 * `{ as: 'json' }` the parsed value. A missing file fails the task with Node's ENOENT error.
 *
 * @example
 * ```ts
 * import { Engine } from 'cascade';
 * import { readFile } from 'cascade/providers';
 * const config = readFile<{ port: number }>('config.json', { as: 'json' });
 * const { port } = await new Engine().run(config);
 * ```
 */
export function readFile(
  path: LazyArg<string>,
  options?: LazyArg<ReadFileOptions & { as?: 'text' }>,
): LazyResult<string>;
export function readFile(
  path: LazyArg<string>,
  options: LazyArg<ReadFileOptions & { as: 'bytes' }>,
): LazyResult<Uint8Array>;
export function readFile<T = unknown>(
  path: LazyArg<string>,
  options: LazyArg<ReadFileOptions & { as: 'json' }>,
): LazyResult<T>;
export function readFile(
  path: LazyArg<string>,
  options: LazyArg<ReadFileOptions> = {},
): LazyResult<unknown> {
  if (typeof path === 'string') checkPath('readFile path', path); // [POL-1]
  return readFileTask(path, options, inject<AbortSignal>('signal'));
}

/**
 * A task writing `data` to `path`, atomically unless `{ atomic: false }`, creating missing
 * directories; resolves with `path`. [FILE-1]
 *
 * @example
 * ```ts
 * import { Engine, task } from 'cascade';
 * import { writeFile } from 'cascade/providers';
 * const render = task((n: number) => `n = ${n}\n`);
 * await new Engine().run(writeFile('out/n.txt', render(42))); // 'out/n.txt'
 * ```
 */
export function writeFile(
  path: LazyArg<string>,
  data: LazyArg<string> | LazyArg<Uint8Array>,
  options: LazyArg<WriteFileOptions> = {},
): LazyResult<string> {
  if (typeof path === 'string') checkPath('writeFile path', path); // [POL-1]
  return writeFileTask(path, data, options, inject<AbortSignal>('signal'));
}

function checkPath(option: string, path: unknown): void {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidArgumentError(option, path, 'must be a non-empty string');
  }
}

function cancelled(error: unknown, signal: AbortSignal): unknown {
  return signal.aborted ? new CancelledError('file operation cancelled', { cause: error }) : error;
}
