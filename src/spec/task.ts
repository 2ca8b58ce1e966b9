/**
 * task(): turn a function into a factory of LazyResults. Calling the factory records the call
 * (function + arguments) and runs nothing; the engine decides when and whether to run it.
 *
 * Invariants:
 * - [TASK-1] Calling a factory never calls the function. [LAZY-1]
 * - [TASK-2] Arguments may hold LazyResults anywhere: positionally, or nested inside arrays and
 *   plain objects (a task taking one options object has named arguments). Each becomes a
 *   graph edge and is replaced by its value before the function runs.
 * - [TASK-3] Types follow the function: `(a: number) => Promise<string>` gives a factory
 *   `(a: number | LazyResult<number>) => LazyResult<string>`.
 */
import { LazyResult, type TaskDef, type TaskStructure } from './lazy-result.js';
import type { TailCall, TailCallable } from './tail-call.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * An argument as a factory accepts it: the value, a LazyResult of it, or (for arrays and plain
 * objects) the same shape with LazyResults inside.
 */
export type LazyArg<T> = T | LazyResult<T> | LazyDeep<T>;

type LazyDeep<T> = T extends (...args: never[]) => unknown
  ? never
  : T extends readonly unknown[]
    ? { [K in keyof T]: LazyArg<T[K]> }
    : T extends object
      ? { [K in keyof T]: LazyArg<T[K]> }
      : never;

/** A whole argument list as a factory accepts it. */
export type LazyArgs<A extends readonly unknown[]> = { [K in keyof A]: LazyArg<A[K]> };

/** The value a task's LazyResult resolves to: awaited, without tail calls. */
export type TaskResult<R> = Exclude<Awaited<R>, TailCall>;

/** The named argument of a task that takes one options object. */
type NamedArg<A extends readonly unknown[]> = A extends readonly [infer O, ...unknown[]]
  ? O
  : A extends readonly [(infer O)?]
    ? O
    : never;

/** `factory.map(...)`'s first argument: for some named arguments, a list (or LazyResult of one). */
export type MapSpec<A extends readonly unknown[]> = {
  readonly [K in keyof NamedArg<A>]?:
    readonly NamedArg<A>[K][] | LazyResult<readonly NamedArg<A>[K][]>;
};

/** What `task(fn)` returns: call it to get a LazyResult. */
export interface TaskFactory<A extends unknown[], R> extends TailCallable {
  /** Record a call. Runs nothing. [TASK-1] */
  (...args: LazyArgs<A>): LazyResult<TaskResult<R>>;
  /** The task's name. */
  readonly taskName: string;
  /** The definition the engine runs. */
  readonly def: TaskDef;
  /**
   * Run the task once per element of the given lists (zipped; they must have equal length),
   * concurrently, with the other named arguments from `fixed`. Resolves to the results in
   * order. Each element is an execution of its own (own retries, constraints, cache entry).
   *
   * @example
   * ```ts
   * const sq = task(({ x, k }: { x: number; k: number }) => x * x * k);
   * await engine.run(sq.map({ x: [1, 2, 3] }, { k: 10 })); // [10, 40, 90]
   * ```
   */
  map(lists: MapSpec<A>, fixed?: LazyArg<Partial<NamedArg<A>>>): LazyResult<TaskResult<R>[]>;
}

/** Options of {@link task}. */
export interface TaskOptions {
  /** Name in events and errors; default: the function's name, else `task`. */
  name?: string;
  /** A pure task's structurally equal calls in one run are merged into one node. */
  pure?: boolean;
}

/**
 * Turn a function (sync or async) into a task factory.
 *
 * @example
 * ```ts
 * const fetchText = task(async (url: string) => (await fetch(url)).text(), { name: 'fetch' });
 * const words = task((text: string) => text.split(/\s+/).length);
 * const n = words(fetchText('https://example.org')); // LazyResult<number>, nothing ran
 * console.log(await new Engine().run(n));
 * ```
 */
export function task<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: TaskOptions = {},
): TaskFactory<A, R> {
  if (typeof fn !== 'function') throw new InvalidArgumentError('task', fn, 'must be a function');
  const name = options.name ?? (fn.name !== '' ? fn.name : 'task');
  return structuredTask(fn, name, options.pure === true, undefined);
}

/**
 * @internal A task whose definition carries a structure (router, subflow, sequence), for the
 * composites of this layer. Users call {@link task}.
 */
export function structuredTask<A extends unknown[], R>(
  fn: (...args: A) => R,
  name: string,
  pure: boolean,
  structure: TaskStructure | undefined,
): TaskFactory<A, R> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError('task name', name, 'must be a non-empty string');
  }
  const def: TaskDef = Object.freeze({
    fn,
    name,
    pure,
    ...(structure !== undefined && { structure }),
  });
  const factory = (...args: unknown[]): LazyResult<unknown> =>
    new LazyResult({
      kind: 'call',
      task: def,
      args,
      resource: null,
      retry: null,
      cache: null,
      constraints: null,
      condition: null,
      afterList: [],
    });
  const map = (lists: unknown, fixed: unknown = {}): LazyResult<unknown> => {
    if (typeof lists !== 'object' || lists === null || Array.isArray(lists)) {
      throw new InvalidArgumentError('map', lists, 'must be { argName: list }');
    }
    if (Object.keys(lists).length === 0) {
      throw new InvalidArgumentError('map', lists, 'needs at least one list');
    }
    return new LazyResult({
      kind: 'map',
      task: def,
      args: [lists, fixed],
      resource: null,
      retry: null,
      cache: null,
      constraints: null,
      condition: null,
      afterList: [],
    });
  };
  Object.defineProperties(factory, {
    taskName: { value: name, enumerable: true },
    def: { value: def, enumerable: true },
    map: { value: map, enumerable: true },
  });
  return factory as unknown as TaskFactory<A, R>;
}
