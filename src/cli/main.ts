#!/usr/bin/env node
/**
 * The `cascade` command. Thin by rule (the CLI parses, calls the library and prints): each subcommand lives in
 * `cli/commands/<name>.ts`, parses its options, calls the library and prints. Nothing below
 * `cli/` reads argv, env or the terminal size.
 *
 * Exit codes: 0 success, 1 failure while running, 2 bad usage (unknown option, invalid value),
 * 130 interrupted by Ctrl+C before a set duration ended (`diag renderer`). `fireflies` (and
 * `diag headless`, `profile`) exit 0 on Ctrl+C: without `--duration` in a terminal, Ctrl+C is
 * the normal way to end the experiment, and `npm start` should not report it as a failure.
 *
 * Invariants:
 * - [CLI-1] A reader that goes away (`cascade demo | head -1`: EPIPE on stdout) ends the process
 *   quietly with exit code 0 (or the code already set), like a Unix filter: no stack trace.
 */
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { UsageError } from './usage-error.js';
import { CascadeError, ErrorCode } from '../errors.js';

const program = new Command('cascade')
  .description('Cascade: declarative workflows, long-lived agents and the firefly observatory')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const register of commands) register(program);

// [CLI-1] Without this listener an EPIPE is an unhandled 'error' event: a stack trace, exit 1.
// process.exit() still runs the 'exit' hooks (terminal restore, metrics log flush).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit();
  throw error;
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeOf(error);
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed the message (or the help / version text).
    return error.exitCode === 0 ? 0 : 2;
  }
  if (
    error instanceof UsageError ||
    (error instanceof CascadeError && error.code === ErrorCode.INVALID_ARGUMENT)
  ) {
    process.stderr.write(`cascade: ${error.message}\n`);
    return 2;
  }
  if (error instanceof CascadeError) {
    // a failure Cascade names (a shard that died, say): its message and code, no stack trace
    process.stderr.write(`cascade: ${error.message} [${error.code}]\n`);
    return 1;
  }
  process.stderr.write(
    `cascade: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}
