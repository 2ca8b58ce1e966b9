/**
 * The `shell` provider: run a program as a task. By default the command is an argv array run
 * without a shell (`['git', 'log', '-1', ref]`): no quoting, no injection through arguments.
 * A shell (`/bin/sh -c`) is used only when asked (`{ shell: true }`, the command a string).
 *
 * Invariants:
 * - [SHELL-1] An argv command is executed directly (never through a shell); a string command
 *   without `shell: true`, or an array with it, is INVALID_ARGUMENT.
 * - [SHELL-2] A non-zero exit, a kill by a signal, or output past `maxOutputBytes` rejects with
 *   ProcessFailedError carrying the exit code (or signal) and the last 4 KiB of stderr.
 * - [SHELL-3] On timeout (TimeoutError) or cancellation (CancelledError) the process's whole
 *   group gets SIGTERM, then SIGKILL after `killGraceMs`; the promise settles only once the
 *   process has exited, so nothing it started is left behind.
 */
import { spawn } from 'node:child_process';
import { task } from '../spec/task.js';
import { inject } from '../spec/resource.js';
import { isLazyResult, type LazyResult } from '../spec/lazy-result.js';
import type { LazyArg } from '../spec/task.js';
import { CancelledError, InvalidArgumentError } from '../errors.js';
import { ProcessFailedError, TimeoutError, type ProcessFailure } from './provider-errors.js';

/** Options of {@link shell} and {@link runShell}. */
export interface ShellOptions {
  /** Working directory (default: the process's). */
  readonly cwd?: string;
  /** Variables added to (or replacing those of) the process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the process's stdin, which is then closed (default: no stdin). */
  readonly input?: string | Uint8Array;
  /** Kill the process and fail with TimeoutError after this many ms (default: no limit). */
  readonly timeoutMs?: number;
  /** Run a string command through `/bin/sh -c` (default false: an argv array, no shell). */
  readonly shell?: boolean;
  /** Fail once stdout + stderr exceed this many bytes (default 16 MiB). */
  readonly maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL when stopping the process, in ms (default 2000). */
  readonly killGraceMs?: number;
}

/** What a command that exited with code 0 gives. */
export interface ShellResult {
  /** Everything written to stdout, decoded as UTF-8. */
  readonly stdout: string;
  /** Everything written to stderr, decoded as UTF-8. */
  readonly stderr: string;
  /** Always 0 (a non-zero exit is a ProcessFailedError). */
  readonly exitCode: 0;
  /** Wall time from spawn to exit, in ms. */
  readonly durationMs: number;
}

const STDERR_TAIL = 4096;

/**
 * Run `command` now (outside any workflow) and resolve with its output. See {@link shell}.
 *
 * @example
 * ```ts
 * const { stdout } = await runShell(['git', 'rev-parse', 'HEAD'], { timeoutMs: 5000 });
 * ```
 */
export async function runShell(
  command: readonly string[] | string,
  options: ShellOptions & { signal?: AbortSignal } = {},
): Promise<ShellResult> {
  const argv = checkCommand(command, options.shell === true);
  const timeoutMs = positive('shell.timeoutMs', options.timeoutMs, Infinity);
  const maxOutput = positive('shell.maxOutputBytes', options.maxOutputBytes, 16 * 1024 * 1024);
  const grace = positive('shell.killGraceMs', options.killGraceMs, 2000);
  const signal = options.signal;
  if (signal?.aborted === true) {
    throw new CancelledError('shell cancelled', { cause: signal.reason });
  }
  const started = performance.now();
  const [file, ...args] = options.shell === true ? ['/bin/sh', '-c', argv[0]] : argv;
  return await new Promise<ShellResult>((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, so a stop reaches what it started [SHELL-3]
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let stopped: 'timeout' | 'cancel' | 'output-limit' | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    let spawnError: Error | null = null;

    const stop = (why: NonNullable<typeof stopped>): void => {
      if (stopped !== null || child.exitCode !== null || child.signalCode !== null) return;
      stopped = why;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), grace);
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      into.push(chunk);
      bytes += chunk.length;
      if (bytes > maxOutput) stop('output-limit');
    };
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(err));
    if (options.input !== undefined) {
      child.stdin!.on('error', () => {}); // a process that exits without reading its stdin
      child.stdin!.end(options.input);
    }
    const timer = timeoutMs === Infinity ? undefined : setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = (): void => stop('cancel');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, killedBy) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      const stderr = Buffer.concat(err);
      if (spawnError !== null && child.pid === undefined) {
        reject(
          new InvalidArgumentError(
            'shell command',
            file,
            `cannot be started: ${spawnError.message}`,
          ),
        );
        return;
      }
      if (stopped === 'timeout') {
        reject(new TimeoutError(`shell ${argv.join(' ')}`, timeoutMs));
        return;
      }
      if (stopped === 'cancel') {
        reject(new CancelledError('shell cancelled', { cause: signal?.reason }));
        return;
      }
      const reason: ProcessFailure | null =
        stopped === 'output-limit'
          ? 'output-limit'
          : code !== 0
            ? code === null
              ? 'signal'
              : 'exit'
            : null;
      if (reason !== null) {
        reject(
          new ProcessFailedError(argv, {
            reason,
            exitCode: code,
            signal: killedBy,
            stderrTail: stderr.subarray(Math.max(0, stderr.length - STDERR_TAIL)).toString('utf8'),
          }),
        );
        return;
      }
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: stderr.toString('utf8'),
        exitCode: 0,
        durationMs: performance.now() - started,
      });
    });
  });
}

const shellTask = task(
  (command: readonly string[] | string, options: ShellOptions, signal: AbortSignal) =>
    runShell(command, { ...options, signal }),
  { name: 'shell' },
);

/**
 * A task that runs a program: an argv array run directly, or with `{ shell: true }` a string
 * run by `/bin/sh -c`. Resolves with its stdout and stderr when it exits with 0; a non-zero
 * exit is a ProcessFailedError (exit code, stderr tail) [SHELL-2]; `timeoutMs` kills it with a
 * TimeoutError; cancelling the run kills it too [SHELL-3]. The command and options may hold
 * LazyResults. Chain policies as on any task (`.withRetry`, `.withConstraints`, …).
 *
 * @example
 * ```ts
 * import { Engine } from 'cascade';
 * import { shell } from 'cascade/providers';
 * const head = shell(['git', 'rev-parse', 'HEAD'], { timeoutMs: 5000 });
 * const { stdout } = await new Engine().run(head);
 * await new Engine().run(shell('ls | wc -l', { shell: true }));
 * ```
 */
export function shell(
  command: LazyArg<readonly string[]> | LazyArg<string>,
  options: LazyArg<ShellOptions> = {},
): LazyResult<ShellResult> {
  // [POL-1] what is known at call time is checked at once; LazyResults when they resolve
  if ((typeof command === 'string' || Array.isArray(command)) && !isLazyResult(options)) {
    const opts = options as { shell?: unknown };
    if (typeof opts.shell === 'boolean' || opts.shell === undefined) {
      checkShape(command, opts.shell === true, true);
    }
  }
  return shellTask(command as LazyArg<string>, options, inject<AbortSignal>('signal'));
}

/** [SHELL-1] A command as an argv list, checked; a shell command as a one-element list. */
function checkCommand(command: readonly string[] | string, useShell: boolean): readonly string[] {
  checkShape(command, useShell, false);
  return typeof command === 'string' ? [command] : command;
}

/** `lazyOk`: at call time, a LazyResult may stand for an element (checked when it resolves). */
function checkShape(command: unknown, useShell: boolean, lazyOk: boolean): void {
  if (useShell) {
    if (typeof command !== 'string' || command.trim() === '') {
      throw new InvalidArgumentError(
        'shell command',
        command,
        'with shell: true the command must be a non-empty string',
      );
    }
    return;
  }
  if (typeof command === 'string') {
    throw new InvalidArgumentError(
      'shell command',
      command,
      'must be an argv array; pass { shell: true } to run a string through /bin/sh',
    );
  }
  if (!Array.isArray(command) || command.length === 0) {
    throw new InvalidArgumentError('shell command', command, 'must be a non-empty argv array');
  }
  for (const [i, a] of (command as unknown[]).entries()) {
    if (typeof a !== 'string' && !(lazyOk && isLazyResult(a))) {
      throw new InvalidArgumentError(`shell command[${i}]`, a, 'must be a string');
    }
  }
}

function positive(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new InvalidArgumentError(option, value, 'must be a number > 0');
  }
  return value;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}
