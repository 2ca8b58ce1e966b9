/**
 * The `control` stream's commands: a {@link CommandHandler} declares each command's argument
 * schema (zod); the gateway validates every command against it before the handler sees it.
 *
 * Invariants:
 * - [CMD-1] The handler is called only with a declared command name and arguments that
 *   parsed against its schema (defaults applied); anything else is a `nack` and the handler
 *   is not called.
 * - [CMD-2] A handler that throws or rejects must leave its subject unchanged: the gateway
 *   answers `nack` (`CASCADE_ERR_COMMAND_FAILED`) and broadcasts nothing. Only a command the
 *   handler returned from is acknowledged and broadcast as a `command-applied` event.
 */
import { z } from 'zod';
import type { ConstraintSet } from '../runtime/constraint-set.js';
import type { ControlCommand } from '../runtime/control-command.js';

/** Who sent a command, passed to the handler. */
export interface CommandContext {
  /** The gateway session id. */
  readonly session: string;
  /** The token's subject (`anonymous` without auth). */
  readonly subject: string;
  readonly role: string;
}

/**
 * What the gateway needs to steer something: the commands and their argument schemas, and
 * a function that applies one. The result is sent back in the `ack` and in the
 * `command-applied` event, so it should be JSON.
 */
export interface CommandHandler {
  /** Command name -> schema of its `args` object. [CMD-1] */
  readonly schemas: Readonly<Record<string, z.ZodType>>;
  /** Apply a validated command; throw or reject to refuse it, leaving things unchanged. [CMD-2] */
  apply(cmd: string, args: unknown, ctx: CommandContext): unknown;
}

/** One command of {@link defineCommands}: a schema and the function it guards. */
export interface CommandSpec<S extends z.ZodType> {
  args: S;
  run: (args: z.output<S>, ctx: CommandContext) => unknown;
}

/**
 * A typed {@link CommandHandler} from one spec per command: each `run` receives its
 * arguments already parsed.
 *
 * @example
 * ```ts
 * const handler = defineCommands({
 *   pause: { args: simulationCommands.pause, run: () => scheduler.pause() },
 *   speed: { args: simulationCommands.speed, run: ({ x }) => scheduler.setSpeed(x) },
 * });
 * new Gateway({ port: 0, auth: { mode: 'none' }, commands: handler });
 * ```
 */
export function defineCommands<S extends Record<string, z.ZodType>>(specs: {
  [K in keyof S]: CommandSpec<S[K]>;
}): CommandHandler {
  // Erased to the untyped form the gateway calls: it has parsed `args` with this very schema.
  const table = specs as Record<string, CommandSpec<z.ZodType>>;
  const schemas: Record<string, z.ZodType> = {};
  for (const name of Object.keys(table)) schemas[name] = table[name].args;
  return {
    schemas,
    apply(cmd, args, ctx) {
      return table[cmd].run(args, ctx);
    },
  };
}

/**
 * Argument schemas of the usual commands of a running simulation: `pause`, `resume`,
 * `speed {x > 0}` (a time multiplier), `limit {n integer >= 1}` and `rate {perSec > 0}`.
 * Nothing here knows what is simulated; a handler picks the ones it supports.
 *
 * @example
 * ```ts
 * simulationCommands.speed.safeParse({ x: 0 }).success; // false
 * ```
 */
export const simulationCommands = {
  pause: z.strictObject({}),
  resume: z.strictObject({}),
  speed: z.strictObject({ x: z.number().positive().finite() }),
  limit: z.strictObject({ n: z.number().int().min(1) }),
  rate: z.strictObject({ perSec: z.number().positive().finite() }),
} as const;

const scopeArg = z.string().min(1).default('global');
const ttlArg = z.number().positive().finite().optional();

/**
 * Argument schemas of the control plane's commands (the runtime's `ControlCommand` model):
 * `pause {scope?, ttlSeconds?}`, `resume {scope?}`, `limit {scope?, concurrency?, perSec?,
 * burst?, ttlSeconds?}` (null removes one) and `clear {scope?}`; scope defaults to `global`.
 *
 * @example
 * ```ts
 * constraintCommandSchemas.limit.safeParse({ concurrency: 0 }).success; // false
 * ```
 */
export const constraintCommandSchemas = {
  pause: z.strictObject({ scope: scopeArg, ttlSeconds: ttlArg }),
  resume: z.strictObject({ scope: scopeArg }),
  limit: z.strictObject({
    scope: scopeArg,
    concurrency: z.number().int().min(1).nullable().optional(),
    perSec: z.number().positive().finite().nullable().optional(),
    burst: z.number().min(1).finite().optional(),
    ttlSeconds: ttlArg,
  }),
  clear: z.strictObject({ scope: scopeArg }),
} as const;

/**
 * A {@link CommandHandler} that applies the control plane's commands to a ConstraintSet: the
 * gateway's control stream and the MQTT topics then steer a run through one model. A command
 * the model refuses (a bad scope, a `limit` naming nothing) throws, so it is a `nack` and
 * nothing changes [CMD-2]. Returns the constraints in force.
 *
 * @example
 * ```ts
 * new Gateway({ port: 0, auth: { mode: 'none' }, commands: constraintCommands(constraints) });
 * ```
 */
export function constraintCommands(set: ConstraintSet): CommandHandler {
  const apply = (cmd: ControlCommand): unknown => {
    set.applyCommand(cmd);
    return { constraints: set.list() };
  };
  return defineCommands({
    pause: { args: constraintCommandSchemas.pause, run: (a) => apply({ type: 'pause', ...a }) },
    resume: { args: constraintCommandSchemas.resume, run: (a) => apply({ type: 'resume', ...a }) },
    limit: { args: constraintCommandSchemas.limit, run: (a) => apply({ type: 'limit', ...a }) },
    clear: { args: constraintCommandSchemas.clear, run: (a) => apply({ type: 'clear', ...a }) },
  });
}
