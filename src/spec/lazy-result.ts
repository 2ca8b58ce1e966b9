/**
 * LazyResult: the promise of a task's result, before anything runs. Passing a LazyResult as an
 * argument of another task call makes a graph edge; `engine.run(lazy)` runs what it needs.
 *
 * Invariants:
 * - [LAZY-1] Creating or chaining a LazyResult runs nothing and has no side effect.
 * - [LAZY-2] A LazyResult is immutable: every policy method returns a new LazyResult that
 *   shares the task and arguments and differs only in that policy. [POL-2]
 * - [LAZY-3] All instances have the same shape (every field always set) so the engine's hot
 *   paths stay monomorphic.
 */
import {
  normalizeCache,
  normalizeConstraints,
  normalizeRetry,
  type CachePolicy,
  type Constraints,
  type NormalizedCachePolicy,
  type RetryPolicy,
} from './policies.js';
import type { ResourceDef } from './resource.js';
import { InvalidArgumentError } from '../errors.js';

/** What a task is to the engine: the function, its name and whether it is pure. */
export interface TaskDef {
  /** The user function. Called with the resolved arguments. */
  readonly fn: (...args: never[]) => unknown;
  /** A readable name, used in events, errors and node ids. */
  readonly name: string;
  /** Pure tasks with structurally equal calls are merged into one graph node per run. */
  readonly pure: boolean;
  /**
   * What a composite task is made of (a router's states, a subflow's target), for `dryRun`
   * and `visualize`; absent for a plain task.
   */
  readonly structure?: TaskStructure;
}

/** A router state as pictures and plans show it. */
export interface RouterStateInfo {
  readonly name: string;
  /** `task` runs a task (it may return a jump); `select` picks the next state by a key. */
  readonly kind: 'task' | 'select';
  /** The task or selector's name. */
  readonly label: string;
  /**
   * Where it may go: for `select` key -> state (or `$end`); for `task` the declared targets
   * as key = state, or null when undeclared (any state).
   */
  readonly next: Readonly<Record<string, string>> | null;
}

/** The inside of a composite task. */
export type TaskStructure =
  | {
      readonly kind: 'router';
      readonly start: string;
      readonly states: readonly RouterStateInfo[];
      readonly maxSteps: number;
    }
  | {
      readonly kind: 'subflow';
      /** Builds the inner target from the node's resolved arguments. */
      readonly build: (...args: never[]) => LazyResult<unknown>;
    }
  | { readonly kind: 'sequence' };

/** What a LazyResult stands for: a call, a map over lists, or an injected resource. */
export type LazyKind = 'call' | 'map' | 'inject';

/** The fields of a LazyResult; see the class. */
export interface LazyInit {
  readonly kind: LazyKind;
  readonly task: TaskDef | null;
  readonly args: readonly unknown[];
  readonly resource: string | ResourceDef<unknown> | null;
  readonly retry: Required<RetryPolicy> | null;
  readonly cache: NormalizedCachePolicy | null;
  readonly constraints: Constraints | null;
  readonly condition: boolean | LazyResult<boolean> | null;
  readonly afterList: readonly LazyResult<unknown>[];
}

/**
 * The not-yet-computed result of a task call. Build one by calling a task factory; run it with
 * `engine.run(lazy)`.
 *
 * @example
 * ```ts
 * const add = task((a: number, b: number) => a + b);
 * const sum = add(add(1, 2), 3).withRetry({ maxAttempts: 2 }); // LazyResult<number>
 * console.log(await new Engine().run(sum)); // 6
 * ```
 */
export class LazyResult<out T> implements LazyInit {
  /** Phantom: the type of the value this LazyResult resolves to. Never set at run time. */
  declare readonly __result?: T;
  readonly kind: LazyKind;
  readonly task: TaskDef | null;
  readonly args: readonly unknown[];
  readonly resource: string | ResourceDef<unknown> | null;
  readonly retry: Required<RetryPolicy> | null;
  readonly cache: NormalizedCachePolicy | null;
  readonly constraints: Constraints | null;
  readonly condition: boolean | LazyResult<boolean> | null;
  readonly afterList: readonly LazyResult<unknown>[];
  /**
   * @internal Scratch of the graph builder (src/graph/graph.ts): the build that last visited
   * this call and the node it became there. Fields, not a Map: a Map keyed by a fresh object
   * first has to give it an identity hash, which cost more than the rest of building.
   */
  graphBuild = 0;
  /** @internal See `graphBuild`. */
  graphIndex = -1;

  /** @internal Build LazyResults with `task(...)`, `factory.map` or `inject`. */
  constructor(init: LazyInit) {
    this.kind = init.kind;
    this.task = init.task;
    this.args = init.args;
    this.resource = init.resource;
    this.retry = init.retry;
    this.cache = init.cache;
    this.constraints = init.constraints;
    this.condition = init.condition;
    this.afterList = init.afterList;
  }

  /** The task's name (or `inject:<name>` for an injected resource). */
  get name(): string {
    if (this.task !== null) return this.task.name;
    const r = this.resource;
    return `inject:${typeof r === 'string' ? r : (r?.name ?? '?')}`;
  }

  /**
   * Retry a failing execution: `maxAttempts` attempts in all, waiting `delay * backoff^(n-1)`
   * ms before attempt n+1. A run whose task fails on every attempt rejects with TASK_FAILED.
   *
   * @example
   * ```ts
   * flaky().withRetry({ maxAttempts: 5, delay: 10, backoff: 2 });
   * ```
   */
  withRetry(policy: RetryPolicy): LazyResult<T> {
    this.#assertTask('withRetry');
    return new LazyResult<T>({ ...this.#init(), retry: normalizeRetry(policy) });
  }

  /**
   * Cache the result: `'memory'` (keyed by task and resolved arguments, in the engine), a
   * file-existence cache `{ kind: 'file', path }`, or one of the engine's named cache backends
   * `{ backend, ttlMs?, version? }` (memory, a directory, Redis: see `cascade/providers`).
   *
   * @example
   * ```ts
   * slowSquare(9).withCache('memory');
   * fetchPage(url).withCache({ backend: 'redis', ttlMs: 60_000 });
   * ```
   */
  withCache(policy: CachePolicy): LazyResult<T> {
    this.#assertTask('withCache');
    return new LazyResult<T>({ ...this.#init(), cache: normalizeCache(policy) });
  }

  /**
   * Hold these resources (from the engine's ResourceManager) while the task runs; in VM mode
   * they are acquired and released around every iteration.
   *
   * @example
   * ```ts
   * crunch(n).withConstraints({ cpu_slot: 1 });
   * ```
   */
  withConstraints(constraints: Constraints): LazyResult<T> {
    this.#assertTask('withConstraints');
    const c = normalizeConstraints(constraints);
    return new LazyResult<T>({ ...this.#init(), constraints: Object.keys(c).length ? c : null });
  }

  /**
   * Run only if `condition` (a boolean or a LazyResult of one) is true. When it is false the
   * task is skipped with a reason, its dependents are skipped too, and a skipped run target
   * resolves to `undefined`.
   *
   * @example
   * ```ts
   * deploy(build).runIf(testsPassed);
   * ```
   */
  runIf(condition: boolean | LazyResult<boolean>): LazyResult<T | undefined> {
    this.#assertTask('runIf');
    if (typeof condition !== 'boolean' && !(condition instanceof LazyResult)) {
      throw new InvalidArgumentError('runIf', condition, 'must be a boolean or a LazyResult');
    }
    return new LazyResult<T | undefined>({ ...this.#init(), condition });
  }

  /**
   * Order without data: run only after `others` finished.
   *
   * @example
   * ```ts
   * report().after(cleanup(), migrate());
   * ```
   */
  after(...others: LazyResult<unknown>[]): LazyResult<T> {
    this.#assertTask('after');
    for (const o of others) {
      if (!(o instanceof LazyResult)) {
        throw new InvalidArgumentError('after', o, 'every argument must be a LazyResult');
      }
    }
    return new LazyResult<T>({ ...this.#init(), afterList: [...this.afterList, ...others] });
  }

  #assertTask(method: string): void {
    if (this.kind === 'inject') {
      throw new InvalidArgumentError(method, this.name, 'an injected resource takes no policies');
    }
  }

  #init(): LazyInit {
    return {
      kind: this.kind,
      task: this.task,
      args: this.args,
      resource: this.resource,
      retry: this.retry,
      cache: this.cache,
      constraints: this.constraints,
      condition: this.condition,
      afterList: this.afterList,
    };
  }
}

/**
 * True if `value` is a LazyResult.
 *
 * @example
 * ```ts
 * isLazyResult(add(1, 2)); // true
 * ```
 */
export function isLazyResult(value: unknown): value is LazyResult<unknown> {
  return value instanceof LazyResult;
}
