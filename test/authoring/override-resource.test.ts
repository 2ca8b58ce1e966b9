/** overrideResource: a resource's factory replaced for one run or one engine. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { Engine, inject, overrideResource, resource, subflow, task } from '../../src/index.js';

interface Db {
  query(sql: string): string;
}

const setups: string[] = [];
const db = resource<Db>('db', () => {
  setups.push('real');
  return { query: (sql) => `real: ${sql}` };
});
const ask = task((d: Db) => d.query('select 1'), { name: 'ask' });

describe('overrideResource', () => {
  it('replaces a registered resource for one run only', async () => {
    const engine = new Engine({ resources: [db] });
    const fake = overrideResource(db, () => ({ query: (sql: string) => `fake: ${sql}` }));
    expect(await engine.run(ask(inject<Db>('db')), { overrides: [fake] })).toBe('fake: select 1');
    setups.length = 0;
    expect(await engine.run(ask(inject<Db>('db')))).toBe('real: select 1');
    expect(setups).toEqual(['real']);
  });

  it('replaces a definition injected directly, and works for every run of an engine', async () => {
    let teardowns = 0;
    const fake = overrideResource(db, () => ({
      value: { query: () => 'engine fake' },
      teardown: () => void teardowns++,
    }));
    const engine = new Engine({ overrides: [fake] });
    setups.length = 0;
    expect(await engine.run(ask(inject(db)))).toBe('engine fake');
    expect(await engine.run(ask(inject(db)), { vm: true })).toBe('engine fake');
    expect(setups).toEqual([]);
    expect(teardowns).toBe(2);
    // a run's override wins over the engine's
    const mine = overrideResource(db, () => ({ query: () => 'run fake' }));
    expect(await engine.run(ask(inject(db)), { overrides: [mine] })).toBe('run fake');
  });

  it('provides a name nobody registered, and keeps the scope unless told', async () => {
    const made: number[] = [];
    const counter = overrideResource<number>('counter', () => made.push(1), { scope: 'task' });
    const read = task((n: number) => n);
    const both = task((a: number, b: number) => [a, b]);
    const engine = new Engine();
    expect(
      await engine.run(both(read(inject('counter')), read(inject('counter'))), {
        overrides: [counter],
      }),
    ).toEqual([1, 2]);
    expect(
      overrideResource(
        resource('t', () => 1, { scope: 'task' }),
        () => 2,
      ).def.scope,
    ).toBe('task');
  });

  it('reaches the child run of a subflow', async () => {
    const inner = subflow('inner', () => ask(inject<Db>('db')))();
    const fake = overrideResource(db, () => ({ query: () => 'fake in child' }));
    const engine = new Engine({ resources: [db] });
    expect(await engine.run(inner, { overrides: [fake] })).toBe('fake in child');
  });

  it('is typed by the definition and refuses built-in names', () => {
    // @ts-expect-error the replacement must make a Db
    overrideResource(db, () => 42);
    expectTypeOf(overrideResource(db, () => ({ query: () => '' })).def.name).toBeString();
    expect(() => overrideResource('signal', () => 1)).toThrow(/built-in/);
  });
});
