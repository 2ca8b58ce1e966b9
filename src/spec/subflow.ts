/**
 * subflow: a target run as one task of another graph. `subflow(name, build)` is a factory like
 * a task's: its arguments are resolved, `build(...args)` makes the inner target, and the inner
 * target runs as a child run on the same engine (same params, env, signal and resource
 * overrides; its own run id and events). `subflow(name, target)` runs a fixed target.
 *
 * Invariants:
 * - [SUB-1] The inner target is built only when the subflow's task runs (or when `dryRun` and
 *   `visualize` draw a subflow whose arguments are known before the run), never at
 *   declaration; building runs nothing. [LAZY-1]
 * - [SUB-2] Cancelling or failing the outer run cancels the inner run (they share a signal);
 *   an inner failure fails the subflow's task like any task failure.
 */
import { LazyResult } from './lazy-result.js';
import { inject, type TaskContext } from './resource.js';
import { structuredTask, type LazyArgs } from './task.js';
import type { TailCallable } from './tail-call.js';
import { InvalidArgumentError } from '../errors.js';

/** A subflow factory: call it like a task factory. */
export interface SubflowFactory<A extends unknown[], R> extends TailCallable {
  (...args: LazyArgs<A>): LazyResult<R>;
  readonly taskName: string;
}

/**
 * Run a target as one task of another graph.
 *
 * @example
 * ```ts
 * const cityReport = subflow('cityReport', (city: string) => summarize(fetchSales(city)));
 * const all = merge(cityReport('Lyon'), cityReport(pickCity())); // two nodes, two child runs
 * await engine.run(all);
 * ```
 */
export function subflow<A extends unknown[], R>(
  name: string,
  build: (...args: A) => LazyResult<R>,
): SubflowFactory<A, R>;
export function subflow<R>(name: string, target: LazyResult<R>): LazyResult<R>;
export function subflow(
  name: string,
  source: ((...args: unknown[]) => LazyResult<unknown>) | LazyResult<unknown>,
): SubflowFactory<unknown[], unknown> | LazyResult<unknown> {
  if (source instanceof LazyResult) {
    if (source.kind === 'inject') {
      throw new InvalidArgumentError('subflow target', source.name, 'must be a task call');
    }
    return subflow(name, () => source)();
  }
  if (typeof source !== 'function') {
    throw new InvalidArgumentError(
      'subflow',
      source,
      'must be a LazyResult or a function building one',
    );
  }
  const build = source;
  const runInner = (...all: unknown[]): Promise<unknown> => {
    const ctx = all[all.length - 1] as TaskContext;
    const inner = build(...all.slice(0, -1));
    if (!(inner instanceof LazyResult) || inner.kind === 'inject') {
      throw new InvalidArgumentError(
        `subflow ${name}`,
        inner,
        'must build a task call (a LazyResult)',
      );
    }
    if (typeof ctx.run !== 'function') {
      throw new InvalidArgumentError(
        `subflow ${name}`,
        'context',
        'the engine gives no context.run',
      );
    }
    return ctx.run(inner);
  };
  const inner = structuredTask(runInner, name, false, { kind: 'subflow', build });
  const context = inject<TaskContext>('context');
  const factory = (...args: unknown[]): LazyResult<unknown> =>
    (inner as unknown as (...a: unknown[]) => LazyResult<unknown>)(...args, context);
  Object.defineProperties(factory, {
    taskName: { value: name, enumerable: true },
    def: { value: inner.def, enumerable: true }, // so a TaskRegistry can hold it
  });
  return factory as SubflowFactory<unknown[], unknown>;
}
