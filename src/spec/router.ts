/**
 * Routers: loops and branches as data. A router is a state machine whose states are tasks; it
 * runs as one task of a graph (one node, one value) and draws as its states and the jumps
 * between them in `visualize` and `dryRun`.
 *
 * - `jump(to, input)`: what a state's task returns to continue at state `to` with `input`.
 *   Returning anything else ends the machine with that value; `jump(END, value)` does too.
 * - `selectJump(fn)`: a selector, a function from the input to a key (`'even'`, `'odd'`).
 * - `bind(selector, { key: state })`: a state that picks the next state by the selector's key
 *   and passes its input on unchanged (`END` as a target ends with the input).
 *   `bind(task, [states])`: a task state that declares where its jumps may go (the edges of
 *   the picture); a jump elsewhere is an error. A task given without `bind` may jump anywhere
 *   and draws with no edges.
 * - `router(name, { start, states, maxSteps })`: the machine, a factory taking the start
 *   state's input.
 *
 * Invariants:
 * - [ROUTE-1] A router runs its states one at a time, in the engine's VM loop (a tail call
 *   per step): constant stack, constraints held per step, and an aborted run stops it before
 *   the next step with CancelledError.
 * - [ROUTE-2] A router takes at most `maxSteps` jumps (default 10,000; `Infinity` for a loop
 *   ended only by its states or by cancellation); one more fails it with STEPS_EXCEEDED.
 * - [ROUTE-3] Every name a router mentions (start, bound targets) is checked when it is
 *   declared; a jump at run time to a state that is not declared for it fails the run with
 *   INVALID_ARGUMENT naming the state.
 */
import type { RouterStateInfo } from './lazy-result.js';
import type { LazyResult } from './lazy-result.js';
import { structuredTask, type LazyArg, type TaskFactory, type TaskResult } from './task.js';
import { tailCall, type TailCallable } from './tail-call.js';
import { CascadeError, ErrorCode, InvalidArgumentError } from '../errors.js';

/** The target of a jump that ends the machine. */
export const END = '$end';

/**
 * What a state's task returns to continue at another state. Create it with {@link jump}.
 *
 * @example
 * ```ts
 * jump('check', n / 2) instanceof Jump; // true
 * ```
 */
export class Jump<To extends string = string, I = unknown> {
  /** @internal Use {@link jump}. */
  constructor(
    readonly to: To,
    readonly input: I,
  ) {}
}

/**
 * Continue the router at state `to` with `input` (or end it with `input`: `jump(END, x)`).
 *
 * @example
 * ```ts
 * const halve = task((n: number) => jump('check', n / 2));
 * ```
 */
export function jump<To extends string, I>(to: To, input: I): Jump<To, I> {
  if (typeof to !== 'string' || to.length === 0) {
    throw new InvalidArgumentError('jump', to, 'must name a state');
  }
  return new Jump(to, input);
}

/** A function from a state's input to a key; made by {@link selectJump}. */
export interface JumpSelector<I, K extends string> {
  readonly kind: 'selector';
  readonly name: string;
  readonly select: (input: I) => K | Promise<K>;
}

/**
 * A selector: picks a key from the input. Wire its keys to states with {@link bind}.
 *
 * @example
 * ```ts
 * const parity = selectJump((n: number) => (n === 1 ? 'one' : n % 2 === 0 ? 'even' : 'odd'));
 * ```
 */
export function selectJump<I, K extends string>(
  select: (input: I) => K | Promise<K>,
  options: { readonly name?: string } = {},
): JumpSelector<I, K> {
  if (typeof select !== 'function') {
    throw new InvalidArgumentError('selectJump', select, 'must be a function');
  }
  const name = options.name ?? (select.name !== '' ? select.name : 'select');
  return Object.freeze({ kind: 'selector', name, select });
}

/** A selector state: its keys wired to states. `O` is the input when a key leads to END. */
export interface BoundSelector<I, O = never> {
  readonly kind: 'bound-selector';
  readonly selector: JumpSelector<I, string>;
  readonly targets: Readonly<Record<string, string>>;
  /** Phantom: what the machine may end with here. */
  readonly __output?: O;
}

/** A task state with the states its jumps may go to. */
export interface BoundTask<I, R> {
  readonly kind: 'bound-task';
  readonly factory: TaskFactory<[I], R>;
  readonly targets: readonly string[];
}

/**
 * Wire a selector's keys to states, or declare where a task state may jump.
 *
 * @example
 * ```ts
 * bind(parity, { one: END, even: 'halve', odd: 'triple' }); // a selector state
 * bind(halve, ['check']);                                  // halve may jump to check only
 * ```
 */
export function bind<I, K extends string, const T extends { readonly [P in K]: string }>(
  selector: JumpSelector<I, K>,
  targets: T,
): BoundSelector<I, typeof END extends T[keyof T] ? I : never>;
export function bind<I, R>(
  factory: TaskFactory<[I], R>,
  targets: readonly string[],
): BoundTask<I, R>;
export function bind(
  source: JumpSelector<unknown, string> | TaskFactory<[unknown], unknown>,
  targets: Readonly<Record<string, string>> | readonly string[],
): BoundSelector<unknown> | BoundTask<unknown, unknown> {
  if (typeof source === 'function' && typeof (source as TailCallable).def === 'object') {
    if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string')) {
      throw new InvalidArgumentError('bind targets', targets, 'must be a list of state names');
    }
    return Object.freeze({
      kind: 'bound-task',
      factory: source,
      targets: Object.freeze([...(targets as readonly string[])]),
    });
  }
  if (typeof source !== 'object' || source === null || source.kind !== 'selector') {
    throw new InvalidArgumentError('bind', source, 'must be a selectJump selector or a task');
  }
  if (typeof targets !== 'object' || targets === null || Array.isArray(targets)) {
    throw new InvalidArgumentError('bind targets', targets, 'must map each key to a state');
  }
  return Object.freeze({
    kind: 'bound-selector',
    selector: source,
    targets: Object.freeze({ ...(targets as Record<string, string>) }),
  });
}

/** A state of a router: a task (its jumps undeclared), a bound task, or a bound selector. */
export type RouterState = TailCallable | BoundTask<never, unknown> | BoundSelector<never, unknown>;

/** The input a state takes. */
export type StateInput<S> =
  S extends BoundSelector<infer I, unknown>
    ? I
    : S extends BoundTask<infer I, unknown>
      ? I
      : S extends TaskFactory<[infer I], unknown>
        ? I
        : never;

/** What the machine may end with at a state. */
export type StateOutput<S> =
  S extends BoundSelector<never, infer O>
    ? O
    : S extends BoundTask<never, infer R>
      ? EndValue<R>
      : S extends TaskFactory<[never], infer R>
        ? EndValue<R>
        : never;

type EndValue<R> =
  | Exclude<TaskResult<R>, Jump<string, unknown>>
  | (TaskResult<R> extends infer J ? (J extends Jump<typeof END, infer V> ? V : never) : never);

/** Options of {@link router}. */
export interface RouterOptions<S, K> {
  /** The first state. */
  readonly start: K;
  readonly states: S;
  /** Most jumps a run of the machine may take (default 10,000; `Infinity`: no bound). */
  readonly maxSteps?: number;
}

/** A router: call it with the start state's input. */
export interface RouterFactory<I, O> extends TailCallable {
  (input: LazyArg<I>): LazyResult<O>;
  readonly taskName: string;
}

interface Machine {
  readonly input: unknown;
  readonly steps: number;
}

/**
 * A state machine run as one task. See the module comment for the semantics.
 *
 * @example
 * ```ts
 * const parity = selectJump((n: number) => (n === 1 ? 'one' : n % 2 === 0 ? 'even' : 'odd'));
 * const collatz = router('collatz', {
 *   start: 'check',
 *   states: {
 *     check: bind(parity, { one: END, even: 'halve', odd: 'triple' }),
 *     halve: bind(task((n: number) => jump('check', n / 2)), ['check']),
 *     triple: bind(task((n: number) => jump('check', 3 * n + 1)), ['check']),
 *   },
 *   maxSteps: 1000,
 * });
 * await engine.run(collatz(27)); // 1
 * ```
 */
export function router<
  const S extends Readonly<Record<string, RouterState>>,
  K extends keyof S & string,
>(
  name: string,
  options: RouterOptions<S, K>,
): RouterFactory<StateInput<S[K]>, { [P in keyof S]: StateOutput<S[P]> }[keyof S]> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError('router name', name, 'must be a non-empty string');
  }
  const states = options.states as Readonly<Record<string, RouterState>>;
  if (typeof states !== 'object' || states === null || Object.keys(states).length === 0) {
    throw new InvalidArgumentError(`router ${name} states`, states, 'must name at least one state');
  }
  const names = Object.keys(states);
  const start = options.start;
  if (!names.includes(start)) {
    throw new InvalidArgumentError(
      `router ${name} start`,
      start,
      `is not a state (${names.join(', ')})`,
    );
  }
  const maxSteps = options.maxSteps ?? 10_000;
  if (!(maxSteps === Infinity || (Number.isInteger(maxSteps) && maxSteps >= 0))) {
    throw new InvalidArgumentError(
      `router ${name} maxSteps`,
      maxSteps,
      'must be an integer >= 0 or Infinity',
    );
  }
  const infos: RouterStateInfo[] = [];
  const steps = new Map<string, TaskFactory<[Machine], unknown>>();
  for (const stateName of names) {
    const state = states[stateName];
    const info = stateInfo(name, stateName, state, names);
    infos.push(info);
    steps.set(
      stateName,
      structuredTask(
        stepOf(name, stateName, state, info, steps, maxSteps),
        `${name}.${stateName}`,
        false,
        undefined,
      ),
    );
  }
  const first = steps.get(start)!.def.fn as (m: Machine) => unknown;
  const entry = structuredTask((input: unknown) => first({ input, steps: 0 }), name, false, {
    kind: 'router',
    start,
    states: Object.freeze(infos),
    maxSteps,
  });
  return entry as unknown as RouterFactory<
    StateInput<S[K]>,
    { [P in keyof S]: StateOutput<S[P]> }[keyof S]
  >;
}

function stateInfo(
  router: string,
  name: string,
  state: RouterState,
  names: string[],
): RouterStateInfo {
  const check = (to: string): void => {
    if (to !== END && !names.includes(to)) {
      throw new InvalidArgumentError(
        `router ${router} state ${name}`,
        to,
        `is not a state (${names.join(', ')})`,
      );
    }
  };
  if (isTaskState(state)) {
    return { name, kind: 'task', label: state.def.name, next: null };
  }
  if (state.kind === 'bound-task') {
    state.targets.forEach(check);
    const next = Object.fromEntries(state.targets.map((t) => [t, t]));
    return { name, kind: 'task', label: state.factory.def.name, next };
  }
  if (state.kind === 'bound-selector') {
    Object.values(state.targets).forEach(check);
    return { name, kind: 'select', label: state.selector.name, next: state.targets };
  }
  throw new InvalidArgumentError(
    `router ${router} state ${name}`,
    state,
    'must be a task, bind(task, [...]) or bind(selector, {...})',
  );
}

/** The function of one state's step: run the state, then tail-call the next step or end. */
function stepOf(
  router: string,
  name: string,
  state: RouterState,
  info: RouterStateInfo,
  steps: ReadonlyMap<string, TaskFactory<[Machine], unknown>>,
  maxSteps: number,
): (m: Machine) => unknown {
  const allowed = info.next === null ? null : new Set(Object.values(info.next));
  const next = (to: string, input: unknown, taken: number): unknown => {
    if (to === END) return input;
    if (allowed !== null && !allowed.has(to)) {
      throw new InvalidArgumentError(
        `jump from ${router}.${name}`,
        to,
        `is not declared (${[...allowed].join(', ')})`,
      );
    }
    const step = steps.get(to);
    if (step === undefined) {
      throw new InvalidArgumentError(
        `jump from ${router}.${name}`,
        to,
        `is not a state of router ${router}`,
      );
    }
    if (taken >= maxSteps) {
      throw new CascadeError(
        ErrorCode.STEPS_EXCEEDED,
        `router ${router} took more than ${maxSteps} steps`,
        {
          router,
          maxSteps,
        },
      ); // [ROUTE-2]
    }
    return tailCall(step, { input, steps: taken + 1 } satisfies Machine);
  };
  if (!isTaskState(state) && state.kind === 'bound-selector') {
    const select = state.selector.select as (input: unknown) => string | Promise<string>;
    const targets = state.targets;
    const route = (key: string, m: Machine): unknown => {
      const to = targets[key];
      if (typeof to !== 'string') {
        throw new InvalidArgumentError(
          `selector ${state.selector.name} in ${router}.${name}`,
          key,
          `has no target (keys: ${Object.keys(targets).join(', ')})`,
        );
      }
      return next(to, m.input, m.steps);
    };
    return (m) => {
      const key = select(m.input);
      return isThenable(key) ? key.then((k) => route(k, m)) : route(key, m);
    };
  }
  const def = isTaskState(state) ? state.def : state.factory.def;
  const fn = def.fn as (input: unknown) => unknown;
  const after = (out: unknown, m: Machine): unknown => {
    if (!(out instanceof Jump)) return out;
    const j = out as Jump;
    return next(j.to, j.input, m.steps);
  };
  return (m) => {
    const out = fn(m.input);
    return isThenable(out) ? out.then((o) => after(o, m)) : after(out, m);
  };
}

function isTaskState(state: RouterState): state is TailCallable {
  return typeof state === 'function';
}

function isThenable(x: unknown): x is Promise<unknown> {
  return typeof (x as { then?: unknown } | null)?.then === 'function';
}
