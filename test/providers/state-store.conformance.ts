/**
 * The StateStore conformance suite: every state backend (MemoryStateStore,
 * RedisStateStore) passes it, alone and behind an engine that resumes runs by id.
 * [STATE-1..4]
 */
import { describe, expect, it } from 'vitest';
import { Engine, task, type EngineEvent, type StateStore } from '../../src/index.js';
import { ErrorCode } from '../../src/errors.js';

export function describeStateStore(
  name: string,
  make: () => Promise<StateStore>,
  /** A second store on the same data (another connection), or the same object for memory. */
  again: (store: StateStore) => Promise<StateStore>,
): void {
  describe(`StateStore conformance: ${name}`, () => {
    it('[STATE-1] load gives what was saved, per run; an unknown run is empty', async () => {
      const s = await make();
      expect((await s.load('never')).size).toBe(0);
      await s.save('r1', 'a#0', { n: 1, when: new Date(5) });
      await s.save('r1', 'b#1', [1, 2]);
      await s.save('r2', 'a#0', 'other run');
      const r1 = await s.load('r1');
      expect([...r1.keys()].sort()).toEqual(['a#0', 'b#1']);
      expect(r1.get('a#0')).toEqual({ n: 1, when: new Date(5) });
      expect((await s.load('r2')).get('a#0')).toBe('other run');
    });

    it('[STATE-2] save replaces; delete forgets the run', async () => {
      const s = await make();
      await s.save('r3', 'a#0', 1);
      await s.save('r3', 'a#0', 2);
      expect((await s.load('r3')).get('a#0')).toBe(2);
      await s.delete('r3');
      expect((await s.load('r3')).size).toBe(0);
    });

    it('[STATE-3] a run started again with its id does not run what it finished', async () => {
      const store = await make();
      const calls: string[] = [];
      let failC = true;
      const a = task((x: number) => (calls.push('a'), x + 1), { name: 'a' });
      const b = task((x: number) => (calls.push('b'), x * 10), { name: 'b' });
      const c = task(
        (x: number, y: number) => {
          calls.push('c');
          if (failC) throw new Error('c is down');
          return x + y;
        },
        { name: 'c' },
      );
      const flow = (): ReturnType<typeof c> => c(b(a(1)), a(5));
      const first = new Engine({ state: store });
      const error = await first.run(flow(), { runId: 'nightly' }).catch((e: unknown) => e);
      expect((error as { code: string }).code).toBe(ErrorCode.TASK_FAILED);
      expect(calls.sort()).toEqual(['a', 'a', 'b', 'c']);

      // another engine (another process, for Redis: another connection) resumes the run
      failC = false;
      calls.length = 0;
      const second = new Engine({ state: await again(store) });
      const events: EngineEvent[] = [];
      second.bus.on((e) => events.push(e));
      expect(await second.run(flow(), { runId: 'nightly' })).toBe(26);
      expect(calls).toEqual(['c']);
      const cached = events.filter(
        (e) => e.type === 'TaskExecutionFinished' && e.status === 'cached',
      );
      expect(cached.map((e) => (e as { nodeId: string }).nodeId).sort()).toEqual([
        'a#0',
        'a#2',
        'b#1',
      ]);
      const started = events.find((e) => e.type === 'RunStarted');
      expect(started?.runId).toBe('nightly');

      // finished: a third run with the id runs nothing; another id runs everything
      calls.length = 0;
      expect(await second.run(flow(), { runId: 'nightly' })).toBe(26);
      expect(calls).toEqual([]);
      expect(await second.run(flow(), { runId: 'nightly-2' })).toBe(26);
      expect(calls.sort()).toEqual(['a', 'a', 'b', 'c']);
    });
  });
}
