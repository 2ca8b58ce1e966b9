// The shell provider on real processes: argv without a shell, typed failures with exit code and
// stderr, timeouts and cancellation that kill the whole process group. [SHELL-1..3]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, task, type EngineEvent } from '../../src/index.js';
import { ErrorCode } from '../../src/errors.js';
import { ProcessFailedError, TimeoutError, runShell, shell } from '../../src/providers/index.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-shell-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** True while `pid` is a live (not zombie) process. */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('shell', () => {
  it('[SHELL-1] runs an argv array without a shell: arguments are not interpreted', async () => {
    const r = await new Engine().run(shell(['echo', '$HOME; echo injected', '*']));
    expect(r.stdout).toBe('$HOME; echo injected *\n');
    expect(r.exitCode).toBe(0);
    expect(r.durationMs).toBeGreaterThan(0);
  });

  it('[SHELL-1] runs a string through /bin/sh only with { shell: true }', async () => {
    const r = await new Engine().run(shell('printf "%s" a b | wc -c', { shell: true }));
    expect(r.stdout.trim()).toBe('2');
    expect(() => shell('ls | wc -l')).toThrow(/argv array.*shell: true/);
    expect(() => shell(['ls'], { shell: true })).toThrow(/non-empty string/);
    expect(() => shell([])).toThrow(/non-empty argv/);
  });

  it('takes LazyResults in the argv, stdin, cwd and env', async () => {
    const name = task(() => 'from-a-task', { name: 'name' });
    const r = await new Engine().run(
      shell(['sh', '-c', 'echo "$1 $GREETING $(pwd)"; cat', 'sh', name()], {
        input: 'stdin text',
        cwd: dir,
        env: { GREETING: 'hello' },
      }),
    );
    expect(r.stdout).toBe(`from-a-task hello ${dir}\nstdin text`);
  });

  it('[SHELL-2] a non-zero exit is a ProcessFailedError with the exit code and stderr tail', async () => {
    const error = await new Engine()
      .run(shell(['sh', '-c', 'echo partial; echo "it broke" >&2; exit 3']))
      .catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.TASK_FAILED);
    const cause = (error as { cause: unknown }).cause;
    expect(cause).toBeInstanceOf(ProcessFailedError);
    const failed = cause as ProcessFailedError;
    expect(failed.code).toBe(ErrorCode.PROCESS_FAILED);
    expect(failed.exitCode).toBe(3);
    expect(failed.stderrTail).toBe('it broke\n');
    expect(failed.details).toMatchObject({
      reason: 'exit',
      argv: ['sh', '-c', expect.any(String)],
    });
    expect(failed.message).toMatch(/exited with code 3: it broke/);
  });

  it('[SHELL-2] is retried under withRetry like any error', async () => {
    const counter = path.join(dir, 'count');
    const script = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 3 ]`;
    const events: EngineEvent[] = [];
    const engine = new Engine();
    engine.bus.on((e) => events.push(e));
    await engine.run(shell(['sh', '-c', script]).withRetry({ maxAttempts: 3 }));
    expect((await readFile(counter, 'utf8')).trim()).toBe('3');
    expect(events.filter((e) => e.type === 'TaskRetrying')).toHaveLength(2);
  });

  it('[SHELL-2] output past maxOutputBytes stops the process', async () => {
    const error = await runShell(['sh', '-c', 'yes | head -c 1000000'], {
      maxOutputBytes: 1000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessFailedError);
    expect((error as ProcessFailedError).details.reason).toBe('output-limit');
  });

  it('[SHELL-3] a timeout kills the whole process group and rejects with TimeoutError', async () => {
    const pidFile = path.join(dir, 'timeout.pid');
    const started = Date.now();
    const error = await new Engine()
      .run(
        shell(`sleep 30 & echo $! > ${pidFile}; wait`, {
          shell: true,
          timeoutMs: 300,
        }),
      )
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    const cause = (error as { cause: unknown }).cause;
    expect(cause).toBeInstanceOf(TimeoutError);
    expect((cause as TimeoutError).code).toBe(ErrorCode.TIMEOUT);
    expect((cause as TimeoutError).details.timeoutMs).toBe(300);
    const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
    await until(() => !alive(grandchild));
  });

  it('[SHELL-3] cancelling the run kills the process at once', async () => {
    const pidFile = path.join(dir, 'cancel.pid');
    const ac = new AbortController();
    const run = new Engine().run(shell(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`]), {
      signal: ac.signal,
    });
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(alive(pid)).toBe(true);
    const started = Date.now();
    ac.abort(new Error('user stop'));
    const error = await run.catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.CANCELLED);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(alive(pid)).toBe(false);
  });

  it('a program that cannot be started is INVALID_ARGUMENT, not retried', async () => {
    const events: EngineEvent[] = [];
    const engine = new Engine();
    engine.bus.on((e) => events.push(e));
    const error = await engine
      .run(shell(['/nonexistent/program']).withRetry({ maxAttempts: 3 }))
      .catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((error as Error).message).toMatch(/cannot be started.*ENOENT/);
    expect(events.filter((e) => e.type === 'TaskExecutionStarted')).toHaveLength(1);
  });

  it('rejects bad options by name', async () => {
    await expect(runShell(['true'], { timeoutMs: -1 })).rejects.toThrow(/shell.timeoutMs/);
    await expect(runShell('true')).rejects.toThrow(/argv array/);
  });
});
