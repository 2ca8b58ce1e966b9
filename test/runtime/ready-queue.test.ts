import { describe, expect, it } from 'vitest';
import { ReadyQueue } from '../../src/runtime/index.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await Promise.resolve();
};

describe('ReadyQueue [RDY-1..3]', () => {
  it('runs wakers after the current code, in push order, including ones pushed while draining', async () => {
    const q = new ReadyQueue();
    const log: string[] = [];
    q.push({ wake: () => log.push('a') });
    q.push({
      wake: () => {
        log.push('b');
        q.push({ wake: () => log.push('d') }); // pushed during the drain: same drain, last
      },
    });
    q.push({ wake: () => log.push('c') });
    log.push('sync');
    expect(q.size).toBe(3);
    await flush();
    expect(log).toEqual(['sync', 'a', 'b', 'c', 'd']);
    expect(q.size).toBe(0);
  });

  it('a waker that throws does not stop the others; the error surfaces on its own', async () => {
    const q = new ReadyQueue();
    const log: string[] = [];
    const errors: unknown[] = [];
    const onError = (e: unknown): void => {
      errors.push(e);
    };
    process.on('uncaughtException', onError);
    try {
      q.push({
        wake: () => {
          throw new Error('boom');
        },
      });
      q.push({ wake: () => log.push('after') });
      await flush();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(log).toEqual(['after']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('boom');
  });

  it('is reusable after a drain (a second batch schedules a second drain)', async () => {
    const q = new ReadyQueue();
    let n = 0;
    q.push({ wake: () => n++ });
    await flush();
    q.push({ wake: () => n++ });
    q.push({ wake: () => n++ });
    await flush();
    expect(n).toBe(3);
  });
});

describe('ReadyQueue gives the event loop a turn [RDY-4]', () => {
  it('two wakers that wake each other forever do not starve a timer', async () => {
    const q = new ReadyQueue({ perTurn: 1000 });
    let exchanges = 0;
    let stop = false;
    const ping = { wake: (): void => (stop ? undefined : (exchanges++, q.push(pong))) };
    const pong = { wake: (): void => (stop ? undefined : (exchanges++, q.push(ping))) };
    q.push(ping);
    await new Promise((r) => setTimeout(r, 0)); // fires only if the cycle yields
    stop = true;
    expect(exchanges).toBeGreaterThanOrEqual(1000);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(q.size).toBe(0);
  });

  it('rejects a perTurn that is not a positive integer', () => {
    expect(() => new ReadyQueue({ perTurn: 0 })).toThrow(/perTurn/);
    expect(() => new ReadyQueue({ perTurn: 1.5 })).toThrow(/perTurn/);
  });
});
