/**
 * Policies a LazyResult carries: how often to retry, what to cache, which resources to hold
 * while running. Policies are plain, validated, frozen values; the runtime reads them.
 *
 * Invariants:
 * - [POL-1] A policy is validated when it is attached (`withRetry`, `withCache`,
 *   `withConstraints`), never later: a bad value throws InvalidArgumentError naming the option.
 * - [POL-2] Policies are immutable once attached; chaining returns a new LazyResult.
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * Retry policy: up to `maxAttempts` attempts in all; before attempt n+1 wait
 * `delay * backoff^(n-1)` ms.
 *
 * @example
 * ```ts
 * fetchPage(url).withRetry({ maxAttempts: 3, delay: 100, backoff: 2 }); // waits 100, then 200 ms
 * ```
 */
export interface RetryPolicy {
  /** Attempts in all, an integer >= 1. */
  readonly maxAttempts: number;
  /** Wait before the second attempt, in ms (default 0). */
  readonly delay?: number;
  /** Multiplier applied to the delay after each failed attempt, >= 1 (default 1). */
  readonly backoff?: number;
}

/**
 * Cache policy. `memory`: results kept in the engine's in-memory cache, keyed by the task and
 * its resolved arguments (optionally for `ttlMs`). `file`: a file-existence cache; when the file
 * at `path` (or `path(...resolvedArgs)`) exists the task does not run and its result is that
 * path — meant for tasks that write a file and return its path. `backend`: the engine's named
 * cache backend (`new Engine({ caches: { redis: new RedisCache(...) } })`), keyed by a content
 * hash of the task's name, `version` and resolved arguments, so the entry is found again by
 * another process (name such tasks uniquely; change `version` when the code changes).
 *
 * @example
 * ```ts
 * square(4).withCache('memory');
 * render(scene).withCache({ kind: 'file', path: (s: Scene) => `out/${s.id}.png` });
 * fetchPage(url).withCache({ backend: 'redis', ttlMs: 3_600_000, version: 'v2' });
 * ```
 */
export type CachePolicy =
  | 'memory'
  | { readonly kind: 'memory'; readonly ttlMs?: number }
  | {
      readonly kind: 'file';
      readonly path: string | ((...args: never[]) => string);
    }
  | {
      readonly kind?: 'backend';
      /** The name of a cache in the engine's `caches`. */
      readonly backend: string;
      /** How long an entry lives, in ms (default: no expiry). */
      readonly ttlMs?: number;
      /** Part of the key: change it to drop what older code cached (default ''). */
      readonly version?: string;
    };

/** A cache policy after validation (the shorthand expanded). */
export type NormalizedCachePolicy =
  | { readonly kind: 'memory'; readonly ttlMs: number }
  | { readonly kind: 'file'; readonly path: string | ((...args: never[]) => string) }
  | {
      readonly kind: 'backend';
      readonly backend: string;
      readonly ttlMs: number;
      readonly version: string;
    };

/**
 * Resources a task holds while it runs, by name: `{ cpu_slot: 1, gpu: 0.5 }`. Acquired all at
 * once from the engine's ResourceManager before each execution (each iteration in VM mode).
 *
 * @example
 * ```ts
 * train(data).withConstraints({ gpu: 1, cpu_slot: 2 });
 * ```
 */
export type Constraints = Readonly<Record<string, number>>;

/**
 * Validate and freeze a retry policy. [POL-1]
 *
 * @example
 * ```ts
 * normalizeRetry({ maxAttempts: 2 }); // { maxAttempts: 2, delay: 0, backoff: 1 }
 * ```
 */
export function normalizeRetry(policy: RetryPolicy): Required<RetryPolicy> {
  if (typeof policy !== 'object' || policy === null) {
    throw new InvalidArgumentError('retry', policy, 'must be an object');
  }
  const { maxAttempts, delay = 0, backoff = 1 } = policy;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new InvalidArgumentError('retry.maxAttempts', maxAttempts, 'must be an integer >= 1');
  }
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
    throw new InvalidArgumentError('retry.delay', delay, 'must be a finite number >= 0');
  }
  if (typeof backoff !== 'number' || !Number.isFinite(backoff) || backoff < 1) {
    throw new InvalidArgumentError('retry.backoff', backoff, 'must be a finite number >= 1');
  }
  return Object.freeze({ maxAttempts, delay, backoff });
}

/**
 * Validate a cache policy and expand the `'memory'` shorthand. [POL-1]
 *
 * @example
 * ```ts
 * normalizeCache('memory'); // { kind: 'memory', ttlMs: Infinity }
 * ```
 */
export function normalizeCache(policy: CachePolicy): NormalizedCachePolicy {
  if (policy === 'memory') return Object.freeze({ kind: 'memory', ttlMs: Infinity });
  if (typeof policy !== 'object' || policy === null) {
    throw new InvalidArgumentError('cache', policy, "must be 'memory' or { kind: ... }");
  }
  if (policy.kind === 'memory') {
    const ttlMs = policy.ttlMs ?? Infinity;
    if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs) || ttlMs <= 0) {
      throw new InvalidArgumentError('cache.ttlMs', ttlMs, 'must be a number > 0');
    }
    return Object.freeze({ kind: 'memory', ttlMs });
  }
  if (policy.kind === 'file') {
    const p = policy.path;
    if (!(typeof p === 'function' || (typeof p === 'string' && p.length > 0))) {
      throw new InvalidArgumentError('cache.path', p, 'must be a non-empty string or a function');
    }
    return Object.freeze({ kind: 'file', path: p });
  }
  if (policy.kind === 'backend' || (policy.kind === undefined && 'backend' in policy)) {
    const { backend, ttlMs = Infinity, version = '' } = policy;
    if (typeof backend !== 'string' || backend.length === 0) {
      throw new InvalidArgumentError('cache.backend', backend, 'must be a non-empty string');
    }
    if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs) || ttlMs <= 0) {
      throw new InvalidArgumentError('cache.ttlMs', ttlMs, 'must be a number > 0');
    }
    if (typeof version !== 'string') {
      throw new InvalidArgumentError('cache.version', version, 'must be a string');
    }
    return Object.freeze({ kind: 'backend', backend, ttlMs, version });
  }
  throw new InvalidArgumentError(
    'cache.kind',
    (policy as { kind?: unknown }).kind,
    "must be 'memory', 'file' or 'backend'",
  );
}

/**
 * Validate and freeze constraints; zero amounts are dropped. [POL-1]
 *
 * @example
 * ```ts
 * normalizeConstraints({ cpu_slot: 1, gpu: 0 }); // { cpu_slot: 1 }
 * ```
 */
export function normalizeConstraints(constraints: Constraints): Constraints {
  if (typeof constraints !== 'object' || constraints === null || Array.isArray(constraints)) {
    throw new InvalidArgumentError('constraints', constraints, 'must be a record of amounts');
  }
  const out: Record<string, number> = {};
  for (const name of Object.keys(constraints)) {
    const amount = constraints[name];
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
      throw new InvalidArgumentError(`constraints.${name}`, amount, 'must be a finite number >= 0');
    }
    if (amount > 0) out[name] = amount;
  }
  return Object.freeze(out);
}
