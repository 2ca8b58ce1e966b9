/**
 * Content keys for caches that outlive the process (a cache directory, Redis): a SHA-256 of
 * the task's name, an optional version and a canonical text of its resolved arguments. Unlike
 * the memory cache's key (which may use object identity, valid only inside one engine), a
 * content key means the same thing in every process.
 *
 * The function's source is deliberately not part of the key: the same task compiled by two
 * tools has two texts (measured: vitest keeps `(x) => ({ n: x.n })`, tsx gives
 * `x=>({n:x.n})`), so a source hash would split one cache in two. A task's name says which
 * task it is; `version` says which code: change it when the code changes what it returns.
 *
 * Invariants:
 * - [CKEY-1] Structurally equal arguments (plain objects in any key order, arrays, strings,
 *   numbers, booleans, null, undefined, bigints, Dates, byte arrays) give the same key in every
 *   process; changing an argument, the task's name or `version` changes the key.
 * - [CKEY-2] An argument with no content identity (a function, a symbol, a class instance, a
 *   Map, a cycle) is refused with INVALID_ARGUMENT naming where it sits (`args[0].db`): it would key by
 *   identity and collide across processes.
 */
import { createHash } from 'node:crypto';
import type { TaskDef } from '../spec/lazy-result.js';
import { isPlainObject } from '../graph/scan-args.js';
import { writeScalar } from '../graph/structural-hash.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * The content key of a call of `def` with `args` (resolved), as 64 hex digits. [CKEY-1]
 *
 * @example
 * ```ts
 * const add = task((a: number, b: number) => a + b, { name: 'add' });
 * contentKey(add.def, [1, 2], '') === contentKey(add.def, [1, 2], ''); // true, in any process
 * ```
 */
export function contentKey(def: TaskDef, args: readonly unknown[], version: string): string {
  const parts: string[] = [JSON.stringify(def.name), JSON.stringify(version)];
  writeValue(args, parts, 'args', []);
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

function writeValue(value: unknown, out: string[], path: string, open: object[]): void {
  if (writeScalar(value, out)) return;
  switch (typeof value) {
    case 'function':
    case 'symbol':
      throw noContent(path, typeof value);
    default:
      break;
  }
  if (value === null) {
    out.push('N');
    return;
  }
  const object = value as object;
  if (open.includes(object)) throw noContent(path, 'cycle');
  if (Array.isArray(value)) {
    open.push(value);
    out.push('[');
    for (let i = 0; i < value.length; i++) writeValue(value[i], out, `${path}[${i}]`, open);
    out.push(']');
    open.pop();
    return;
  }
  if (value instanceof Date) {
    out.push(`D${value.getTime()}`);
    return;
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    out.push(`B${value.constructor.name}:${bytes.toString('base64')}`);
    return;
  }
  if (isPlainObject(value)) {
    open.push(object);
    out.push('{');
    for (const k of Object.keys(value).sort()) {
      out.push(JSON.stringify(k));
      writeValue(value[k], out, `${path}.${k}`, open);
    }
    out.push('}');
    open.pop();
    return;
  }
  throw noContent(path, (object.constructor as { name?: string } | undefined)?.name ?? 'object');
}

/** [CKEY-2] */
function noContent(path: string, what: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'cache key',
    path,
    `a ${what} has no content to hash; a backend cache needs plain-data arguments`,
  );
}
