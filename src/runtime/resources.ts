/**
 * The resources of one run: looks `inject(...)` placeholders up, sets resources up in their
 * scope and tears them down. See the spec layer's resource.ts for the contract ([RES-1..4]).
 *
 * Invariants:
 * - Keeps [RES-1]: run scope: one setup per run (concurrent first uses share it), torn down by
 *   `close()`, which the engine calls when the run ends however it ends.
 * - Keeps [RES-2]: task scope: `setUpFor` returns the attempt's teardowns; the executor runs them
 *   right after the attempt.
 * - Keeps [RES-3]: Teardowns run in reverse setup order; a throwing one is reported to `onError` and
 *   the rest still run.
 */
import { BUILTIN_RESOURCES, isResourceSetup } from '../spec/resource.js';
import type { ResourceContext, ResourceDef, TaskContext } from '../spec/resource.js';
import type { LazyResult } from '../spec/lazy-result.js';
import { CascadeError, ErrorCode } from '../errors.js';

type Teardown = () => void | Promise<void>;

/** A registry of resource definitions by name. */
export type ResourceRegistry = ReadonlyMap<string, ResourceDef<unknown>>;

/**
 * Resolve an inject placeholder to its definition or built-in name; UNKNOWN_RESOURCE if
 * nobody registered it. [RES-4]
 *
 * @example
 * ```ts
 * resolveInject(inject('db'), new Map([['db', dbDef]])); // dbDef
 * ```
 */
export function resolveInject(
  lazy: LazyResult<unknown>,
  registry: ResourceRegistry,
): ResourceDef<unknown> | string {
  const r = lazy.resource;
  if (r === null) throw new TypeError('not an inject placeholder');
  if (typeof r !== 'string') return r;
  if (BUILTIN_RESOURCES.includes(r)) return r;
  const def = registry.get(r);
  if (def === undefined) {
    throw new CascadeError(ErrorCode.UNKNOWN_RESOURCE, `unknown resource "${r}"`, { name: r });
  }
  return def;
}

/** Values of one attempt's injects, and the task-scoped teardowns to run after it. */
export interface InjectedValues {
  readonly values: Map<LazyResult<unknown>, unknown>;
  readonly teardowns: Teardown[];
}

/**
 * The resources of one run.
 *
 * @example
 * ```ts
 * const rr = new RunResources(registry, { runId: 'r1', signal, params: {} }, console.error);
 * const { values, teardowns } = await rr.setUpFor(node.injects, taskCtx);
 * // ... run the task ...
 * await runTeardowns(teardowns, console.error);
 * await rr.close();
 * ```
 */
export class RunResources {
  #registry: ResourceRegistry;
  #ctx: ResourceContext;
  #onError: (error: unknown) => void;
  #runScoped = new Map<ResourceDef<unknown>, Promise<unknown>>();
  #teardowns: Teardown[] = [];
  #overrides: ResourceRegistry | null;

  /** `overrides`: definitions used instead of those of the same name, however injected. */
  constructor(
    registry: ResourceRegistry,
    ctx: ResourceContext,
    onError: (e: unknown) => void,
    overrides: ResourceRegistry | null = null,
  ) {
    this.#registry = registry;
    this.#ctx = ctx;
    this.#onError = onError;
    this.#overrides = overrides;
  }

  #resolve(lazy: LazyResult<unknown>): ResourceDef<unknown> | string {
    const def = resolveInject(lazy, this.#registry);
    if (typeof def === 'string' || this.#overrides === null) return def;
    return this.#overrides.get(def.name) ?? def;
  }

  /** Set up (or reuse) what `injects` need for one attempt. */
  async setUpFor(
    injects: readonly LazyResult<unknown>[],
    task: Omit<TaskContext, keyof ResourceContext>,
  ): Promise<InjectedValues> {
    const values = new Map<LazyResult<unknown>, unknown>();
    const teardowns: Teardown[] = [];
    try {
      for (const lazy of injects) {
        const def = this.#resolve(lazy);
        if (typeof def === 'string') {
          values.set(lazy, this.#builtin(def, task));
        } else if (def.scope === 'run') {
          values.set(lazy, await this.#runScopedValue(def));
        } else {
          const made = await def.factory(this.#ctx);
          if (isResourceSetup(made)) {
            if (made.teardown) teardowns.push(made.teardown);
            values.set(lazy, made.value);
          } else {
            values.set(lazy, made);
          }
        }
      }
    } catch (error) {
      await runTeardowns(teardowns, this.#onError);
      throw error;
    }
    return { values, teardowns };
  }

  /** The value of a run-scoped or built-in resource (VM mode: task scope counts as run). */
  async valueOf(lazy: LazyResult<unknown>): Promise<unknown> {
    const def = this.#resolve(lazy);
    if (typeof def === 'string') {
      return this.#builtin(def, { nodeId: '', taskName: lazy.name, attempt: 1 });
    }
    return this.#runScopedValue(def);
  }

  /** Tear down every run-scoped resource, newest first. [RES-1] [RES-3] */
  async close(): Promise<void> {
    await Promise.allSettled(this.#runScoped.values());
    const t = this.#teardowns;
    this.#teardowns = [];
    this.#runScoped.clear();
    await runTeardowns(t, this.#onError);
  }

  #builtin(name: string, task: Omit<TaskContext, keyof ResourceContext>): unknown {
    if (name === 'signal') return this.#ctx.signal;
    if (name === 'params') return this.#ctx.params;
    return { ...this.#ctx, ...task } satisfies TaskContext;
  }

  #runScopedValue(def: ResourceDef<unknown>): Promise<unknown> {
    let p = this.#runScoped.get(def);
    if (p === undefined) {
      p = this.#setUpRunScoped(def);
      this.#runScoped.set(def, p);
      p.catch(() => {
        // a failed setup may be retried by a later attempt
        if (this.#runScoped.get(def) === p) this.#runScoped.delete(def);
      });
    }
    return p;
  }

  async #setUpRunScoped(def: ResourceDef<unknown>): Promise<unknown> {
    const made = await def.factory(this.#ctx);
    if (isResourceSetup(made)) {
      if (made.teardown) this.#teardowns.push(made.teardown);
      return made.value;
    }
    return made;
  }
}

/**
 * Run teardowns newest first; errors go to `onError`, the rest still run. [RES-3]
 *
 * @example
 * ```ts
 * await runTeardowns([closeA, closeB], (e) => console.error(e)); // closeB, then closeA
 * ```
 */
export async function runTeardowns(
  teardowns: readonly Teardown[],
  onError: (error: unknown) => void,
): Promise<void> {
  for (let i = teardowns.length - 1; i >= 0; i--) {
    try {
      await teardowns[i]();
    } catch (error) {
      onError(error);
    }
  }
}
