// One suite, every execution path: a task's attempts (retry, backoff, fatal errors, TASK_FAILED,
// cancellation, events) behave the same in graph mode, VM mode and the lean VM path.
import { describe, expect, it } from 'vitest';
import { task, type LazyResult } from '../../src/spec/index.js';
import { Engine, EventBus, type EngineEvent } from '../../src/runtime/index.js';
import { FATAL_CODES, finalError, retryDelay } from '../../src/runtime/attempt-policy.js';
import {
  CancelledError,
  CascadeError,
  ErrorCode,
  InvalidArgumentError,
  type ErrorCode as Code,
} from '../../src/errors.js';

type Mode = 'graph' | 'vm' | 'vm-lean' | 'spawn';

interface Harness {
  run<T>(target: LazyResult<T>, signal?: AbortSignal): Promise<unknown>;
  events: EngineEvent[];
}

/** Run a target in one mode; `listen` adds a bus subscriber (the lean path has none). */
function harness(mode: Mode, listen = mode !== 'vm-lean' && mode !== 'spawn'): Harness {
  const bus = new EventBus<EngineEvent>();
  const events: EngineEvent[] = [];
  if (listen) bus.on((e) => events.push(e));
  const engine = new Engine({ bus });
  return {
    events,
    run: (target, signal) => {
      if (mode === 'graph') return engine.run(target, { signal });
      if (mode === 'spawn') {
        return new Promise((resolve, reject) =>
          engine.spawn(target, { signal, onValue: resolve, onError: reject }),
        );
      }
      return engine.run(target, { vm: true, signal });
    },
  };
}

const ALL: Mode[] = ['graph', 'vm', 'vm-lean', 'spawn'];
const WITH_EVENTS: Mode[] = ['graph', 'vm'];

async function failure(p: Promise<unknown>): Promise<CascadeError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CascadeError);
    return e as CascadeError;
  }
  throw new Error('expected a rejection');
}

describe.each(ALL)('attempt policy in %s mode', (mode) => {
  it('retries a failing task until it succeeds, waiting delay * backoff^(n-1) [ATT-2]', async () => {
    let calls = 0;
    const flaky = task(async () => {
      await Promise.resolve();
      if (++calls < 3) throw new Error(`fail ${calls}`);
      return 'ok';
    });
    const h = harness(mode);
    const t0 = performance.now();
    expect(await h.run(flaky().withRetry({ maxAttempts: 3, delay: 10, backoff: 2 }))).toBe('ok');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(28); // 10 + 20 ms, timer slack
    expect(calls).toBe(3);
  });

  it('wraps the last error in TASK_FAILED after maxAttempts calls [ATT-3]', async () => {
    let calls = 0;
    const bad = task(function bad() {
      throw new Error(`fail ${++calls}`);
    });
    const h = harness(mode);
    const target = bad().withRetry({ maxAttempts: 3 });
    const e = await failure(h.run(target));
    expect(e.code).toBe(ErrorCode.TASK_FAILED);
    const name = target.task!.name;
    expect(e.details).toEqual({ taskName: name, nodeId: `${name}#0`, attempts: 3 });
    expect((e.cause as Error).message).toBe('fail 3');
    expect(calls).toBe(3);
  });

  it('wraps a single attempt too (no retry policy) [ATT-3]', async () => {
    const bad = task(function once() {
      return Promise.reject(new Error('nope'));
    });
    const e = await failure(harness(mode).run(bad()));
    expect(e.code).toBe(ErrorCode.TASK_FAILED);
    expect(e.details.attempts).toBe(1);
    expect((e.cause as Error).message).toBe('nope');
  });

  it.each([...FATAL_CODES])(
    'calls a task throwing %s once and rejects with that error [ATT-1]',
    async (code) => {
      let calls = 0;
      const thrown = new CascadeError(code as Code, 'fatal');
      const bad = task(() => {
        calls++;
        throw thrown;
      });
      const e = await failure(harness(mode).run(bad().withRetry({ maxAttempts: 3 })));
      expect(e).toBe(thrown);
      expect(calls).toBe(1);
    },
  );

  it('does not retry an InvalidArgumentError (the case the review found) [ATT-1]', async () => {
    let calls = 0;
    const bad = task((n: number) => {
      calls++;
      throw new InvalidArgumentError('n', n, 'must be even');
    });
    const e = await failure(harness(mode).run(bad(3).withRetry({ maxAttempts: 3 })));
    expect(e.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(calls).toBe(1);
  });

  it('does not retry an error that says it is not retryable, and wraps it [ATT-6]', async () => {
    let calls = 0;
    const permanent = Object.assign(new Error('gone for good'), { retryable: false });
    const bad = task(() => {
      calls++;
      throw permanent;
    });
    const e = await failure(harness(mode).run(bad().withRetry({ maxAttempts: 3, delay: 1 })));
    expect(e.code).toBe(ErrorCode.TASK_FAILED);
    expect(e.details.attempts).toBe(1);
    expect(e.cause).toBe(permanent);
    expect(calls).toBe(1);
  });

  it('stops waiting between attempts when the signal aborts [ATT-4]', async () => {
    let calls = 0;
    const bad = task(() => {
      calls++;
      throw new Error('flaky');
    });
    const ac = new AbortController();
    const t0 = performance.now();
    const p = harness(mode).run(bad().withRetry({ maxAttempts: 5, delay: 10_000 }), ac.signal);
    setTimeout(() => ac.abort(new Error('stop')), 20);
    const e = await failure(p);
    expect(e).toBeInstanceOf(CancelledError);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(calls).toBe(1);
  });
});

describe.each(WITH_EVENTS)('attempt events in %s mode', (mode) => {
  it('reports each attempt and each retry, in order [ATT-2] [ATT-5]', async () => {
    let calls = 0;
    const flaky = task(function flaky() {
      if (++calls < 3) throw new Error(`fail ${calls}`);
      return calls;
    });
    const h = harness(mode);
    const target = flaky().withRetry({ maxAttempts: 3, delay: 1, backoff: 3 });
    await h.run(target);
    const name = target.task!.name;
    const seen = h.events
      .filter((e) => e.type.startsWith('Task'))
      .map((e) => {
        if (e.type === 'TaskExecutionStarted') return `start ${e.attempt}`;
        if (e.type === 'TaskExecutionFinished') return `end ${e.attempt} ${e.status}`;
        if (e.type === 'TaskRetrying') return `retry ${e.attempt} after ${e.delayMs}`;
        return e.type;
      });
    expect(seen).toEqual([
      'start 1',
      'end 1 failed',
      'retry 1 after 1',
      'start 2',
      'end 2 failed',
      'retry 2 after 3',
      'start 3',
      'end 3 succeeded',
    ]);
    const failed = h.events.find((e) => e.type === 'TaskExecutionFinished');
    expect(failed?.type === 'TaskExecutionFinished' && (failed.error as Error).message).toBe(
      'fail 1',
    );
    for (const e of h.events) {
      if (e.type.startsWith('Task'))
        expect(e).toMatchObject({ taskName: name, nodeId: `${name}#0` });
    }
  });

  it('ends the run as failed with the TASK_FAILED error', async () => {
    const bad = task(function bad() {
      throw new Error('x');
    });
    const h = harness(mode);
    await failure(h.run(bad().withRetry({ maxAttempts: 2 })));
    const end = h.events.at(-1)!;
    expect(end.type).toBe('RunFinished');
    expect(end.type === 'RunFinished' && end.status).toBe('failed');
    expect(end.type === 'RunFinished' && (end.error as CascadeError).code).toBe(
      ErrorCode.TASK_FAILED,
    );
  });
});

describe('attempt policy functions', () => {
  it('retryDelay grows geometrically [ATT-2]', () => {
    const retry = { maxAttempts: 5, delay: 5, backoff: 3 };
    expect([1, 2, 3].map((n) => retryDelay(retry, n))).toEqual([5, 15, 45]);
  });

  it('finalError: null while attempts remain, Cancelled when aborted [ATT-3] [ATT-4]', () => {
    expect(finalError(new Error('x'), 1, 2, undefined, 't', 't#0')).toBeNull();
    const ac = new AbortController();
    ac.abort();
    const e = finalError(new Error('x'), 1, 2, ac.signal, 't', 't#0');
    expect(e).toBeInstanceOf(CancelledError);
    expect(((e as CancelledError).cause as Error).message).toBe('x');
  });
});
