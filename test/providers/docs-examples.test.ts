// docs/providers.md's examples run as written: each block marked
// `<!-- providers-example: NAME -->` is run with tsx, `cascade` and `cascade/providers`
// pointing at this checkout's src/, against a redis-server started here.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from './redis-server.js';

const root = path.join(import.meta.dirname, '..', '..');
let redis: RedisServer;
let dir = '';
let blocks = new Map<string, string>();

beforeAll(async () => {
  redis = await startRedisServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-docs-'));
  const doc = await readFile(path.join(root, 'docs', 'providers.md'), 'utf8');
  blocks = new Map(
    [...doc.matchAll(/<!-- providers-example: (\w+) -->\s*```ts\n([\s\S]*?)```/g)].map((m) => [
      m[1],
      m[2],
    ]),
  );
});
afterAll(async () => {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

async function runExample(name: string): Promise<string[]> {
  const code = blocks.get(name);
  expect(code, `docs/providers.md example "${name}"`).toBeDefined();
  const file = path.join(dir, `${name}.mts`);
  await writeFile(
    file,
    code!
      .replace(/from 'cascade\/providers'/g, `from '${root}/src/providers/index.ts'`)
      .replace(/from 'cascade'/g, `from '${root}/src/index.ts'`),
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, REDIS_URL: redis.url },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n');
}

describe('docs/providers.md examples', () => {
  it('the workflow of providers counts the words of the mail it rendered', async () => {
    expect(await runExample('providers')).toEqual(['4']);
  });

  it('wait takes a simulated day in no wall time', async () => {
    expect(await runExample('wait')).toEqual(['a day later true']);
  });

  it('the file and Redis caches are shared by two engines', async () => {
    expect(await runExample('cache')).toEqual(['disk 144', 'redis 144', 'calls 2']);
  });

  it('a failed run resumes by its id', async () => {
    expect(await runExample('resume')).toEqual(['1,2,3', 'extract sort report report']);
  });
});
