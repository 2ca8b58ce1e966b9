// readFile/writeFile on real files in a temporary directory. [FILE-1, FILE-2]
import { mkdtemp, readdir, readFile as fsReadFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, task } from '../../src/index.js';
import { ErrorCode } from '../../src/errors.js';
import { readFile, writeFile, writeFileAtomic } from '../../src/providers/index.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file providers', () => {
  it('[FILE-1] writeFile creates directories, writes atomically and resolves with the path', async () => {
    const target = path.join(dir, 'a', 'b', 'out.txt');
    const render = task((n: number) => `n = ${n}\n`, { name: 'render' });
    const written = await new Engine().run(writeFile(target, render(42)));
    expect(written).toBe(target);
    expect(await fsReadFile(target, 'utf8')).toBe('n = 42\n');
    // no temporary file is left beside it
    expect(await readdir(path.dirname(target))).toEqual(['out.txt']);
  });

  it('readFile reads what writeFile wrote: text, JSON and bytes', async () => {
    const engine = new Engine();
    const json = path.join(dir, 'config.json');
    const bin = path.join(dir, 'data.bin');
    await engine.run(writeFile(json, JSON.stringify({ port: 8080 })));
    await engine.run(writeFile(bin, new Uint8Array([1, 2, 3])));
    expect(await engine.run(readFile(json))).toBe('{"port":8080}');
    const config = await engine.run(readFile<{ port: number }>(json, { as: 'json' }));
    expect(config.port).toBe(8080);
    expect([...(await engine.run(readFile(bin, { as: 'bytes' })))]).toEqual([1, 2, 3]);
    // chained: the path a writeFile resolves with feeds a readFile
    expect(await engine.run(readFile(writeFile(path.join(dir, 'c.txt'), 'chained')))).toBe(
      'chained',
    );
  });

  it('[FILE-1] a reader racing many atomic writers never sees a torn file', async () => {
    const target = path.join(dir, 'race.txt');
    const contents = ['a', 'b', 'c', 'd'].map((c) => c.repeat(256 * 1024));
    await writeFileAtomic(target, contents[0]);
    let torn = 0;
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const text = await fsReadFile(target, 'utf8');
        reads++;
        if (!contents.includes(text)) torn++;
      }
    })();
    for (let i = 0; i < 40; i++) await writeFileAtomic(target, contents[i % contents.length]);
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
  });

  it('a missing file fails the task with ENOENT as its cause', async () => {
    const error = await new Engine()
      .run(readFile(path.join(dir, 'nope.txt')))
      .catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.TASK_FAILED);
    expect((error as { cause: { code: string } }).cause.code).toBe('ENOENT');
  });

  it('[FILE-2] a cancelled run stops the read with CancelledError', async () => {
    const ac = new AbortController();
    ac.abort();
    const error = await new Engine()
      .run(readFile(path.join(dir, 'config.json')), { signal: ac.signal })
      .catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe(ErrorCode.CANCELLED);
  });

  it('rejects bad arguments by name', async () => {
    expect(() => readFile('')).toThrow(/readFile path/);
    const error = await new Engine()
      .run(writeFile(path.join(dir, 'x'), { not: 'bytes' } as unknown as string))
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/writeFile data/);
  });
});
