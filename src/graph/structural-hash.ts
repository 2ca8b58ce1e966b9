/**
 * Structural keys and hashes: a canonical string for a value (object keys sorted, LazyResults
 * and non-plain objects by identity) and a short FNV-1a hash of it. Used to merge equal calls
 * of pure tasks in one graph and as the in-memory cache key of a task and its resolved
 * arguments.
 *
 * Invariants:
 * - [HASH-1] Structurally equal plain data (same primitives, arrays, plain objects in any key
 *   order) gives the same key; different data gives different keys.
 * - [HASH-2] A non-plain object (class instance, function, Map) is keyed by identity, stable for
 *   the hasher's lifetime and never retained (WeakMap).
 */
import { isPlainObject } from './scan-args.js';

/**
 * Makes structural keys. One instance per engine: identity numbers are per instance.
 *
 * @example
 * ```ts
 * const h = new StructuralHasher();
 * h.key({ b: 1, a: [1, 'x'] }) === h.key({ a: [1, 'x'], b: 1 }); // true
 * h.hash({ a: 1 }); // e.g. 'a1b2c3d4e5f6a'
 * ```
 */
export class StructuralHasher {
  #ids = new WeakMap<object, number>();
  #nextId = 1;

  /** Identity number of an object or function (stable for this hasher). */
  idOf(object: object): number {
    let id = this.#ids.get(object);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(object, id);
    }
    return id;
  }

  /** The canonical string of `value`. [HASH-1] [HASH-2] */
  key(value: unknown, replace?: (object: object) => string | undefined): string {
    const parts: string[] = [];
    this.#write(value, parts, [], replace);
    return parts.join('');
  }

  /** A 52-bit FNV-1a hash of `key(value)`, in base 36. */
  hash(value: unknown, replace?: (object: object) => string | undefined): string {
    return fnv1a(this.key(value, replace));
  }

  #write(
    value: unknown,
    out: string[],
    ancestors: unknown[],
    replace: ((object: object) => string | undefined) | undefined,
  ): void {
    if (writeScalar(value, out)) return;
    switch (typeof value) {
      case 'symbol':
        out.push(`S(${String(value.description)})`);
        return;
      case 'function':
        out.push(`#${this.idOf(value)}`);
        return;
      default:
        break;
    }
    if (value === null) {
      out.push('N');
      return;
    }
    const object = value as object;
    const replaced = replace?.(object);
    if (replaced !== undefined) {
      out.push(replaced);
      return;
    }
    if (ancestors.includes(object)) {
      out.push(`^${ancestors.length - ancestors.indexOf(object)}`);
      return;
    }
    if (Array.isArray(object)) {
      ancestors.push(object);
      out.push('[');
      for (let i = 0; i < object.length; i++) {
        if (i > 0) out.push(',');
        this.#write(object[i], out, ancestors, replace);
      }
      out.push(']');
      ancestors.pop();
      return;
    }
    if (object instanceof Date) {
      out.push(`D${object.getTime()}`);
      return;
    }
    if (isPlainObject(object)) {
      ancestors.push(object);
      out.push('{');
      const keys = Object.keys(object).sort();
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out.push(',');
        out.push(JSON.stringify(keys[i]), ':');
        this.#write(object[keys[i]], out, ancestors, replace);
      }
      out.push('}');
      ancestors.pop();
      return;
    }
    out.push(`#${this.idOf(object)}`);
  }
}

/**
 * 52-bit FNV-1a of a string (exact in double arithmetic), base 36.
 *
 * @example
 * ```ts
 * fnv1a('abc') === fnv1a('abc'); // true
 * ```
 */
export function fnv1a(text: string): string {
  // Two 26-bit halves keep the multiply exact in doubles.
  let hi = 0x1b0d3;
  let lo = 0x2a3c59d;
  for (let i = 0; i < text.length; i++) {
    lo ^= text.charCodeAt(i);
    // multiply (hi, lo) by the 40-bit FNV prime 0x100000001b3 modulo 2^52
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 0x4000000);
    const newLo = loMul % 0x4000000;
    hi = (hi * 0x1b3 + carry + ((lo * 0x4000) % 0x4000000)) % 0x4000000;
    lo = newLo;
  }
  return (hi * 0x4000000 + lo).toString(36);
}

/**
 * Write a string, number, boolean, undefined or bigint as the structural key and the cache's
 * content key both spell it; false (nothing written) for anything else.
 *
 * @example
 * ```ts
 * const out: string[] = [];
 * writeScalar(-0, out); // true, out is ['-0']
 * ```
 */
export function writeScalar(value: unknown, out: string[]): boolean {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return true;
    case 'number':
      out.push(Object.is(value, -0) ? '-0' : String(value));
      return true;
    case 'boolean':
      out.push(value ? 'T' : 'F');
      return true;
    case 'undefined':
      out.push('U');
      return true;
    case 'bigint':
      out.push(`${value}n`);
      return true;
    default:
      return false;
  }
}
