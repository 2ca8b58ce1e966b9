/**
 * Inputs: typed, described values a workflow reads when a run starts. `param(name, ...)` reads
 * the run's `params`, `env(name, ...)` the run's environment (`process.env` unless the run is
 * given another). Each is a LazyResult placed among a task's arguments like any other; what it
 * declares (type, default, description) is what `createCli` turns into options and what
 * `dryRun` and `visualize` list.
 *
 * An input is an `inject` of a run-scoped resource whose definition carries an
 * {@link InputSpec}, so the engine needs no new kind of node: the solver finds inputs among a
 * node's injects, and the engine resolves them all before the first task starts.
 *
 * Invariants:
 * - [INPUT-1] Every input of a run is resolved before any task starts; a missing required
 *   input, or a value that is not of the declared type, rejects the run with an InputError
 *   (code INVALID_ARGUMENT, `details.input` naming it) and nothing runs.
 * - [INPUT-2] A value given as text (an environment variable, a command-line option, a string
 *   in `params`) is parsed by the declared type; a value given as a JS value is checked, never
 *   converted (`params: { n: true }` for a number is an error, not 1).
 */
import { LazyResult } from './lazy-result.js';
import { inject, type ResourceContext, type ResourceDef } from './resource.js';
import { CascadeError, ErrorCode, InvalidArgumentError } from '../errors.js';

/** The types an input may declare. `json` takes any JSON value (text is parsed). */
export type InputType = 'string' | 'number' | 'integer' | 'boolean' | 'json';

/** The TypeScript type of each {@link InputType}. */
export interface InputTypeMap {
  string: string;
  number: number;
  integer: number;
  boolean: boolean;
  json: unknown;
}

/** Where an input comes from. */
export type InputSource = 'param' | 'env';

/** What an input declares; read by `createCli`, `dryRun` and `visualize`. */
export interface InputSpec {
  readonly source: InputSource;
  /** The param's key in `params`, or the environment variable's name. */
  readonly name: string;
  readonly type: InputType;
  /** True when a default was declared (then `default` holds it). */
  readonly hasDefault: boolean;
  readonly default: unknown;
  /** A run without a value and without a default fails. False for `required: false`. */
  readonly required: boolean;
  readonly description: string;
}

/** The resource definition behind an input: a run-scoped resource that knows its spec. */
export interface InputDef<V> extends ResourceDef<V> {
  readonly input: InputSpec;
}

/** Options of {@link param} and {@link env}. */
export interface InputOptions<K extends InputType = InputType> {
  /** Declared type; default: the type of `default`, else `string`. */
  readonly type?: K;
  /** Used when the run gives no value. An input with a default is never missing. */
  readonly default?: InputTypeMap[K];
  /** `false`: without a value or default the input resolves to `undefined`. Default true. */
  readonly required?: boolean;
  /** One line for `--help`, `dryRun` and the graph picture. */
  readonly description?: string;
}

/** The widened type of a default (`3` gives `number`, `'a'` gives `string`). */
type Widen<D> = D extends string
  ? string
  : D extends number
    ? number
    : D extends boolean
      ? boolean
      : D;

/**
 * A missing input, or one whose value is not of its declared type. Code INVALID_ARGUMENT (so
 * the task is not retried and a CLI exits 2); `details.input` is the name, `details.source`
 * `param` or `env`, `details.value` what was given.
 *
 * @example
 * ```ts
 * await engine.run(report(param('day', { type: 'integer' })), { params: { day: 'x' } });
 * // rejects: InputError: param "day" must be an integer, got "x"
 * ```
 */
export class InputError extends CascadeError {
  constructor(spec: InputSpec, value: unknown, problem: string) {
    super(ErrorCode.INVALID_ARGUMENT, `${spec.source} "${spec.name}" ${problem}`, {
      option: `${spec.source} ${spec.name}`,
      input: spec.name,
      source: spec.source,
      value,
    });
  }
}

const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TYPES: readonly InputType[] = ['string', 'number', 'integer', 'boolean', 'json'];

/**
 * A run parameter: resolves, when the run starts, to `params[name]` of `engine.run(target,
 * { params })`, checked against its type, or to its default. [INPUT-1]
 *
 * @example
 * ```ts
 * const days = param('days', { type: 'integer', default: 7, description: 'days to report' });
 * const city = param('city', { description: 'city to report on' }); // a required string
 * const target = report(city, days); // LazyResult; `days` is a number in `report`
 * await engine.run(target, { params: { city: 'Lyon' } });
 * ```
 */
export function param<K extends InputType>(
  name: string,
  options: InputOptions<K> & { readonly type: K; readonly default: InputTypeMap[K] },
): LazyResult<InputTypeMap[K]>;
export function param<K extends InputType>(
  name: string,
  options: InputOptions<K> & { readonly type: K; readonly required: false },
): LazyResult<InputTypeMap[K] | undefined>;
export function param<K extends InputType>(
  name: string,
  options: InputOptions<K> & { readonly type: K },
): LazyResult<InputTypeMap[K]>;
export function param<D extends string | number | boolean>(
  name: string,
  options: { readonly default: D; readonly required?: boolean; readonly description?: string },
): LazyResult<Widen<D>>;
export function param(
  name: string,
  options: { readonly required: false; readonly description?: string },
): LazyResult<string | undefined>;
export function param(
  name: string,
  options?: { readonly required?: true; readonly description?: string },
): LazyResult<string>;
export function param(name: string, options: InputOptions = {}): LazyResult<unknown> {
  return input('param', name, options, PARAM_NAME);
}

/**
 * An environment variable: resolves, when the run starts, to the variable parsed by its type
 * (`process.env`, or the run's `env` option). Same options as {@link param}.
 *
 * @example
 * ```ts
 * const token = env('API_TOKEN', { description: 'bearer token for the API' });
 * const workers = env('WORKERS', { type: 'integer', default: 4 });
 * await engine.run(upload(files, token, workers)); // fails at once if API_TOKEN is unset
 * ```
 */
export function env<K extends InputType>(
  name: string,
  options: InputOptions<K> & { readonly type: K; readonly default: InputTypeMap[K] },
): LazyResult<InputTypeMap[K]>;
export function env<K extends InputType>(
  name: string,
  options: InputOptions<K> & { readonly type: K; readonly required: false },
): LazyResult<InputTypeMap[K] | undefined>;
export function env<K extends InputType>(
  name: string,
  options: InputOptions<K> & { readonly type: K },
): LazyResult<InputTypeMap[K]>;
export function env<D extends string | number | boolean>(
  name: string,
  options: { readonly default: D; readonly required?: boolean; readonly description?: string },
): LazyResult<Widen<D>>;
export function env(
  name: string,
  options: { readonly required: false; readonly description?: string },
): LazyResult<string | undefined>;
export function env(
  name: string,
  options?: { readonly required?: true; readonly description?: string },
): LazyResult<string>;
export function env(name: string, options: InputOptions = {}): LazyResult<unknown> {
  return input('env', name, options, ENV_NAME);
}

function input(
  source: InputSource,
  name: string,
  options: InputOptions,
  rule: RegExp,
): LazyResult<unknown> {
  if (typeof name !== 'string' || !rule.test(name)) {
    throw new InvalidArgumentError(`${source} name`, name, `must match ${String(rule)}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${source} ${name} options`, options, 'must be an object');
  }
  const hasDefault = options.default !== undefined;
  const type =
    options.type ?? (hasDefault ? typeOfDefault(source, name, options.default) : 'string');
  if (!TYPES.includes(type)) {
    throw new InvalidArgumentError(
      `${source} ${name} type`,
      type,
      `must be one of ${TYPES.join(', ')}`,
    );
  }
  const description = options.description ?? '';
  if (typeof description !== 'string') {
    throw new InvalidArgumentError(
      `${source} ${name} description`,
      description,
      'must be a string',
    );
  }
  const spec: InputSpec = Object.freeze({
    source,
    name,
    type,
    hasDefault,
    default: options.default,
    required: options.required !== false,
    description,
  });
  if (hasDefault) {
    const problem = problemWith(type, options.default);
    if (problem !== null) {
      throw new InvalidArgumentError(`${source} ${name} default`, options.default, problem);
    }
  }
  const def: InputDef<unknown> = Object.freeze({
    name: `${source}:${name}`,
    scope: 'run' as const,
    input: spec,
    factory: (ctx: ResourceContext) => resolveInput(spec, ctx),
  });
  return inject<unknown>(def);
}

function typeOfDefault(source: InputSource, name: string, value: unknown): InputType {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      throw new InvalidArgumentError(
        `${source} ${name} default`,
        value,
        "give `type` for a default that is not a string, number or boolean (e.g. type: 'json')",
      );
  }
}

/**
 * The spec of an input placeholder, or null for anything else.
 *
 * @example
 * ```ts
 * inputSpecOf(param('n', { default: 1 }))?.type; // 'number'
 * inputSpecOf(inject('db')); // null
 * ```
 */
export function inputSpecOf(lazy: LazyResult<unknown>): InputSpec | null {
  const r = lazy.resource;
  if (typeof r !== 'object' || r === null) return null;
  const spec = (r as Partial<InputDef<unknown>>).input;
  return spec === undefined ? null : spec;
}

/**
 * The value of an input in a run: the given value (text parsed, values checked) or the
 * default; throws InputError when it is missing and required, or of the wrong type.
 * [INPUT-1] [INPUT-2]
 *
 * @example
 * ```ts
 * resolveInput(spec, { runId: 'r', signal, params: { n: '5' } }); // 5 for an integer param
 * ```
 */
export function resolveInput(spec: InputSpec, ctx: ResourceContext): unknown {
  const given = spec.source === 'param' ? ctx.params[spec.name] : ctx.env?.[spec.name];
  if (given === undefined) {
    if (spec.hasDefault) return spec.default;
    if (!spec.required) return undefined;
    throw new InputError(spec, undefined, `is required (${spec.type}) and was not given`);
  }
  if (typeof given === 'string') return parseInputText(spec, given);
  const problem = problemWith(spec.type, given);
  if (problem !== null) throw new InputError(spec, given, `${problem}, got ${show(given)}`);
  return given;
}

/**
 * Parse the text form of an input's value (an environment variable, a command-line option):
 * numbers in decimal (integers in plain digits), booleans as true/false/1/0/yes/no, json by
 * JSON.parse. Throws InputError naming the input. [INPUT-2]
 *
 * @example
 * ```ts
 * parseInputText(inputSpecOf(param('n', { type: 'integer' }))!, '12'); // 12
 * ```
 */
export function parseInputText(spec: InputSpec, text: string): unknown {
  const t = text.trim();
  switch (spec.type) {
    case 'string':
      return text;
    case 'integer': {
      const n = Number(t);
      if (!/^[-+]?\d+$/.test(t) || !Number.isSafeInteger(n)) {
        throw new InputError(spec, text, `must be an integer, got ${JSON.stringify(text)}`);
      }
      return n;
    }
    case 'number': {
      const n = Number(t);
      if (t === '' || !Number.isFinite(n)) {
        throw new InputError(spec, text, `must be a number, got ${JSON.stringify(text)}`);
      }
      return n;
    }
    case 'boolean': {
      const v = BOOLEAN_TEXT[t.toLowerCase()];
      if (v === undefined) {
        throw new InputError(spec, text, `must be true or false, got ${JSON.stringify(text)}`);
      }
      return v;
    }
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new InputError(spec, text, `must be JSON, got ${JSON.stringify(text)}`);
      }
  }
}

const BOOLEAN_TEXT: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  yes: true,
  no: false,
};

function problemWith(type: InputType, value: unknown): string | null {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? null : 'must be a string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number';
    case 'integer':
      return Number.isSafeInteger(value) ? null : 'must be an integer';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be a boolean';
    case 'json':
      return null;
  }
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
