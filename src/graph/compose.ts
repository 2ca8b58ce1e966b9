/**
 * sequence and pipeline: two common shapes of graph, built from LazyResults and factories.
 *
 * - `sequence(a, b, c)`: run the steps one after another (each starts when the previous one
 *   finished, as `.after` orders them) and resolve to the list of their values.
 * - `pipeline(source, f, g)`: feed a value through unary factories, `g(f(source))`;
 *   `pipeline(f, g)` with no source gives the composed factory.
 *
 * Invariants:
 * - [SEQ-1] A step of a sequence starts only after the step before it finished (or was
 *   skipped); a failed step fails the sequence and no later step starts.
 * - [SEQ-2] A step that a later step also takes as an argument would run twice (once as
 *   given, once ordered); `sequence` refuses it with INVALID_ARGUMENT naming the step.
 */
import { LazyResult } from '../spec/lazy-result.js';
import { structuredTask, type LazyArg } from '../spec/task.js';
import { buildGraph } from './graph.js';
import { InvalidArgumentError } from '../errors.js';

/** The values of a list of LazyResults, as a tuple. */
export type ValuesOf<T extends readonly LazyResult<unknown>[]> = {
  -readonly [K in keyof T]: T[K] extends LazyResult<infer V> ? V : never;
};

/** @internal The task that collects a sequence's values (known to every TaskRegistry). */
export const sequenceTask = structuredTask((...values: unknown[]) => values, 'sequence', false, {
  kind: 'sequence',
});

/**
 * Run `steps` in order, one after another; resolves to their values.
 *
 * @example
 * ```ts
 * const [, , report] = await engine.run(sequence(migrate(), seed(), buildReport()));
 * ```
 */
export function sequence<const T extends readonly LazyResult<unknown>[]>(
  ...steps: T
): LazyResult<ValuesOf<T>> {
  if (steps.length === 0)
    throw new InvalidArgumentError('sequence', 'no steps', 'needs at least one step');
  const ordered: LazyResult<unknown>[] = [];
  steps.forEach((step, i) => {
    if (!(step instanceof LazyResult) || step.kind === 'inject') {
      throw new InvalidArgumentError(`sequence step ${i + 1}`, step, 'must be a task call');
    }
    ordered.push(i === 0 ? step : step.after(ordered[i - 1]));
  });
  const result = sequenceTask(...ordered) as LazyResult<ValuesOf<T>>;
  const graph = buildGraph(result);
  for (let i = 1; i < steps.length; i++) {
    if (graph.indexOf(steps[i]) !== undefined) {
      throw new InvalidArgumentError(
        `sequence step ${i + 1}`,
        steps[i].name,
        'is also an argument of a later step and would run twice; that data edge orders it already: leave it out',
      ); // [SEQ-2]
    }
  }
  return result;
}

/** A unary stage of a pipeline: a task factory (or router, subflow) taking one argument. */
export type Stage<A, B> = (input: LazyArg<A>) => LazyResult<B>;

/**
 * Feed `source` through `stages` in turn (`pipeline(x, f, g)` is `g(f(x))`), or compose
 * factories (`pipeline(f, g)` is `(x) => g(f(x))`).
 *
 * @example
 * ```ts
 * const words = pipeline(fetchText('https://example.org'), splitWords, countWords);
 * const count = pipeline(splitWords, countWords); // a factory: count('a b c')
 * ```
 */
export function pipeline<A, B>(source: LazyArg<A>, s1: Stage<A, B>): LazyResult<B>;
export function pipeline<A, B, C>(
  source: LazyArg<A>,
  s1: Stage<A, B>,
  s2: Stage<B, C>,
): LazyResult<C>;
export function pipeline<A, B, C, D>(
  source: LazyArg<A>,
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
): LazyResult<D>;
export function pipeline<A, B, C, D, E>(
  source: LazyArg<A>,
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
  s4: Stage<D, E>,
): LazyResult<E>;
export function pipeline<A, B, C, D, E, F>(
  source: LazyArg<A>,
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
  s4: Stage<D, E>,
  s5: Stage<E, F>,
): LazyResult<F>;
export function pipeline(
  source: unknown,
  ...stages: Array<Stage<unknown, unknown>>
): LazyResult<unknown>;
export function pipeline(
  source: unknown,
  ...stages: Array<Stage<unknown, unknown>>
): LazyResult<unknown> {
  if (stages.length === 0)
    throw new InvalidArgumentError('pipeline', 'no stages', 'needs at least one stage');
  stages.forEach((s, i) => {
    if (typeof s !== 'function')
      throw new InvalidArgumentError(`pipeline stage ${i + 1}`, s, 'must be a factory');
  });
  let value = source;
  for (const stage of stages) value = stage(value);
  return value as LazyResult<unknown>;
}

/**
 * Compose unary factories into one: `compose(f, g)(x)` is `g(f(x))`.
 *
 * @example
 * ```ts
 * const count = compose(splitWords, countWords);
 * await engine.run(count('a b c')); // 3
 * ```
 */
export function compose<A, B, C>(s1: Stage<A, B>, s2: Stage<B, C>): Stage<A, C>;
export function compose<A, B, C, D>(s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>): Stage<A, D>;
export function compose<A, B, C, D, E>(
  s1: Stage<A, B>,
  s2: Stage<B, C>,
  s3: Stage<C, D>,
  s4: Stage<D, E>,
): Stage<A, E>;
export function compose(...stages: Array<Stage<unknown, unknown>>): Stage<unknown, unknown> {
  if (stages.length === 0)
    throw new InvalidArgumentError('compose', 'no stages', 'needs at least one stage');
  return (input) => pipeline(input, ...stages);
}
