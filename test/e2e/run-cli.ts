/**
 * Running the built `cascade` command in a child process, as a user would (npm test builds
 * `dist/` first). Shared by the e2e tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = join(root, 'dist', 'cli', 'main.js');

/** What a finished command left behind. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `cascade ...args` to the end (from the checkout's root) and collect its output; `env`
 * replaces the inherited environment when given.
 */
export function runCli(args: string[], timeoutMs = 60_000, env?: NodeJS.ProcessEnv): CliResult {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: timeoutMs,
    ...(env !== undefined && { env }),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A command still running: its process, its output so far, and its exit. */
export interface CliProcess {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** Start `cascade ...args` (from the checkout's root) in the background, its output collected. */
export function startCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}
