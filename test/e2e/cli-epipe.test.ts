/**
 * A reader that goes away: `cascade demo | head -1`. The built CLI runs with stdout on a pipe
 * whose reading end is closed after the first chunk; the next write gets EPIPE, which must end
 * the process quietly with exit code 0, not with an unhandled 'error' stack trace. [CLI-1]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, root } from './run-cli.js';

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  first: string;
  stderr: string;
  ms: number;
}

/** Run the CLI, close its stdout after the first chunk, collect stderr and the exit. */
function runAndCloseAfterFirstChunk(args: string[]): Promise<Ended> {
  const started = Date.now();
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let first = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.once('data', (chunk: string) => {
    first = chunk;
    child.stdout.destroy(); // the reading end closes, like `head -1` after its line
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, first, stderr, ms: Date.now() - started });
    });
  });
}

beforeAll(() => {
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
});

describe('cascade with stdout closed early (EPIPE)', () => {
  it('cascade demo | head -1: exit 0, no stack trace', async () => {
    const r = await runAndCloseAfterFirstChunk(['demo']);
    expect(r.first).toMatch(/^run \S+ started \(target format\)/);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
  });

  it('a long run writing once per second ends at its next write, exit 0, no stack trace', async () => {
    // 600 simulated s at x20 would take 30 s: it ends early only because the pipe closed.
    const r = await runAndCloseAfterFirstChunk([
      'fireflies',
      '--grid',
      '10x10',
      '--speed',
      '20',
      '--duration',
      '600',
    ]);
    expect(r.first).toMatch(/^t=[\d.]+s agents=100 /);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(10_000);
  });
});
