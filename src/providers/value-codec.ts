/**
 * How backends outside the process (a cache directory, Redis) turn a task's value into bytes
 * and back: Node's structured-clone serialiser (`node:v8`), so what a task may return and find
 * again is what `structuredClone` keeps: plain objects, arrays, strings, numbers, bigints,
 * booleans, null, undefined, Dates, RegExps, Maps, Sets, typed arrays and Errors. Functions,
 * symbols and class instances (as their class) are not kept: a value holding a function fails
 * to encode, and the backend reports that as a failed write.
 *
 * Entries start with a one-byte format version, so a later format can tell old entries apart.
 */
import { deserialize, serialize } from 'node:v8';

const FORMAT = 1;

/**
 * Encode `value` (and the time it expires, ms since the epoch, Infinity for never).
 *
 * @example
 * ```ts
 * const bytes = encodeEntry({ n: 1 }, Infinity);
 * decodeEntry(bytes); // { value: { n: 1 }, expires: Infinity }
 * ```
 */
export function encodeEntry(value: unknown, expires: number): Buffer {
  const body = serialize({ value, expires });
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = FORMAT;
  body.copy(out, 1);
  return out;
}

/** Decode what {@link encodeEntry} made, or null when the bytes are not such an entry. */
export function decodeEntry(bytes: Buffer): { value: unknown; expires: number } | null {
  if (bytes.length < 2 || bytes[0] !== FORMAT) return null;
  try {
    const entry = deserialize(bytes.subarray(1)) as { value: unknown; expires: unknown };
    if (typeof entry !== 'object' || entry === null || typeof entry.expires !== 'number') {
      return null;
    }
    return { value: entry.value, expires: entry.expires };
  } catch {
    return null;
  }
}
