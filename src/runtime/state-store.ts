/**
 * The state of runs, by run id: the value of every task node that finished, so a run started
 * again with the same `runId` resumes where it stopped. The engine loads a run's record once
 * when the run starts and saves each node's value as the node finishes
 * (`new Engine({ state })`, `engine.run(target, { runId })`).
 *
 * Contract (test/providers/state-store.conformance.ts runs it on every implementation):
 * - [STATE-1] `load(runId)` gives every `(nodeKey, value)` saved for that run (values equal to
 *   what was saved), and an empty map for a run never saved; runs never see each other's.
 * - [STATE-2] `save` on a saved node key replaces the value; `delete(runId)` forgets the run.
 *
 * What the engine does with it (engine.ts, executor.ts):
 * - [STATE-3] A node whose key is in the loaded record is not run: its recorded value is used
 *   and a `TaskExecutionFinished` with status `cached` reports it. Nodes are keyed by their
 *   graph id (`name#index`): the same workflow gives the same ids run after run.
 * - [STATE-4] A node's value is saved after the node succeeded, before its dependents start;
 *   a failed save is a process warning (BACKEND_FAILED), not a failed run; a failed load fails
 *   the run with BACKEND_FAILED before any task runs.
 */

/**
 * Where a run's finished nodes are kept.
 *
 * @example
 * ```ts
 * const state: StateStore = new MemoryStateStore();
 * await state.save('nightly-2026-12-01', 'fetch#0', [1, 2, 3]);
 * (await state.load('nightly-2026-12-01')).get('fetch#0'); // [1, 2, 3]
 * ```
 */
export interface StateStore {
  /** A short name for warnings and errors: `memory`, `redis`. */
  readonly name: string;
  /** Every node value saved for `runId`, by node key. [STATE-1] */
  load(runId: string): Promise<ReadonlyMap<string, unknown>>;
  /** Record that node `nodeKey` of run `runId` finished with `value`. [STATE-2] */
  save(runId: string, nodeKey: string, value: unknown): Promise<void>;
  /** Forget run `runId`. */
  delete(runId: string): Promise<void>;
}

/**
 * A StateStore in this process's memory: values are kept by reference. Resumes a run within
 * one process (after a failure, say); use a Redis store to resume across processes.
 *
 * @example
 * ```ts
 * const engine = new Engine({ state: new MemoryStateStore() });
 * await engine.run(report(), { runId: 'r1' }).catch(() => {}); // fails half-way
 * await engine.run(report(), { runId: 'r1' }); // the finished half is not run again
 * ```
 */
export class MemoryStateStore implements StateStore {
  readonly name = 'memory';
  readonly #runs = new Map<string, Map<string, unknown>>();

  load(runId: string): Promise<ReadonlyMap<string, unknown>> {
    return Promise.resolve(new Map(this.#runs.get(runId)));
  }

  save(runId: string, nodeKey: string, value: unknown): Promise<void> {
    let run = this.#runs.get(runId);
    if (run === undefined) this.#runs.set(runId, (run = new Map<string, unknown>()));
    run.set(nodeKey, value);
    return Promise.resolve();
  }

  delete(runId: string): Promise<void> {
    this.#runs.delete(runId);
    return Promise.resolve();
  }

  /** Runs held. */
  get size(): number {
    return this.#runs.size;
  }
}
