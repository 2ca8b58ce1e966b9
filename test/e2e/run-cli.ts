/**
 * Running the built `cascade` command in a child process, as a user would (npm test builds
 * `dist/` first). Shared by the e2e tests.
 */
import { spawnSync } from 'node:child_process';
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
