/**
 * Resources: things a task uses but does not compute (a database handle, a temp directory, the
 * run's AbortSignal). Declared with `resource(name, factory, { scope })`, handed to a task by
 * putting `inject(name)` among its arguments.
 *
 * Invariants:
 * - [RES-1] A `run`-scoped resource is set up at most once per run, on first use, and torn
 *   down when the run ends — on success, failure and cancellation alike.
 * - [RES-2] A `task`-scoped resource is set up for each execution attempt of a task that
 *   injects it and torn down right after that attempt, whatever its outcome.
 * - [RES-3] Teardowns run in reverse order of setup; a throwing teardown does not stop the
 *   others.
 * - [RES-4] Injecting a name nobody registered fails the run before any task runs, with
 *   UNKNOWN_RESOURCE naming it.
 *
 * Built-in names, always available: `signal` (the run's AbortSignal), `params` (the run's
 * `params`), `context` (a {@link TaskContext}).
 */
import { LazyResult } from './lazy-result.js';
import { InvalidArgumentError } from '../errors.js';

/** What a resource factory receives. */
export interface ResourceContext {
  /** The run that sets the resource up. */
  readonly runId: string;
  /** Aborted when the run is cancelled or fails. */
  readonly signal: AbortSignal;
  /** The run's `params`. */
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * Wait `ms` on the engine's clock (simulated time when the engine has a VirtualClock);
   * rejects with a CancelledError when the run is cancelled.
   */
  readonly sleep: (ms: number) => Promise<void>;
  /** The run's environment variables (`env(...)` inputs read them); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Run another target as a child run of this one, on the same engine, with this run's
   * params, env, signal and resource overrides (what `subflow` uses).
   */
  readonly run?: <T>(target: LazyResult<T>) => Promise<T>;
}

/** What `inject('context')` gives a task. */
export interface TaskContext extends ResourceContext {
  /** The node being executed (e.g. `fetch#3`). */
  readonly nodeId: string;
  /** The task's name. */
  readonly taskName: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
}

/** A resource set up with an explicit teardown. */
export interface ResourceSetup<V> {
  readonly value: V;
  readonly teardown?: () => void | Promise<void>;
}

/** How a resource is made: returns the value, or `{ value, teardown }`; may be async. */
export type ResourceFactory<V> = (
  ctx: ResourceContext,
) => V | ResourceSetup<V> | Promise<V | ResourceSetup<V>>;

/** Lifetime of a resource instance: one per run, or one per task execution attempt. */
export type ResourceScope = 'run' | 'task';

/** A declared resource. Register it with the engine (`new Engine({ resources: [def] })`). */
export interface ResourceDef<V> {
  readonly name: string;
  readonly factory: ResourceFactory<V>;
  readonly scope: ResourceScope;
}

/** Names every engine provides without registration. */
export const BUILTIN_RESOURCES: readonly string[] = Object.freeze(['signal', 'params', 'context']);

/**
 * Declare a resource. The factory returns the value, or `{ value, teardown }` (an object with
 * only those keys) to be torn down when its scope ends.
 *
 * @example
 * ```ts
 * const tmp = resource('tmp', async () => {
 *   const dir = await mkdtemp('/tmp/x-');
 *   return { value: dir, teardown: () => rm(dir, { recursive: true }) };
 * }, { scope: 'run' });
 * const engine = new Engine({ resources: [tmp] });
 * await engine.run(writeReport(inject<string>('tmp')));
 * ```
 */
export function resource<V>(
  name: string,
  factory: ResourceFactory<V>,
  options: { scope?: ResourceScope } = {},
): ResourceDef<V> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError('resource name', name, 'must be a non-empty string');
  }
  if (BUILTIN_RESOURCES.includes(name)) {
    throw new InvalidArgumentError('resource name', name, 'is a built-in resource name');
  }
  if (typeof factory !== 'function') {
    throw new InvalidArgumentError('resource factory', factory, 'must be a function');
  }
  const scope = options.scope ?? 'run';
  if (scope !== 'run' && scope !== 'task') {
    throw new InvalidArgumentError('resource scope', scope, "must be 'run' or 'task'");
  }
  return Object.freeze({ name, factory, scope });
}

/**
 * An argument placeholder the engine replaces with a resource's value when the task runs.
 * Pass a registered name, a built-in name (`signal`, `params`, `context`) or a
 * {@link ResourceDef} directly (then no registration is needed). The type parameter is the
 * value's type; left out, the placeholder fits any parameter.
 *
 * @example
 * ```ts
 * const fetchAll = task(async (urls: string[], signal: AbortSignal) => {
 *   return Promise.all(urls.map((u) => fetch(u, { signal })));
 * });
 * await engine.run(fetchAll(['https://example.org'], inject('signal')), { signal });
 * ```
 */
export function inject<V = never>(nameOrDef: string | ResourceDef<V>): LazyResult<V> {
  if (
    !(typeof nameOrDef === 'string' && nameOrDef.length > 0) &&
    !(typeof nameOrDef === 'object' && nameOrDef !== null && typeof nameOrDef.name === 'string')
  ) {
    throw new InvalidArgumentError('inject', nameOrDef, 'must be a resource name or definition');
  }
  return new LazyResult<V>({
    kind: 'inject',
    task: null,
    args: [],
    resource: nameOrDef,
    retry: null,
    cache: null,
    constraints: null,
    condition: null,
    afterList: [],
  });
}

/** A replacement of a resource's factory, for a run or an engine (tests, local runs). */
export interface ResourceOverride<V> {
  /** The name of the resource replaced. */
  readonly name: string;
  /** The definition used instead. */
  readonly def: ResourceDef<V>;
}

/**
 * Replace a resource's factory for one run (`engine.run(t, { overrides: [...] })`) or for an
 * engine (`new Engine({ overrides: [...] })`). Given the definition, the replacement must make
 * a value of the same type; it takes that definition's scope unless `scope` says otherwise.
 * Injects by name and injects of the definition itself both get the replacement.
 *
 * @example
 * ```ts
 * const db = resource('db', () => connect(process.env.DB_URL!));
 * const fake = overrideResource(db, () => new InMemoryDb()); // must be a Db
 * await engine.run(saveReport(inject<Db>('db')), { overrides: [fake] });
 * ```
 */
export function overrideResource<V>(
  target: ResourceDef<V> | string,
  factory: ResourceFactory<V>,
  options: { scope?: ResourceScope } = {},
): ResourceOverride<V> {
  const name = typeof target === 'string' ? target : target?.name;
  const scope = options.scope ?? (typeof target === 'string' ? 'run' : target.scope);
  return Object.freeze({ name, def: resource(name, factory, { scope }) });
}

/**
 * Tell a factory's `{ value, teardown }` result from a plain value: an object whose own keys
 * are `value` and optionally a function `teardown`, nothing else.
 *
 * @example
 * ```ts
 * isResourceSetup({ value: 1, teardown: () => {} }); // true
 * isResourceSetup({ value: 1, other: 2 });            // false
 * ```
 */
export function isResourceSetup(x: unknown): x is ResourceSetup<unknown> {
  if (typeof x !== 'object' || x === null || !Object.hasOwn(x, 'value')) return false;
  const keys = Object.keys(x);
  if (keys.length === 1) return true;
  return (
    keys.length === 2 &&
    typeof (x as { teardown?: unknown }).teardown === 'function' &&
    Object.hasOwn(x, 'teardown')
  );
}
