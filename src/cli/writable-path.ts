/**
 * Checking, before a run starts, that a file option (`--log`, `--out`) names a place the
 * command can write. Without it an unwritable path fails only when the file is first opened:
 * with a stack trace at the start of a run, or, for `cascade profile --out`, after the whole
 * run, losing what it measured.
 */
import {
  accessSync,
  closeSync,
  constants,
  openSync,
  statSync,
  unlinkSync,
  type Stats,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

/**
 * Throw a UsageError (exit code 2) naming `option` and the reason when `path` cannot be
 * opened for writing. Opens the file for append and closes it again (the only check that
 * also sees read-only mounts, ACLs and quotas the way the later write will); a file this
 * check created is removed, so a refused run leaves nothing behind.
 *
 * @example
 * ```ts
 * checkWritableFile('--log', '/nonexistent/x.jsonl'); // UsageError: --log /nonexistent/x.jsonl: directory /nonexistent does not exist
 * ```
 */
export function checkWritableFile(option: string, path: string): void {
  const refuse = (reason: string): never => {
    throw new UsageError(`${option} ${path}: ${reason}`);
  };
  if (path.trim() === '') refuse('an empty path');
  const existing = statOrUndefined(path);
  if (existing?.isDirectory() === true) refuse('is a directory, not a file');
  if (existing?.isFIFO() === true) {
    // opening a FIFO for writing blocks until someone reads it: check the permission only
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      refuse(reasonOf(error));
    }
    return;
  }
  if (existing === undefined) {
    const dir = dirname(resolve(path));
    const parent = statOrUndefined(dir);
    if (parent === undefined) refuse(`directory ${dir} does not exist`);
    if (parent?.isDirectory() === false) refuse(`${dir} is not a directory`);
  }
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    return refuse(`cannot be written (${reasonOf(error)})`);
  }
  closeSync(fd);
  if (existing === undefined) unlinkSync(path);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined; // absent, or in a directory we may not search: the open says which
  }
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
