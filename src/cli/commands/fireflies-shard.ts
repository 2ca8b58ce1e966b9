/**
 * `cascade fireflies --shard I/N --broker URL`: this process runs shard I of N of a run that a
 * coordinator (`cascade fireflies --shards N --broker URL`) offers on the broker. The shard
 * takes the grid, the model and the seed from the coordinator; its own run options are not
 * used. It ends when the coordinator stops the run (exit 0), or goes away (exit 1).
 */
import { runMqttShard } from '../../observatory/index.js';
import { parseNumber } from '../parse.js';
import { UsageError } from '../usage-error.js';

/** `--shard I/N`: shard I (from 0) of N. */
export function parseShardSpec(text: string): { shard: number; shards: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null) throw new UsageError(`--shard must be I/N (shard I of N, from 0), got "${text}"`);
  const shards = parseNumber('--shard', m[2], { integer: true, min: 1 });
  const shard = Number(m[1]);
  if (shard >= shards) {
    throw new UsageError(`--shard ${text}: the shard index must be below ${shards} (from 0)`);
  }
  return { shard, shards };
}

/**
 * Run one shard until the coordinator ends the run; Ctrl+C ends it too.
 *
 * @example
 * ```ts
 * await executeFireflyShard('0/2', 'mqtt://127.0.0.1:1883');
 * ```
 */
export async function executeFireflyShard(spec: string, broker: string): Promise<void> {
  const { shard, shards } = parseShardSpec(spec);
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const r = await runMqttShard({
      url: broker,
      shard,
      shards,
      signal: ac.signal,
      onStatus: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(
      `shard ${shard}/${shards}: ${r.rounds} rounds, ${r.simTimeMs / 1000} simulated s, ` +
        `${r.flashes} flashes, ${r.borderIn} border flashes received\n`,
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
