/**
 * The executor: runs a solved graph. A node starts as soon as its dependencies finished, so
 * independent nodes run concurrently; each execution goes through skip checks, cache, resource
 * setup, constraints, the call, and retries.
 *
 * Invariants:
 * - [EXE-1] A node starts only after all its deps finished; independent nodes overlap.
 * - [EXE-2] A node whose condition is false, or with a skipped dependency, is skipped with a
 *   reason and its dependents are skipped in turn; the value of a skipped target is undefined.
 * - [EXE-3] A task that fails for good (see the attempt policy, [ATT-1..4]) fails the run;
 *   the run's signal aborts so running siblings can stop; no new node starts; the run
 *   settles once nothing runs any more.
 * - [EXE-4] Retries, fatal errors, TASK_FAILED wrapping and per-attempt events are the attempt
 *   policy's (attempt-policy.ts), the same as in VM mode.
 * - [EXE-5] Constraints are released and task-scoped resources torn down after every attempt,
 *   whatever its outcome.
 * - [EXE-6] Readiness propagates through a work list, not recursion: a 10,000-long chain of
 *   skips cannot overflow the stack.
 * - [EXE-7] With a constraint gate, every attempt enters it (waiting while paused or limited,
 *   never failing for it) before it takes its resources, and leaves it when it ends. [GATE-2]
 * - [EXE-8] A backend cache that fails to read is a miss and one that fails to write is
 *   ignored, each reported as a process warning (BACKEND_FAILED): a cache never fails a task.
 *   A backend name the engine lacks fails the attempt with INVALID_ARGUMENT.
 * - [EXE-9] A cache key is made of the resolved arguments with each injected resource standing
 *   as its name (a service: the run's signal, a database handle), except the run's params,
 *   which are data and stand as their value (`inject('params')`, and `inject('context')`
 *   which holds them): a task injecting the run's signal is cached across runs, and one
 *   reading params is keyed by them.
 * - [EXE-10] A task with nothing to wait for before its call (no injects, cache, constraints,
 *   retry, gate or run state) is called at once, and when it returns a plain value its node completes
 *   with no promise. Completions are applied after the pass over the ready nodes that produced
 *   them, in order, as the promise path applies them one microtask later: the same nodes
 *   start, in the same order, and a failure stops the same ones.
 */
import type { GateKey } from './constraint-gate.js';
import { substitute, type LazyValues } from '../graph/scan-args.js';
import type { Graph, GraphNode } from '../graph/graph.js';
import { TailCall } from '../spec/tail-call.js';
import { Wait } from '../spec/wait.js';
import type { LazyResult } from '../spec/lazy-result.js';
import { BackendError, CancelledError, InvalidArgumentError } from '../errors.js';
import { attemptFinished, attemptStarted, finalError, runAttempts } from './attempt-policy.js';
import { MISS, fileExists, type CacheBackend } from './cache.js';
import { contentKey } from './cache-key.js';
import { runTeardowns } from './resources.js';
import { isThenable, vmLoop } from './vm.js';
import type { RunContext } from './run-context.js';
import type { ResourceRequest } from './resource-manager.js';

type Callable = (...args: unknown[]) => unknown;

const RUNNING = 1;
const DONE = 2;
const SKIPPED = 3;
const FAILED = 4;

/**
 * Runs graphs. Stateless: each `execute` call keeps its own state, so one executor serves
 * every run of an engine at once.
 *
 * @example
 * ```ts
 * const value = await new Executor().execute(graph, runContext);
 * ```
 */
export class Executor {
  /** Run `graph` under `run`; resolves with the target's value. */
  execute(graph: Graph, run: RunContext): Promise<unknown> {
    return new GraphRun(graph, run).start();
  }
}

class ArgValues implements LazyValues {
  constructor(
    readonly graph: Graph,
    readonly results: unknown[],
    readonly injected: Map<LazyResult<unknown>, unknown> | null,
  ) {}
  valueOf(lazy: LazyResult<unknown>): unknown {
    if (lazy.kind === 'inject') return this.injected!.get(lazy);
    return this.results[this.graph.indexOf(lazy)!];
  }
}

/**
 * The values a cache key is made of: an injected resource stands as its name, not its value
 * (the run's signal, a database handle), so the same call keys the same in every run; the
 * run's params are data and stand as their value. [EXE-9]
 */
class KeyValues implements LazyValues {
  constructor(
    readonly values: ArgValues,
    readonly params: Readonly<Record<string, unknown>>,
  ) {}
  valueOf(lazy: LazyResult<unknown>): unknown {
    if (lazy.kind !== 'inject') return this.values.valueOf(lazy);
    const r = lazy.resource;
    if (r === 'params') return this.params;
    if (r === 'context') return { context: this.params };
    return `\u0000${lazy.name}`;
  }
}

class GraphRun {
  readonly #graph: Graph;
  readonly #run: RunContext;
  readonly #status: Uint8Array;
  readonly #remaining: Int32Array;
  readonly #results: unknown[];
  readonly #work: number[] = [];
  /**
   * The first `#finishedCount` entries: nodes that finished synchronously in this pass, with
   * their values (or errors). [EXE-10] Reused pass after pass: emptying an array by setting its
   * length drops its storage, and a 10,000-long chain made a pass (and three arrays) per node.
   */
  readonly #finished: number[] = [];
  readonly #finishedValues: unknown[] = [];
  readonly #finishedOk: boolean[] = [];
  #finishedCount = 0;
  /** Upstream results by LazyResult, for nodes without injects: one for the whole run. */
  #upstream: ArgValues | null = null;
  #pumping = false;
  #inFlight = 0;
  #failed = false;
  #error: unknown = undefined;
  #settled = false;
  #resolve: (value: unknown) => void = noop;
  #reject: (error: unknown) => void = noop;

  constructor(graph: Graph, run: RunContext) {
    this.#graph = graph;
    this.#run = run;
    const n = graph.nodes.length;
    this.#status = new Uint8Array(n);
    this.#remaining = new Int32Array(n);
    this.#results = new Array<unknown>(n);
  }

  start(): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      const nodes = this.#graph.nodes;
      for (let i = 0; i < nodes.length; i++) {
        this.#remaining[i] = nodes[i].deps.length;
        if (nodes[i].deps.length === 0) this.#work.push(i);
      }
      if (this.#run.signal.aborted) this.#fail(cancelledBy(this.#run.signal));
      else this.#run.signal.addEventListener('abort', this.#onAbort, { once: true });
      this.#pump();
    });
  }

  readonly #onAbort = (): void => {
    this.#fail(cancelledBy(this.#run.signal));
    this.#checkDone();
  };

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    const work = this.#work;
    // FIFO, so nodes start in graph order; a work list, not recursion [EXE-6]
    let k = 0;
    while (k < work.length && !this.#failed) {
      for (; k < work.length && !this.#failed; k++) this.#ready(work[k]);
      this.#applyFinished(); // [EXE-10] may add ready nodes for another pass
    }
    this.#applyFinished();
    work.length = 0;
    this.#pumping = false;
    this.#checkDone();
  }

  /** Apply the synchronous completions of the last pass, in the order they happened. [EXE-10] */
  #applyFinished(): void {
    const count = this.#finishedCount;
    this.#finishedCount = 0;
    for (let f = 0; f < count; f++) {
      const i = this.#finished[f];
      const value = this.#finishedValues[f];
      this.#finishedValues[f] = undefined;
      this.#inFlight--;
      if (this.#finishedOk[f]) {
        this.#status[i] = DONE;
        this.#results[i] = value;
        this.#complete(this.#graph.nodes[i]);
      } else {
        this.#status[i] = FAILED;
        this.#fail(value);
      }
    }
  }

  #ready(i: number): void {
    const node = this.#graph.nodes[i];
    for (const d of node.deps) {
      if (this.#status[d] === SKIPPED) {
        return this.#skip(node, `upstream ${this.#graph.nodes[d].id} was skipped`);
      }
    }
    const cond = node.lazy.condition;
    if (cond === false) return this.#skip(node, 'condition is false');
    if (cond !== null && cond !== true) {
      const c = this.#graph.indexOf(cond)!;
      if (this.#results[c] !== true) {
        return this.#skip(node, `condition ${this.#graph.nodes[c].id} is false`);
      }
    }
    this.#status[i] = RUNNING;
    this.#inFlight++;
    const promise = this.#callsAtOnce(node) ? this.#callNow(node) : this.#execute(node);
    if (promise === null) return; // finished synchronously [EXE-10]
    promise.then(
      (value) => this.#succeeded(i, value),
      (error: unknown) => this.#failedNode(i, error),
    );
  }

  /** Whether nothing stands between the node and its call. [EXE-10] */
  #callsAtOnce(node: GraphNode): boolean {
    const lazy = node.lazy;
    return (
      lazy.kind === 'call' &&
      lazy.retry === null &&
      lazy.cache === null &&
      lazy.constraints === null &&
      node.injects.length === 0 &&
      this.#run.gate === null &&
      this.#run.state === null // a run with an id records (and resumes) every node [STATE-3]
    );
  }

  /**
   * The one attempt of a node that {@link #callsAtOnce}, as {@link #attempt} makes it: a plain
   * value or a throw is recorded for the end of the pass and null returned; a promise, a tail
   * call or a wait continue in {@link #finishCall}. [EXE-10] [ATT-1] [ATT-3] [ATT-4]
   */
  #callNow(node: GraphNode): Promise<unknown> | null {
    const run = this.#run;
    const lazy = node.lazy;
    const def = lazy.task!;
    if (run.signal.aborted) return this.#finish(node.index, false, cancelledBy(run.signal));
    let started = -1;
    try {
      const args = (
        node.hasLazyArgs
          ? substitute(
              lazy.args,
              (this.#upstream ??= new ArgValues(this.#graph, this.#results, null)),
            )
          : lazy.args
      ) as unknown[];
      started = attemptStarted(run, def.name, node.id, 1); // [ATT-5]
      const value = (def.fn as Callable)(...args);
      if (isThenable(value) || value instanceof TailCall || value instanceof Wait) {
        return this.#finishCall(node, args, value, started);
      }
      attemptFinished(run, def.name, node.id, 1, started, 'succeeded', undefined);
      return this.#finish(node.index, true, value);
    } catch (error) {
      if (started >= 0) attemptFinished(run, def.name, node.id, 1, started, 'failed', error);
      return this.#finish(
        node.index,
        false,
        finalError(error, 1, 1, run.signal, def.name, node.id),
      );
    }
  }

  #finish(i: number, ok: boolean, value: unknown): null {
    const f = this.#finishedCount++;
    this.#finished[f] = i;
    this.#finishedOk[f] = ok;
    this.#finishedValues[f] = value;
    return null;
  }

  /** The rest of a {@link #callNow} whose call returned a promise, a tail call or a wait. */
  async #finishCall(
    node: GraphNode,
    args: unknown[],
    first: unknown,
    started: number,
  ): Promise<unknown> {
    const run = this.#run;
    const def = node.lazy.task!;
    try {
      let value = isThenable(first) ? await first : first;
      if (value instanceof TailCall || value instanceof Wait) {
        value = await vmLoop(def, args, value, {
          resourceManager: run.resourceManager,
          constraints: null,
          gateKey: null,
          signal: run.signal,
          yieldEvery: run.yieldEvery,
        });
      }
      attemptFinished(run, def.name, node.id, 1, started, 'succeeded', undefined);
      return value;
    } catch (error) {
      attemptFinished(run, def.name, node.id, 1, started, 'failed', error);
      throw finalError(error, 1, 1, run.signal, def.name, node.id);
    }
  }

  #skip(node: GraphNode, reason: string): void {
    this.#status[node.index] = SKIPPED;
    const bus = this.#run.bus;
    if (bus.hasSubscribers) {
      bus.emit({
        type: 'TaskSkipped',
        runId: this.#run.runId,
        taskName: node.name,
        nodeId: node.id,
        reason,
      });
    }
    this.#complete(node);
  }

  #complete(node: GraphNode): void {
    for (const d of node.dependents) if (--this.#remaining[d] === 0) this.#work.push(d);
  }

  #succeeded(i: number, value: unknown): void {
    this.#inFlight--;
    this.#status[i] = DONE;
    this.#results[i] = value;
    this.#complete(this.#graph.nodes[i]);
    this.#pump();
  }

  #failedNode(i: number, error: unknown): void {
    this.#inFlight--;
    this.#status[i] = FAILED;
    this.#fail(error);
    this.#checkDone();
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
    if (!this.#run.signal.aborted) this.#run.abort(error); // [EXE-3]
  }

  #checkDone(): void {
    if (this.#settled || this.#inFlight > 0) return;
    const t = this.#graph.target;
    if (this.#failed) {
      this.#settle();
      this.#reject(this.#error);
    } else if (this.#status[t] === DONE || this.#status[t] === SKIPPED) {
      this.#settle();
      this.#resolve(this.#results[t]);
    }
  }

  #settle(): void {
    this.#settled = true;
    this.#run.signal.removeEventListener('abort', this.#onAbort);
  }

  #execute(node: GraphNode): Promise<unknown> {
    const state = this.#run.state;
    if (state === null) return this.#executeNode(node);
    if (state.recorded.has(node.id)) {
      // [STATE-3] finished by an earlier run with this id
      return Promise.resolve(this.#cached(node.name, node.id, 1, state.recorded.get(node.id)));
    }
    return this.#executeNode(node).then(async (value) => {
      await state.save(node.id, value); // [STATE-4]
      return value;
    });
  }

  #executeNode(node: GraphNode): Promise<unknown> {
    if (node.lazy.kind === 'map') return this.#executeMap(node);
    return this.#attempts(node, node.id, null);
  }

  async #executeMap(node: GraphNode): Promise<unknown> {
    const run = this.#run;
    let injected = null;
    if (node.injects.length > 0) {
      injected = await run.resources.setUpFor(node.injects, {
        nodeId: node.id,
        taskName: node.name,
        attempt: 1,
      });
    }
    try {
      const values = new ArgValues(this.#graph, this.#results, injected?.values ?? null);
      const [lists, fixed] = (
        node.hasLazyArgs ? substitute(node.lazy.args, values) : node.lazy.args
      ) as [Record<string, unknown>, Record<string, unknown>];
      const keys = Object.keys(lists);
      let length = -1;
      for (const k of keys) {
        const list = lists[k];
        if (!Array.isArray(list)) {
          throw new InvalidArgumentError(`map.${k}`, list, 'must resolve to an array');
        }
        if (length >= 0 && list.length !== length) {
          throw new InvalidArgumentError(`map.${k}`, list.length, `lists differ in length`);
        }
        length = list.length;
      }
      const keyFixed =
        node.lazy.cache !== null && node.injects.length > 0
          ? (substitute(node.lazy.args[1], new KeyValues(values, this.#run.params)) as Record<
              string,
              unknown
            >)
          : fixed;
      const runs: Promise<unknown>[] = [];
      for (let i = 0; i < length; i++) {
        const named: Record<string, unknown> = { ...fixed };
        for (const k of keys) named[k] = (lists[k] as unknown[])[i];
        const keyNamed = keyFixed === fixed ? named : { ...keyFixed };
        if (keyNamed !== named) for (const k of keys) keyNamed[k] = named[k];
        runs.push(this.#attempts(node, `${node.id}[${i}]`, [named], [keyNamed]));
      }
      return await Promise.all(runs);
    } finally {
      if (injected !== null) await runTeardowns(injected.teardowns, warn);
    }
  }

  /** One execution with its retries; `args` given for map elements, else resolved here. */
  #attempts(
    node: GraphNode,
    nodeId: string,
    args: unknown[] | null,
    keyArgs: unknown[] | null = args,
  ): Promise<unknown> {
    const retry = node.lazy.retry;
    // no retry policy: one attempt that maps its own failure, with no loop around it (a
    // closure and a promise less per node on the common path)
    if (retry === null) return this.#attempt(node, nodeId, args, keyArgs, 0);
    return runAttempts(this.#run, node.lazy.task!.name, nodeId, retry, (attempt) =>
      this.#attempt(node, nodeId, args, keyArgs, attempt),
    ); // [EXE-4]
  }

  /**
   * One attempt: injects, cache, constraints, the call (and its VM loop). Attempt 0 is the
   * only attempt of a task without retry: it fails with what the attempt policy makes of its
   * error, and checks the signal itself. [ATT-1] [ATT-3] [ATT-4]
   */
  async #attempt(
    node: GraphNode,
    nodeId: string,
    args: unknown[] | null,
    keyArgs: unknown[] | null,
    attemptIndex: number,
  ): Promise<unknown> {
    const only = attemptIndex === 0;
    const attempt = only ? 1 : attemptIndex;
    const run = this.#run;
    const lazy = node.lazy;
    const def = lazy.task!;
    const bus = run.bus;
    let injected = null;
    let held = false;
    let gated: GateKey | null = null;
    let started = -1;
    if (only && run.signal.aborted) throw cancelledBy(run.signal);
    try {
      let callArgs = args;
      const cache = lazy.cache;
      if (callArgs === null) {
        if (node.injects.length > 0) {
          injected = await run.resources.setUpFor(node.injects, {
            nodeId,
            taskName: def.name,
            attempt,
          });
        }
        const values =
          injected === null
            ? (this.#upstream ??= new ArgValues(this.#graph, this.#results, null))
            : new ArgValues(this.#graph, this.#results, injected.values);
        callArgs = (node.hasLazyArgs ? substitute(lazy.args, values) : lazy.args) as unknown[];
        keyArgs =
          cache !== null && node.injects.length > 0
            ? (substitute(lazy.args, new KeyValues(values, this.#run.params)) as unknown[])
            : callArgs; // [EXE-9]
      }
      let cacheKey: string | null = null;
      let backend: CacheBackend | null = null;
      if (cache !== null) {
        if (cache.kind === 'memory') {
          cacheKey = `${run.hasher.idOf(def)}|${run.hasher.key(keyArgs)}`;
          const hit = run.cache.get(cacheKey);
          if (hit !== MISS) return this.#cached(def.name, nodeId, attempt, hit);
        } else if (cache.kind === 'backend') {
          backend = run.caches.get(cache.backend) ?? null;
          if (backend === null) {
            throw new InvalidArgumentError(
              'cache.backend',
              cache.backend,
              `is not one of this engine's caches (${[...run.caches.keys()].join(', ') || 'none'})`,
            ); // [EXE-8]
          }
          cacheKey = contentKey(def, keyArgs!, cache.version);
          const hit = await backendGet(backend, cacheKey);
          if (hit !== MISS) return this.#cached(def.name, nodeId, attempt, hit);
        } else {
          const p = cache.path;
          const path = typeof p === 'string' ? p : (p as Callable)(...callArgs);
          if (typeof path !== 'string') {
            throw new InvalidArgumentError('cache.path', path, 'must give a string');
          }
          if (await fileExists(path)) return this.#cached(def.name, nodeId, attempt, path);
        }
      }
      const gateKey = run.gate === null ? null : run.gate.key(def.name, run.group);
      if (gateKey !== null) {
        // [EXE-7] the control plane's constraints before the task's own resources
        if (!gateKey.tryEnter()) {
          if (bus.hasSubscribers) {
            bus.emit({
              type: 'TaskBlocked',
              runId: run.runId,
              taskName: def.name,
              nodeId,
              reason: 'waiting at the constraint gate (paused or limited)',
            });
          }
          await gateKey.enter(run.signal);
        }
        gated = gateKey;
      }
      const req = lazy.constraints;
      if (req !== null) {
        if (!run.resourceManager.tryAcquire(req)) {
          if (bus.hasSubscribers) {
            bus.emit({
              type: 'TaskBlocked',
              runId: run.runId,
              taskName: def.name,
              nodeId,
              reason: `waiting for resources ${JSON.stringify(req)}`,
            });
          }
          await run.resourceManager.acquire(req, run.signal);
        }
        held = true;
        if (bus.hasSubscribers) {
          bus.emit({
            type: 'ResourceAcquired',
            runId: run.runId,
            taskName: def.name,
            nodeId,
            resources: req,
          });
        }
      }
      started = attemptStarted(run, def.name, nodeId, attempt); // [ATT-5]
      let value = (def.fn as Callable)(...callArgs);
      if (isThenable(value)) value = await value;
      if (value instanceof TailCall || value instanceof Wait) {
        // [VM-4] the first iteration is done: give its slot back; the loop acquires and
        // releases the constraints around every further iteration
        if (held) {
          held = false;
          this.#release(req!, def.name, nodeId);
        }
        if (gated !== null) {
          gated.leave();
          gated = null;
        }
        value = await vmLoop(def, callArgs, value, {
          resourceManager: run.resourceManager,
          constraints: req,
          gateKey,
          signal: run.signal,
          yieldEvery: run.yieldEvery,
        });
      }
      attemptFinished(run, def.name, nodeId, attempt, started, 'succeeded', undefined);
      if (cacheKey !== null && cache?.kind === 'memory') {
        run.cache.set(cacheKey, value, cache.ttlMs); // [CACHE-1]
      } else if (backend !== null && cache?.kind === 'backend') {
        await backendSet(backend, cacheKey!, value, cache.ttlMs); // [CACHE-1]
      }
      return value;
    } catch (error) {
      if (started >= 0) attemptFinished(run, def.name, nodeId, attempt, started, 'failed', error);
      throw only ? finalError(error, 1, 1, run.signal, def.name, nodeId) : error;
    } finally {
      // [EXE-5]
      if (held) this.#release(lazy.constraints!, def.name, nodeId);
      gated?.leave();
      if (injected !== null) await runTeardowns(injected.teardowns, warn);
    }
  }

  /** Give a task's constraints back and report it. [EXE-5] */
  #release(resources: ResourceRequest, taskName: string, nodeId: string): void {
    const run = this.#run;
    run.resourceManager.release(resources);
    if (run.bus.hasSubscribers) {
      run.bus.emit({ type: 'ResourceReleased', runId: run.runId, taskName, nodeId, resources });
    }
  }

  #cached(taskName: string, nodeId: string, attempt: number, value: unknown): unknown {
    const bus = this.#run.bus;
    if (bus.hasSubscribers) {
      bus.emit({
        type: 'TaskExecutionFinished',
        runId: this.#run.runId,
        taskName,
        nodeId,
        attempt,
        status: 'cached',
        durationMs: 0,
      });
    }
    return value;
  }
}

function noop(): void {}

/** A backend read; a failure is a warning and a miss. [EXE-8] */
async function backendGet(backend: CacheBackend, key: string): Promise<unknown> {
  try {
    return await backend.get(key);
  } catch (error) {
    backendWarning(new BackendError(backend.name, `get ${key}`, { cause: error }));
    return MISS;
  }
}

/** A backend write; a failure is a warning. [EXE-8] */
async function backendSet(
  backend: CacheBackend,
  key: string,
  value: unknown,
  ttlMs: number,
): Promise<void> {
  try {
    await backend.set(key, value, ttlMs);
  } catch (error) {
    backendWarning(new BackendError(backend.name, `set ${key}`, { cause: error }));
  }
}

function cancelledBy(signal: AbortSignal, cause: unknown = signal.reason): CancelledError {
  return new CancelledError('run cancelled', { cause });
}

/**
 * Report a teardown that threw: a process warning (the run's outcome is not changed).
 *
 * @example
 * ```ts
 * warn(new Error('close failed'));
 * ```
 */
export function warn(error: unknown): void {
  process.emitWarning(`a resource teardown threw: ${String(error)}`, 'CascadeWarning');
}

/**
 * Report a cache or state backend that failed where the run can go on without it: a process
 * warning carrying the BackendError.
 *
 * @example
 * ```ts
 * backendWarning(new BackendError('redis', 'get', { cause: err }));
 * ```
 */
export function backendWarning(error: BackendError): void {
  process.emitWarning(error.message, {
    type: 'CascadeWarning',
    code: error.code,
    detail: String(error.cause),
  });
}
