/**
 * Cache benchmark: the cost of a cache hit in memory, in a cache directory and in Redis. Two
 * views: a whole run (a graph of N cached leaves joined by one, built and run, every leaf a
 * hit, per leaf; the leaves look up concurrently) and one backend `get` after another (per
 * get, sequential: the latency of one hit). Prints
 * parameters, machine and a table of medians; `--json` prints JSON. Never fails on time.
 *
 *   npx tsx bench/cache.ts [--reps 7] [--entries 1000] [--gets 2000] [--redis URL] [--json]
 *
 * Without `--redis` it starts a redis-server (Debian's, /usr/bin/redis-server) on a free
 * 127.0.0.1 port with no persistence, and stops it at the end. `--help` lists the options.
 */
import { availableParallelism } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { task, type LazyResult } from '../src/spec/index.js';
import { Engine, MemoryCache, MISS, type CacheBackend } from '../src/runtime/index.js';
import { contentKey } from '../src/runtime/cache-key.js';
import { FileCache, RedisCache } from '../src/providers/index.js';
import { medianOf } from '../src/observatory/metrics/index.js';
import { startRedisServer, type RedisServer } from '../test/providers/redis-server.js';
import { numberOption, parseBenchArgs, usageError, type BenchUsage } from './args.js';

const usage: BenchUsage = {
  script: 'bench/cache.ts',
  about:
    'The cost of a cache hit in memory, file and Redis: per leaf of a run whose N cached\n' +
    'leaves all hit, and per sequential backend get. Starts its own redis-server unless\n' +
    '--redis is given. Prints the parameters, the machine and a table of medians. Never\n' +
    'fails on time.',
  options: [
    ['--reps <n>', 'timed runs per case after a warm-up, the median reported (default 7)'],
    ['--entries <n>', 'cached leaves of the run (default 1000)'],
    ['--gets <n>', 'sequential gets per timed rep (default 2000)'],
    ['--redis <url>', 'use this Redis (default: start redis-server on a free port)'],
    ['--json', 'print the result as JSON'],
  ],
};

const values = parseBenchArgs(usage, {
  options: {
    reps: { type: 'string', default: '7' },
    entries: { type: 'string', default: '1000' },
    gets: { type: 'string', default: '2000' },
    redis: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const reps = numberOption(usage, '--reps', values.reps, { integer: true, min: 1 });
const entries = numberOption(usage, '--entries', values.entries, { integer: true, min: 1 });
const gets = numberOption(usage, '--gets', values.gets, { integer: true, min: 1 });
const json = values.json;
if (values.redis !== undefined && !/^rediss?:\/\/./.test(values.redis)) {
  usageError(usage, `--redis must be a redis:// URL, got "${values.redis}"`);
}

async function timeIt(fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm-up (and, for a run, the run that fills the cache)
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

interface Row {
  case: string;
  unit: string;
  median: number;
  min: number;
  max: number;
}
const rows: Row[] = [];
function perUnit(name: string, ms: number[], n: number, unit = 'µs/hit'): void {
  const us = ms.map((t) => (t * 1000) / n);
  rows.push({
    case: name,
    unit,
    median: medianOf(us),
    min: Math.min(...us),
    max: Math.max(...us),
  });
}

let server: RedisServer | null = null;
const redisUrl = values.redis ?? (server = await startRedisServer()).url;
const dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-bench-cache-'));
const redis = new RedisCache({ url: redisUrl, prefix: `bench:${process.pid}:` });
const backends: Array<[string, CacheBackend]> = [
  ['memory', new MemoryCache()],
  ['file', new FileCache({ dir })],
  ['redis', redis],
];

try {
  const leaf = task((x: { i: number; tag: string }) => ({ i: x.i, tag: x.tag, sq: x.i * x.i }), {
    name: 'leaf',
  });
  const join = task((xs: unknown[]) => xs.length, { name: 'join' });
  const wide = (policy: Parameters<LazyResult<unknown>['withCache']>[0] | null) => {
    const leaves: LazyResult<unknown>[] = [];
    for (let i = 0; i < entries; i++) {
      const l = leaf({ i, tag: 'bench' });
      leaves.push(policy === null ? l : l.withCache(policy));
    }
    return join(leaves);
  };

  const plain = new Engine();
  perUnit(
    `run, ${entries} leaves, no cache (baseline)`,
    await timeIt(() => plain.run(wide(null))),
    entries,
    'µs/task',
  );
  const memEngine = new Engine();
  perUnit(
    `run, ${entries} leaves, withCache('memory') hits`,
    await timeIt(() => memEngine.run(wide('memory'))),
    entries,
  );
  for (const [name, backend] of backends) {
    const engine = new Engine({ caches: { [name]: backend } });
    perUnit(
      `run, ${entries} leaves, ${name} backend hits`,
      await timeIt(() => engine.run(wide({ backend: name }))),
      entries,
    );
  }

  const key = contentKey(leaf.def, [{ i: 1, tag: 'bench' }], '');
  for (const [name, backend] of backends) {
    await backend.set(key, { i: 1, tag: 'bench', sq: 1 }, Infinity);
    perUnit(
      `get, sequential, ${name}`,
      await timeIt(async () => {
        for (let g = 0; g < gets; g++) {
          if ((await backend.get(key)) === MISS) throw new Error(`${name}: unexpected miss`);
        }
      }),
      gets,
    );
  }
  perUnit(
    'content key (sha256 of name + args)',
    await timeIt(() => {
      for (let g = 0; g < gets; g++) contentKey(leaf.def, [{ i: g, tag: 'bench' }], '');
      return Promise.resolve();
    }),
    gets,
    'µs/key',
  );
} finally {
  await redis.clear();
  await redis.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
}

const machine = { cores: availableParallelism(), node: process.version };
const params = { reps, entries, gets, redis: values.redis ?? 'started redis-server' };
if (json) {
  process.stdout.write(
    `${JSON.stringify({ benchmark: 'cache', machine, params, rows }, null, 2)}\n`,
  );
} else {
  process.stdout.write(
    `cache benchmark — ${machine.cores} cores, Node ${machine.node}; reps=${reps} (median), entries=${entries}, gets=${gets}, redis=${params.redis}\n\n`,
  );
  const fmt = (x: number): string =>
    x >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2);
  const w = Math.max(...rows.map((r) => r.case.length));
  process.stdout.write(
    `${'case'.padEnd(w)}  ${'median'.padStart(10)}  ${'min'.padStart(10)}  ${'max'.padStart(10)}  unit\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.case.padEnd(w)}  ${fmt(r.median).padStart(10)}  ${fmt(r.min).padStart(10)}  ${fmt(r.max).padStart(10)}  ${r.unit}\n`,
    );
  }
}
