/** `cascade demo --json`: the events as JSON lines, errors included (name, code, message, cause). */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

interface Event {
  type: string;
  status?: string;
  error?: { name: string; code?: string; message: string; cause?: unknown };
}

const events = (stdout: string): Event[] =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{"type"'))
    .map((l) => JSON.parse(l) as Event);

describe('cascade demo --json', () => {
  it("prints the flaky task's first failure with its name and message, not {}", () => {
    const r = runCli(['demo', '--json']);
    expect(r.code).toBe(0);
    const failed = events(r.stdout).filter((e) => e.error !== undefined);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const e of failed) expect(e.error).toEqual({ name: 'Error', message: 'flaky failure' });
  });

  it('--fail: the run failure has its code and its cause', () => {
    const r = runCli(['demo', '--json', '--fail']);
    expect(r.code).toBe(1);
    const finished = events(r.stdout).find((e) => e.type === 'RunFinished');
    expect(finished?.status).toBe('failed');
    expect(finished?.error).toMatchObject({
      name: 'CascadeError',
      code: 'CASCADE_ERR_TASK_FAILED',
      message: expect.stringMatching(/^task flaky#\d+ failed after 2 attempts/) as string,
      cause: { name: 'Error', message: 'flaky failure' },
    });
  });
});
