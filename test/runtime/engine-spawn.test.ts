/**
 * Engine.spawn: a VM-mode agent with no promise, its end reported to callbacks. Covers the
 * value, a failure (the same error `run` rejects with), cancellation while parked, the path
 * through `run` when the engine has event subscribers, bad targets, and the default for an
 * error nobody handles (an uncaught exception in a child process).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inject, tailCall, task, waitFor } from '../../src/spec/index.js';
import { Engine, EventBus, type EngineEvent } from '../../src/runtime/index.js';
import { DirectChannel } from '../../src/messaging/index.js';
import { CancelledError, CascadeError, ErrorCode, InvalidArgumentError } from '../../src/errors.js';
import { root } from '../e2e/run-cli.js';

const countdown = task((n: number): number | ReturnType<typeof tailCall> =>
  n === 0 ? 42 : tailCall([n - 1]),
);

/** The callbacks of one spawned agent, and a promise of its end. */
function ending(): {
  onValue: (v: unknown) => void;
  onError: (e: unknown) => void;
  ended: Promise<{ value?: unknown; error?: unknown }>;
} {
  let settle!: (r: { value?: unknown; error?: unknown }) => void;
  const ended = new Promise<{ value?: unknown; error?: unknown }>((r) => (settle = r));
  return {
    onValue: (value) => settle({ value }),
    onError: (error) => settle({ error }),
    ended,
  };
}

describe('Engine.spawn', () => {
  it('runs a tail-calling agent to its value, reported to onValue; one callback serves many', async () => {
    const engine = new Engine();
    const values: unknown[] = [];
    const onValue = (v: unknown): void => void values.push(v);
    for (let i = 0; i < 100; i++) engine.spawn(countdown(i * 10), { onValue });
    await new Promise((r) => setImmediate(r));
    expect(values).toHaveLength(100);
    expect(values.every((v) => v === 42)).toBe(true);
  });

  it('reports a failing step to onError as run would reject: TASK_FAILED with the cause', async () => {
    const boom = task((n: number): unknown => {
      if (n === 3) throw new Error('step 3');
      return tailCall([n + 1]);
    });
    const engine = new Engine();
    const e = ending();
    engine.spawn(boom(0), e);
    const { value, error } = await e.ended;
    expect(value).toBeUndefined();
    expect(error).toBeInstanceOf(CascadeError);
    expect((error as CascadeError).code).toBe(ErrorCode.TASK_FAILED);
    expect(((error as CascadeError).cause as Error).message).toBe('step 3');
  });

  it('ends a parked agent with a CancelledError when its signal aborts', async () => {
    const inbox = new DirectChannel<number>({ owner: 'a', capacity: 4 });
    const waiter = task(() => waitFor(inbox));
    const engine = new Engine();
    const ac = new AbortController();
    const e = ending();
    engine.spawn(waiter(), { signal: ac.signal, ...e });
    await new Promise((r) => setImmediate(r));
    expect(inbox.hasWaiter).toBe(true);
    ac.abort(new Error('enough'));
    const { error } = await e.ended;
    expect(error).toBeInstanceOf(CancelledError);
    expect(inbox.hasWaiter).toBe(false);
  });

  it('goes through run when the engine has event subscribers, and still reports the value', async () => {
    const bus = new EventBus<EngineEvent>({ onSubscriberError: () => {} });
    const events: EngineEvent[] = [];
    bus.on((ev) => events.push(ev));
    const engine = new Engine({ bus });
    const e = ending();
    engine.spawn(countdown(5), e);
    expect((await e.ended).value).toBe(42);
    expect(events.map((ev) => ev.type)).toContain('RunStarted');
    expect(events.at(-1)).toMatchObject({ type: 'RunFinished', status: 'succeeded' });
  });

  it('takes injects through run as well', async () => {
    const withParams = task((p: Readonly<Record<string, unknown>>, n: number) =>
      n === 0 ? p.day : tailCall([p, n - 1]),
    );
    const engine = new Engine();
    const e = ending();
    engine.spawn(withParams(inject('params'), 3), e);
    // spawn passes no params: the injected {} has no `day`, and the run succeeds
    expect(await e.ended).toEqual({ value: undefined });
  });

  it('throws InvalidArgumentError at once for what is not a task call', () => {
    const engine = new Engine();
    expect(() => engine.spawn(inject('params'))).toThrow(InvalidArgumentError);
    expect(() => engine.spawn({} as never)).toThrow(/must be a task call/);
  });

  it('without onError, an agent error becomes an uncaught exception (never silently lost)', () => {
    const dist = join(root, 'dist', 'index.js');
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` first`);
    const script = `
      const { Engine, task } = await import(${JSON.stringify(dist)});
      const bad = task(() => { throw new Error('agent broke'); }, { name: 'bad' });
      new Engine().spawn(bad());
      setTimeout(() => console.log('still running'), 200);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('agent broke');
    expect(r.stdout).not.toContain('still running');
  });
});
