/**
 * Finding LazyResults inside task arguments and replacing them by values. Only arrays and plain
 * objects (prototype `Object.prototype` or `null`) are looked into; class instances, functions,
 * Maps and the like are passed through untouched.
 *
 * Invariants:
 * - [SCAN-1] `substitute` copies a container only if something inside it changed; argument
 *   trees without LazyResults are passed to the function as they are (no copy).
 * - [SCAN-2] Self-referential containers are walked once (no infinite loop).
 */
import { LazyResult } from '../spec/lazy-result.js';

/**
 * True for arrays' siblings that the scanner looks into: objects made by `{}` or
 * `Object.create(null)`.
 *
 * @example
 * ```ts
 * isPlainObject({ a: 1 }); // true
 * isPlainObject(new Date()); // false
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Append every LazyResult found in `value` to `out`, in depth-first order.
 *
 * @example
 * ```ts
 * const found: LazyResult<unknown>[] = [];
 * collectLazies([1, { x: add(1, 2) }], found); // found.length === 1
 * ```
 */
export function collectLazies(value: unknown, out: LazyResult<unknown>[]): void {
  collect(value, out, []);
}

function collect(value: unknown, out: LazyResult<unknown>[], ancestors: unknown[]): void {
  if (typeof value !== 'object' || value === null) return;
  if (value instanceof LazyResult) {
    out.push(value);
    return;
  }
  const isArray = Array.isArray(value);
  if (!isArray && !isPlainObject(value)) return;
  if (ancestors.includes(value)) return; // [SCAN-2]
  ancestors.push(value);
  if (isArray) {
    for (let i = 0; i < value.length; i++) collect(value[i], out, ancestors);
  } else {
    for (const key in value) collect(value[key], out, ancestors);
  }
  ancestors.pop();
}

/** Gives the value of a LazyResult (an upstream result or an injected resource). */
export interface LazyValues {
  valueOf(lazy: LazyResult<unknown>): unknown;
}

/**
 * Return `value` with every LazyResult replaced by `values.valueOf(lazy)`. [SCAN-1]
 *
 * @example
 * ```ts
 * substitute({ a: lazyA, b: 2 }, { valueOf: () => 1 }); // { a: 1, b: 2 }
 * ```
 */
export function substitute(value: unknown, values: LazyValues): unknown {
  return subst(value, values, []);
}

function subst(value: unknown, values: LazyValues, ancestors: unknown[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof LazyResult) return values.valueOf(value);
  if (Array.isArray(value)) {
    if (ancestors.includes(value)) return value;
    ancestors.push(value);
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const s = subst(v, values, ancestors);
      if (s !== v && copy === null) copy = value.slice(0, i);
      if (copy !== null) copy.push(s);
    }
    ancestors.pop();
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  if (ancestors.includes(value)) return value;
  ancestors.push(value);
  let copy: Record<string, unknown> | null = null;
  for (const key in value) {
    const v = value[key];
    const s = subst(v, values, ancestors);
    if (s !== v) {
      copy ??= { ...value };
      copy[key] = s;
    }
  }
  ancestors.pop();
  return copy ?? value;
}
