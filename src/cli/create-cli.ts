/**
 * createCli: a command-line program made from a workflow. Every `param` the target reads
 * becomes an option (`days` -> `--days <integer>`, a boolean -> `--flag` / `--no-flag`) with
 * its type, default and description in `--help`; `env` inputs are listed after the options.
 * `run()` parses the arguments, runs the target on an engine and prints its value.
 *
 * Invariants:
 * - [CLI-2] A bad value (not of the param's type, a missing required param, an unknown option)
 *   prints one line on stderr and exits 2 before any task runs; `--help` exits 0.
 * - [CLI-3] A run that fails prints one line (`name: message [code]`, with the cause of a
 *   TASK_FAILED) and exits 1; Ctrl+C cancels the run and exits 130 (a second Ctrl+C, while a
 *   task ignores the signal, ends the process at once).
 */
import { Command, CommanderError, Option, InvalidArgumentError as OptionError } from 'commander';
import type { LazyResult } from '../spec/lazy-result.js';
import { InputError, parseInputText, type InputSpec } from '../spec/input.js';
import { dryRun } from '../graph/plan.js';
import { Engine } from '../runtime/engine.js';
import { CascadeError, ErrorCode, InvalidArgumentError } from '../errors.js';

/** Where a workflow CLI writes. */
export interface CliOutput {
  write(text: string): unknown;
}

/** Options of {@link createCli}. */
export interface CreateCliOptions {
  /** The program's name in usage and messages (default: the target task's name). */
  readonly name?: string;
  readonly description?: string;
  /** Adds `--version`. */
  readonly version?: string;
  /** The engine that runs the target (default: a new Engine). */
  readonly engine?: Engine;
  /** Environment for `env(...)` inputs (default: `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How a result is printed (default: a string as is, anything else as indented JSON). */
  readonly format?: (value: unknown) => string;
  /** Default `process.stdout`. */
  readonly stdout?: CliOutput;
  /** Default `process.stderr`. */
  readonly stderr?: CliOutput;
}

/** A workflow's command-line program. */
export interface WorkflowCli {
  /** The commander program, to add help text or options before `run`. */
  readonly program: Command;
  /**
   * Parse `argv` (the user's arguments, default `process.argv.slice(2)`), run the target and
   * print its value. Resolves to the exit code, also set as `process.exitCode`.
   */
  run(argv?: readonly string[]): Promise<number>;
}

const RESERVED = ['help', 'version', 'dry-run'];

/**
 * Make a command-line program from a workflow's params.
 *
 * @example
 * ```ts
 * // report.ts
 * const days = param('days', { type: 'integer', default: 7, description: 'days to cover' });
 * const city = param('city', { description: 'city to report on' });
 * await createCli(report(city, days), { description: 'sales report' }).run();
 * // $ node --import tsx report.ts --city Lyon --days 3
 * // $ node --import tsx report.ts --help
 * ```
 */
export function createCli(
  target: LazyResult<unknown>,
  options: CreateCliOptions = {},
): WorkflowCli {
  const plan = dryRun(target); // validates the target; lists its inputs
  const params = plan.inputs.filter((i) => i.source === 'param');
  const envs = plan.inputs.filter((i) => i.source === 'env');
  const name = options.name ?? plan.tasks.at(-1)!.name;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const program = new Command(name)
    .exitOverride()
    .allowExcessArguments(false)
    .configureOutput({
      writeOut: (s) => void stdout.write(s),
      writeErr: (s) => void stderr.write(s),
    });
  if (options.description !== undefined) program.description(options.description);
  if (options.version !== undefined) program.version(options.version);
  const attributes: Array<[InputSpec, string]> = [];
  for (const spec of params) {
    const flag = kebab(spec.name);
    if (RESERVED.includes(flag)) {
      throw new InvalidArgumentError('param name', spec.name, `--${flag} is taken by the CLI`);
    }
    for (const option of optionsFor(spec, flag)) program.addOption(option);
    attributes.push([spec, new Option(`--${flag}`).attributeName()]);
  }
  program.option('--dry-run', 'print the execution plan as JSON and run nothing');
  if (envs.length > 0) {
    const lines = envs.map((e) => `  ${e.name.padEnd(20)} ${describe(e)}`);
    program.addHelpText('after', `\nEnvironment:\n${lines.join('\n')}`);
  }
  program.action(async () => {
    const opts = program.opts<Record<string, unknown>>();
    if (opts.dryRun === true) {
      stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      return;
    }
    const given: Record<string, unknown> = {};
    for (const [spec, attribute] of attributes) {
      if (opts[attribute] !== undefined) given[spec.name] = opts[attribute];
      else if (spec.required && !spec.hasDefault) {
        // checked here, not by commander, so that --dry-run and --help need no values
        const flag = `--${kebab(spec.name)}${spec.type === 'boolean' ? '' : ` <${spec.type}>`}`;
        program.error(`error: required option '${flag}' not specified`, { exitCode: 2 });
      }
    }
    const controller = new AbortController();
    const onSigint = (): void => controller.abort(new Error('interrupted (SIGINT)'));
    process.once('SIGINT', onSigint);
    try {
      const engine = options.engine ?? new Engine();
      const value = await engine.run(target, {
        params: given,
        env: options.env ?? process.env,
        signal: controller.signal,
      });
      const text = (options.format ?? formatValue)(value);
      if (text !== '') stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  });
  return {
    program,
    async run(argv = process.argv.slice(2)) {
      const code = await runProgram(program, name, argv, stderr);
      process.exitCode = code;
      return code;
    },
  };
}

async function runProgram(
  program: Command,
  name: string,
  argv: readonly string[],
  stderr: CliOutput,
): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // printed already
    if (error instanceof CascadeError && error.code === ErrorCode.CANCELLED) {
      stderr.write(`${name}: cancelled\n`);
      return 130;
    }
    if (
      error instanceof InputError ||
      (error instanceof CascadeError && error.code === ErrorCode.INVALID_ARGUMENT)
    ) {
      stderr.write(`${name}: ${error.message}\n`); // [CLI-2]
      return 2;
    }
    stderr.write(`${name}: ${oneLine(error)}\n`); // [CLI-3]
    return 1;
  }
}

function optionsFor(spec: InputSpec, flag: string): Option[] {
  const text = describe(spec);
  if (spec.type === 'boolean') {
    return [new Option(`--${flag}`, text), new Option(`--no-${flag}`, `set ${spec.name} to false`)];
  }
  const option = new Option(`--${flag} <${spec.type}>`, text).argParser((value: string) => {
    try {
      return parseInputText(spec, value);
    } catch (error) {
      throw new OptionError(error instanceof InputError ? error.message : String(error));
    }
  });
  return [option];
}

function describe(spec: InputSpec): string {
  const facts: string[] = [spec.type];
  if (spec.hasDefault) facts.push(`default: ${JSON.stringify(spec.default)}`);
  else if (spec.required) facts.push('required');
  else facts.push('optional');
  const lead = spec.description === '' ? '' : `${spec.description} `;
  return `${lead}(${facts.join(', ')})`;
}

/** `maxItems` -> `max-items`; names already kebab or snake case are kept. */
function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function formatValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  // JSON.stringify gives undefined only for a function or symbol
  return JSON.stringify(value, null, 2) ?? (typeof value === 'function' ? '[function]' : 'symbol');
}

function oneLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = error instanceof CascadeError ? ` [${error.code}]` : '';
  return `${error.message}${code}`.replace(/\n/g, ' ');
}
