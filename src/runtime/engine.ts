/**
 * The Engine: runs a target LazyResult — a workflow graph, or in VM mode a long-lived agent.
 * It owns only shared services (solver, executor, bus, resource manager, cache, resource
 * registry); each run gets its own RunContext, so any number of runs share one engine at once.
 *
 * Invariants:
 * - [ENG-1] `run` rejects with a CascadeError: TASK_FAILED (cause = the last error), CYCLE
 *   (`details.path`), UNKNOWN_RESOURCE (`details.name`), INFEASIBLE_CONSTRAINT, or
 *   CancelledError when the signal aborts. [RUN-1]
 * - [ENG-2] Run-scoped resources are torn down before `run` settles, whatever the outcome.
 * - [ENG-3] RunStarted is the first and RunFinished the last event of a run. [ENG-EVT-1]
 * - [ENG-4] A VM run of a target without upstream LazyResults takes the fast path: no graph,
 *   no per-iteration events or closures, events only if the bus has subscribers. [VM-2]
 * - [ENG-5] Cancellation is cooperative: running tasks see the run's signal (`inject('signal')`
 *   or `inject('context')`), waits for resources and retry delays stop at once, and the run
 *   settles when the running tasks have returned.
 * - [ENG-6] A run given a `runId` on an engine with a StateStore takes the graph path, loads
 *   that run's record before any task runs and resumes from it (state-store.ts [STATE-3]).
 */
import { availableParallelism } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LazyResult } from '../spec/lazy-result.js';
import type { ResourceDef, ResourceOverride } from '../spec/resource.js';
import { inputSpecOf } from '../spec/input.js';
import type { Graph } from '../graph/graph.js';
import { collectLazies, substitute } from '../graph/scan-args.js';
import { StructuralHasher } from '../graph/structural-hash.js';
import { BackendError, CancelledError, InvalidArgumentError } from '../errors.js';
import {
  attemptFinished,
  attemptStarted,
  finalError,
  runAttempts,
  type AttemptScope,
} from './attempt-policy.js';
import { EventBus } from './event-bus.js';
import type { EngineEvent, RunStatus } from './events.js';
import { ResourceManager } from './resource-manager.js';
import type { ResourceRequest } from './resource-manager.js';
import { MemoryCache, type CacheBackend } from './cache.js';
import type { StateStore } from './state-store.js';
import { RunResources, type ResourceRegistry } from './resources.js';
import { Solver } from './solver.js';
import { Executor, backendWarning, warn } from './executor.js';
import { vmLoop, vmSpawn } from './vm.js';
import type { VmLoopOptions } from './vm.js';
import type { RunContext, RunState } from './run-context.js';
import type { Clock } from './clock.js';
import { ConstraintSet } from './constraint-set.js';
import type { ConstraintGate } from './constraint-gate.js';

/**
 * The part of a messaging Connector the engine uses (structurally compatible with
 * `cascade/messaging`'s Connector): its ConstraintSet listens on `cascade/constraints/#` for
 * the control plane's constraints (constraint.ts).
 */
export interface EngineConnector {
  subscribe(
    pattern: string,
    handler: (topic: string, payload: unknown) => void | Promise<void>,
  ): { unsubscribe(): void };
}

/** Options of an {@link Engine}. */
export interface EngineOptions {
  /** Builds and checks graphs (default: a new Solver). */
  solver?: Solver;
  /** Runs graphs (default: a new Executor). */
  executor?: Executor;
  /** Where events go (default: a new EventBus; read it back as `engine.bus`). */
  bus?: EventBus<EngineEvent>;
  /**
   * Optional: the control plane's constraints arrive on `cascade/constraints/#` of this
   * connector and are applied to `constraints` (an engine-owned set if not given).
   */
  connector?: EngineConnector;
  /**
   * The control plane's constraints (pause, concurrency, rate per scope) every task attempt
   * and VM iteration passes; share one set between engines for limits across them.
   */
  constraints?: ConstraintSet;
  /** Share one manager between engines for a global limit. Excludes `systemResources`. */
  resourceManager?: ResourceManager;
  /** Capacity of the engine's own manager (default `{ cpu_slot: availableParallelism() }`). */
  systemResources?: Readonly<Record<string, number>>;
  /** Resources `inject(name)` may name. */
  resources?: readonly ResourceDef<unknown>[];
  /** Replacements of resources for every run of this engine (see `overrideResource`). */
  overrides?: readonly ResourceOverride<unknown>[];
  /** The memory cache behind `.withCache('memory')` (default: a new MemoryCache). */
  cache?: MemoryCache;
  /**
   * Named cache backends for `.withCache({ backend: name })`: a MemoryCache, or the FileCache
   * and RedisCache of `cascade/providers`.
   */
  caches?: Readonly<Record<string, CacheBackend>>;
  /**
   * Where runs given a `runId` record the value of each finished node, so a run started again
   * with the same id resumes (MemoryStateStore, or RedisStateStore of `cascade/providers`).
   */
  state?: StateStore;
  /** Clock for retry delays (default: wall time through setTimeout). */
  clock?: Clock;
  /** Tail-call iterations between two yields to the event loop (default 1024). [VM-3] */
  yieldEvery?: number;
}

/** Options of {@link Engine.run}. */
export interface RunOptions {
  /** Free-form run parameters; tasks read them with `inject('params')`. */
  params?: Readonly<Record<string, unknown>>;
  /** Run as an agent loop (the lean path for tail-calling tasks). */
  vm?: boolean;
  /** Abort to cancel the run. */
  signal?: AbortSignal;
  /** The agent group of the run's tasks: constraints on scope `group:NAME` apply to them. */
  group?: string;
  /**
   * The run's id (default: a fresh one). With the engine's `state`, a run given the id of an
   * earlier run resumes it: the nodes that run finished are not run again. [ENG-6]
   */
  runId?: string;
  /** Environment variables `env(...)` inputs read (default: `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Replacements of resources for this run, over the engine's (see `overrideResource`). */
  overrides?: readonly ResourceOverride<unknown>[];
}

/** Options of {@link Engine.spawn}. */
export interface SpawnOptions {
  /** Abort to cancel the agent: it ends with a CancelledError (to `onError`). */
  signal?: AbortSignal;
  /** The agent group: constraints on scope `group:NAME` apply to it. */
  group?: string;
  /** Called with the agent's value when its run ends. One function may serve every agent. */
  onValue?: (value: unknown) => void;
  /**
   * Called with what the run would reject with (as {@link Engine.run} rejects). Without it an
   * agent's error is rethrown as an uncaught exception, as an unhandled rejection would be:
   * never silently lost.
   */
  onError?: (error: unknown) => void;
}

const IGNORE_VALUE = (): void => {};
const RETHROW = (error: unknown): void => {
  queueMicrotask(() => {
    throw error;
  });
};

/**
 * Runs workflows and agents.
 *
 * @example
 * ```ts
 * import { task, Engine } from 'cascade';
 * const add = task((a: number, b: number) => a + b);
 * const engine = new Engine();
 * console.log(await engine.run(add(add(1, 2), 3))); // 6
 * ```
 */
export class Engine {
  readonly #solver: Solver;
  readonly #executor: Executor;
  readonly #bus: EventBus<EngineEvent>;
  readonly #rm: ResourceManager;
  readonly #cache: MemoryCache;
  readonly #caches: ReadonlyMap<string, CacheBackend>;
  readonly #state: StateStore | null;
  readonly #hasher = new StructuralHasher();
  readonly #registry = new Map<string, ResourceDef<unknown>>();
  readonly #overrides = new Map<string, ResourceDef<unknown>>();
  readonly #clock: Clock | undefined;
  readonly #yieldEvery: number;
  /** The options of every lean VM run without constraints or signal, made on first use. */
  #leanOptions: VmLoopOptions | null = null;
  readonly #connector: EngineConnector | undefined;
  readonly #constraints: ConstraintSet | null;
  readonly #ownsConstraints: boolean;
  readonly #gate: ConstraintGate | null;
  /** Lean VM options per task name and group, when there is a gate. */
  readonly #leanGated = new Map<string, VmLoopOptions>();
  #subscription: { unsubscribe(): void } | null = null;
  readonly #prefix = randomUUID().slice(0, 8);
  #runs = 0;

  constructor(options: EngineOptions = {}) {
    if (options.resourceManager !== undefined && options.systemResources !== undefined) {
      throw new InvalidArgumentError(
        'systemResources',
        JSON.stringify(options.systemResources),
        'give either resourceManager or systemResources',
      );
    }
    this.#solver = options.solver ?? new Solver();
    this.#executor = options.executor ?? new Executor();
    this.#bus = options.bus ?? new EventBus<EngineEvent>();
    this.#rm =
      options.resourceManager ??
      new ResourceManager(options.systemResources ?? { cpu_slot: availableParallelism() });
    this.#cache = options.cache ?? new MemoryCache();
    this.#caches = new Map(Object.entries(options.caches ?? {}));
    for (const [name, backend] of this.#caches) {
      if (!hasMethods(backend, ['get', 'set', 'delete', 'clear'])) {
        throw new InvalidArgumentError(`caches.${name}`, backend, 'must be a CacheBackend');
      }
    }
    this.#state = options.state ?? null;
    if (this.#state !== null && !hasMethods(this.#state, ['load', 'save', 'delete'])) {
      throw new InvalidArgumentError('state', this.#state, 'must be a StateStore');
    }
    this.#clock = options.clock;
    this.#connector = options.connector;
    this.#ownsConstraints = options.constraints === undefined && options.connector !== undefined;
    this.#constraints = options.constraints ?? (this.#ownsConstraints ? new ConstraintSet() : null);
    this.#gate = this.#constraints?.gate ?? null;
    const every = options.yieldEvery ?? 1024;
    if (!Number.isInteger(every) || every < 1) {
      throw new InvalidArgumentError('yieldEvery', every, 'must be an integer >= 1');
    }
    this.#yieldEvery = every;
    for (const def of options.resources ?? []) this.register(def);
    for (const o of options.overrides ?? []) this.#overrides.set(o.name, o.def);
  }

  /**
   * The resources of one run: the engine's registry with the run's overrides over it, and the
   * context a resource factory gets (`sleep` on the engine's clock, `run` for a child run with
   * this run's params, env, signal, group and overrides).
   */
  #runResources(
    runId: string,
    signal: AbortSignal,
    params: Readonly<Record<string, unknown>>,
    options: RunOptions,
  ): { registry: ResourceRegistry; resources: RunResources } {
    const env = options.env ?? process.env;
    const sleep = (ms: number): Promise<void> => this.#sleep(ms, signal);
    const { group } = options;
    const run = <T>(child: LazyResult<T>): Promise<T> =>
      this.run(child, { params, env, signal, group, overrides: options.overrides });
    const overrides = this.#overridesFor(options);
    const registry = this.#registryFor(overrides);
    const context = { runId, signal, params, sleep, env, run };
    return { registry, resources: new RunResources(registry, context, warn, overrides) };
  }

  /** The overrides of a run (the engine's, then the run's), or null if there are none. */
  #overridesFor(run: RunOptions): Map<string, ResourceDef<unknown>> | null {
    const extra = run.overrides ?? [];
    if (extra.length === 0) return this.#overrides.size === 0 ? null : this.#overrides;
    const all = new Map(this.#overrides);
    for (const o of extra) all.set(o.name, o.def);
    return all;
  }

  /** The registry a run resolves names in: the engine's, with the overrides over it. */
  #registryFor(overrides: Map<string, ResourceDef<unknown>> | null): ResourceRegistry {
    if (overrides === null) return this.#registry;
    const all = new Map(this.#registry);
    for (const [name, def] of overrides) all.set(name, def);
    return all;
  }

  /** The engine's event bus. */
  get bus(): EventBus<EngineEvent> {
    return this.#bus;
  }

  /** The engine's resource manager (possibly shared with other engines). */
  get resourceManager(): ResourceManager {
    return this.#rm;
  }

  /** The control plane's constraints this engine applies, or null. */
  get constraints(): ConstraintSet | null {
    return this.#constraints;
  }

  /** The engine's memory cache. */
  get cache(): MemoryCache {
    return this.#cache;
  }

  /**
   * Make a resource available to `inject(name)` in later runs. A name may be registered once.
   *
   * @example
   * ```ts
   * engine.register(resource('db', () => ({ value: openDb(), teardown: closeDb })));
   * ```
   */
  register(def: ResourceDef<unknown>): this {
    if (this.#registry.has(def.name)) {
      throw new InvalidArgumentError('resource', def.name, 'is already registered');
    }
    this.#registry.set(def.name, def);
    return this;
  }

  /**
   * Stop listening to the connector (if any); close the constraint set if the engine made it.
   * Runs in progress are not affected.
   */
  close(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    if (this.#ownsConstraints) this.#constraints?.close();
  }

  /**
   * Run `target` and resolve with its value. See [ENG-1] for how it rejects.
   *
   * @example
   * ```ts
   * const ac = new AbortController();
   * const value = await engine.run(report(data), { params: { day: 3 }, signal: ac.signal });
   * await engine.run(agent({ id: 1, steps: 0 }), { vm: true });
   * ```
   */
  run<T>(target: LazyResult<T>, options: RunOptions = {}): Promise<T> {
    if (!isTaskCall(target)) return Promise.reject(notATaskCall(target));
    const runId = options.runId;
    if (runId !== undefined && (typeof runId !== 'string' || runId.length === 0)) {
      return Promise.reject(new InvalidArgumentError('runId', runId, 'must be a non-empty string'));
    }
    this.#listenOnce();
    if (options.vm === true && (runId === undefined || this.#state === null)) {
      const injects = vmFastPathInjects(target);
      if (injects !== null) {
        if (this.#isLean(target, injects)) return this.#runVmLean(target, options) as Promise<T>;
        return this.#runVm(target, injects, options) as Promise<T>;
      }
    }
    return this.#runGraph(target, options) as Promise<T>;
  }

  /** Subscribe to the connector's constraint updates at the first run (if there is one). */
  #listenOnce(): void {
    if (this.#connector !== undefined && this.#subscription === null) this.#listen();
  }

  /** A VM run with no injects, retry or event subscribers: only its fiber. */
  #isLean(target: LazyResult<unknown>, injects: LazyResult<unknown>[]): boolean {
    return injects.length === 0 && target.retry === null && !this.#bus.hasSubscribers;
  }

  /**
   * Start `target` as a VM-mode agent, as `run(target, { vm: true })` does, but with no
   * promise: the run's end is reported to `onValue` or `onError`. For very many long-lived
   * agents: a waiting agent is then its fiber alone, with no promise and no resolving functions
   * per agent (about 320 bytes less each). A target the lean VM path cannot take (injects,
   * retry, or event subscribers on the engine) runs through `run` and still reports to the
   * callbacks.
   *
   * @example
   * ```ts
   * let ended = 0;
   * const onValue = (): void => void ended++;
   * for (let id = 0; id < 1_000_000; id++) engine.spawn(agent(id), { onValue });
   * ```
   */
  spawn(target: LazyResult<unknown>, options: SpawnOptions = {}): void {
    if (!isTaskCall(target)) throw notATaskCall(target);
    const onValue = options.onValue ?? IGNORE_VALUE;
    const onError = options.onError ?? RETHROW;
    const injects = vmFastPathInjects(target);
    if (injects === null || !this.#isLean(target, injects)) {
      this.run(target, { vm: true, signal: options.signal, group: options.group }).then(
        onValue,
        onError,
      );
      return;
    }
    this.#listenOnce();
    vmSpawn(
      target.task!,
      target.args,
      this.#leanVmOptions(target, options.signal, options.group ?? null),
      onValue,
      onError,
    );
  }

  #nextRunId(): string {
    return `${this.#prefix}-${++this.#runs}`;
  }

  async #runGraph(target: LazyResult<unknown>, options: RunOptions): Promise<unknown> {
    const runId = options.runId ?? this.#nextRunId();
    const bus = this.#bus;
    const external = options.signal;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(external!.reason);
    if (external !== undefined) {
      if (external.aborted) controller.abort(external.reason);
      else external.addEventListener('abort', onAbort, { once: true });
    }
    const params = options.params ?? {};
    const started = performance.now();
    if (bus.hasSubscribers) {
      bus.emit({ type: 'RunStarted', runId, target: target.name, vm: options.vm === true });
    }
    const { registry, resources } = this.#runResources(runId, controller.signal, params, options);
    let status: RunStatus = 'succeeded';
    let error: unknown = undefined;
    try {
      const graph = this.#solver.solve(target, { hasher: this.#hasher, registry });
      const inputs = inputPlaceholders(graph);
      for (const inj of inputs) await resources.valueOf(inj); // [INPUT-1]
      const state =
        options.runId !== undefined && this.#state !== null
          ? await loadRunState(this.#state, runId)
          : null;
      const ctx: RunContext = {
        runId,
        signal: controller.signal,
        abort: (reason) => controller.abort(reason),
        params,
        bus,
        resourceManager: this.#rm,
        gate: this.#gate,
        group: options.group ?? null,
        cache: this.#cache,
        caches: this.#caches,
        state,
        hasher: this.#hasher,
        resources,
        sleep: this.#sleep,
        yieldEvery: this.#yieldEvery,
      };
      return await this.#executor.execute(graph, ctx);
    } catch (e) {
      [status, error] = outcome(e, external, runId);
      throw error;
    } finally {
      external?.removeEventListener('abort', onAbort);
      await resources.close(); // [ENG-2]
      this.#finished(runId, status, started, error);
    }
  }

  /**
   * The leanest VM run (no injects, retry or event subscribers): the fiber's own promise, no
   * async frame around it. A million agents each hold only their fiber while they wait.
   */
  #runVmLean(target: LazyResult<unknown>, options: RunOptions): Promise<unknown> {
    return vmLoop(
      target.task!,
      target.args,
      null,
      this.#leanVmOptions(target, options.signal, options.group ?? null),
    );
  }

  /** The options of a lean VM run: one shared object when it has no constraints or signal. */
  #leanVmOptions(
    target: LazyResult<unknown>,
    signal: AbortSignal | undefined,
    group: string | null,
  ): VmLoopOptions {
    // the fiber keeps its options: one object for every such run, not one per agent
    if (target.constraints === null && signal === undefined) {
      if (this.#gate === null) return (this.#leanOptions ??= this.#vmOptions());
      const name = target.task!.name;
      const id = group === null ? name : `${name}\u0000${group}`;
      let o = this.#leanGated.get(id);
      if (o === undefined) {
        o = this.#vmOptions(null, undefined, this.#vmError, this.#gate.key(name, group));
        this.#leanGated.set(id, o);
      }
      return o;
    }
    return this.#vmOptions(
      target.constraints,
      signal,
      this.#vmError,
      this.#gate?.key(target.task!.name, group) ?? null,
    );
  }

  #vmOptions(
    constraints: ResourceRequest | null = null,
    signal: AbortSignal | undefined = undefined,
    mapError: VmLoopOptions['mapError'] | null = this.#vmError,
    gateKey: VmLoopOptions['gateKey'] = null,
  ): VmLoopOptions {
    return {
      resourceManager: this.#rm,
      constraints,
      gateKey,
      signal,
      yieldEvery: this.#yieldEvery,
      ...(mapError !== null && { mapError }),
    };
  }

  /** What a lean VM run (one attempt, no retry) rejects with. [ATT-1, ATT-3, ATT-4] */
  readonly #vmError = (e: unknown, taskName: string, signal: AbortSignal | undefined): unknown =>
    finalError(e, 1, 1, signal, taskName, `${taskName}#0`);

  async #runVm(
    target: LazyResult<unknown>,
    injects: LazyResult<unknown>[],
    options: RunOptions,
  ): Promise<unknown> {
    const bus = this.#bus;
    const emit = bus.hasSubscribers;
    const runId = emit || injects.length > 0 ? this.#nextRunId() : '';
    const started = emit ? performance.now() : 0;
    if (emit) bus.emit({ type: 'RunStarted', runId, target: target.name, vm: true });
    let signal = options.signal;
    let resources: RunResources | null = null;
    let status: RunStatus = 'succeeded';
    let error: unknown = undefined;
    try {
      let args = target.args;
      if (injects.length > 0) {
        signal ??= new AbortController().signal;
        const params = options.params ?? {};
        const rr = this.#runResources(runId, signal, params, options).resources;
        resources = rr;
        const values = new Map<LazyResult<unknown>, unknown>();
        for (const inj of injects) values.set(inj, await rr.valueOf(inj));
        args = substitute(args, { valueOf: (l) => values.get(l) }) as unknown[];
      }
      const def = target.task!;
      const nodeId = `${def.name}#0`;
      const scope: AttemptScope = {
        runId,
        bus,
        signal: signal ?? new AbortController().signal,
        sleep: this.#sleep,
      };
      const vmOptions = this.#vmOptions(
        target.constraints,
        signal,
        null,
        this.#gate?.key(def.name, options.group ?? null) ?? null,
      );
      // [ATT-1..5] the same attempts as a graph node's
      return await runAttempts(scope, def.name, nodeId, target.retry, async (attempt) => {
        const started = attemptStarted(scope, def.name, nodeId, attempt);
        try {
          const value = await vmLoop(def, args, null, vmOptions);
          attemptFinished(scope, def.name, nodeId, attempt, started, 'succeeded', undefined);
          return value;
        } catch (e) {
          attemptFinished(scope, def.name, nodeId, attempt, started, 'failed', e);
          throw e;
        }
      });
    } catch (e) {
      [status, error] = outcome(e, options.signal, runId);
      throw error;
    } finally {
      if (resources !== null) await resources.close();
      if (emit) this.#finished(runId, status, started, error);
    }
  }

  readonly #sleep = (ms: number, signal: AbortSignal): Promise<void> => {
    if (this.#clock !== undefined) return this.#clock.sleep(ms, signal);
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(new CancelledError('run cancelled', { cause: signal.reason }));
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new CancelledError('run cancelled', { cause: signal.reason }));
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  };

  /** Emit RunFinished, if anyone listens. */
  #finished(runId: string, status: RunStatus, started: number, error: unknown): void {
    if (!this.#bus.hasSubscribers) return;
    this.#bus.emit({
      type: 'RunFinished',
      runId,
      status,
      durationMs: performance.now() - started,
      ...(error === undefined ? {} : { error }),
    });
  }

  #listen(): void {
    this.#subscription = this.#constraints!.attach(this.#connector!);
  }
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return names.every((n) => typeof record[n] === 'function');
}

/** The input placeholders (`param`, `env`) of a graph, resolved before anything runs. */
function inputPlaceholders(graph: Graph): LazyResult<unknown>[] {
  const out: LazyResult<unknown>[] = [];
  for (const node of graph.nodes) {
    for (const inj of node.injects) if (inputSpecOf(inj) !== null) out.push(inj);
  }
  return out;
}

function isTaskCall(target: unknown): target is LazyResult<unknown> {
  return target instanceof LazyResult && target.kind !== 'inject';
}

function notATaskCall(target: unknown): InvalidArgumentError {
  return new InvalidArgumentError('target', target, 'must be a task call (a LazyResult)');
}

/**
 * The inject placeholders of a VM target that can take the fast path (a plain call with no
 * upstream LazyResults, condition or ordering), or null if it needs a graph.
 */
function vmFastPathInjects(target: LazyResult<unknown>): LazyResult<unknown>[] | null {
  if (target.kind !== 'call' || target.condition !== null || target.afterList.length > 0) {
    return null;
  }
  const found: LazyResult<unknown>[] = [];
  collectLazies(target.args, found);
  for (const l of found) if (l.kind !== 'inject') return null;
  return found;
}

/** Map what a run threw to its status and the error `run` rejects with. */
function outcome(
  e: unknown,
  external: AbortSignal | undefined,
  runId: string,
): [RunStatus, unknown] {
  if (external?.aborted === true) {
    return [
      'cancelled',
      e instanceof CancelledError ? e : new CancelledError(`run ${runId} cancelled`, { cause: e }),
    ];
  }
  if (e instanceof CancelledError) return ['cancelled', e];
  return ['failed', e];
}

/** Load run `runId`'s record from `store` [ENG-6]; a failed load fails the run. [STATE-4] */
async function loadRunState(store: StateStore, runId: string): Promise<RunState> {
  let recorded: ReadonlyMap<string, unknown>;
  try {
    recorded = await store.load(runId);
  } catch (error) {
    throw new BackendError(store.name, `load run ${runId}`, { cause: error });
  }
  return {
    recorded,
    save: async (nodeKey, value) => {
      try {
        await store.save(runId, nodeKey, value);
      } catch (error) {
        backendWarning(
          new BackendError(store.name, `save ${nodeKey} of run ${runId}`, { cause: error }),
        );
      }
    },
  };
}
