/**
 * `cascade bench mqtt`: the MQTT benchmark (observatory/diagnostics/mqtt-bench.ts) from the
 * installed command; `npx tsx bench/mqtt.ts` runs the same from a checkout.
 */
import type { Command } from 'commander';
import {
  DEFAULT_MQTT_BENCH,
  formatMqttBench,
  runMqttBench,
} from '../../observatory/diagnostics/mqtt-bench.js';
import { parseNumber } from '../parse.js';

interface MqttBenchFlags {
  messages: string;
  latencySamples: string;
  batch: string;
  batchPublishes: string;
  applySamples: string;
  rateSeconds: string;
  shardGrid: string;
  shardSeconds: string;
  shards: boolean;
  json?: boolean;
}

/**
 * Add `cascade bench mqtt` to `cascade bench`.
 *
 * @example
 * ```ts
 * registerBenchMqtt(program.command('bench')); // cascade bench mqtt --json
 * ```
 */
export function registerBenchMqtt(bench: Command): void {
  const d = DEFAULT_MQTT_BENCH;
  bench
    .command('mqtt')
    .description(
      'through Mosquitto (started here) and Aedes (embedded) on loopback: msgs/s and latency at ' +
        'QoS 0 and 1, batched publishes, constraint apply latency, rate-limit accuracy, and a ' +
        'firefly run on two shard processes against one',
    )
    .option('--messages <n>', 'messages flooded per broker and QoS', String(d.messages))
    .option('--latency-samples <n>', 'one-at-a-time round trips', String(d.latencySamples))
    .option('--batch <n>', 'messages per publish in the batched mode', String(d.batch))
    .option('--batch-publishes <n>', 'publishes in the batched mode', String(d.batchPublishes))
    .option(
      '--apply-samples <n>',
      'pause/resume cycles for the apply latency',
      String(d.applySamples),
    )
    .option('--rate-seconds <n>', 'seconds per rate-limit target', String(d.rateSeconds))
    .option('--shard-grid <n>', 'shards: an n x n grid', String(d.shardGrid))
    .option('--shard-seconds <n>', 'shards: simulated seconds', String(d.shardSeconds))
    .option('--no-shards', 'skip the two-process shard run')
    .option('--json', 'print the result as JSON')
    .action(async (flags: MqttBenchFlags) => {
      const int = (option: string, text: string): number =>
        parseNumber(option, text, { integer: true, min: 1 });
      const result = await runMqttBench(
        {
          ...d,
          messages: int('--messages', flags.messages),
          latencySamples: int('--latency-samples', flags.latencySamples),
          batch: int('--batch', flags.batch),
          batchPublishes: int('--batch-publishes', flags.batchPublishes),
          applySamples: int('--apply-samples', flags.applySamples),
          rateSeconds: int('--rate-seconds', flags.rateSeconds),
          shardGrid: int('--shard-grid', flags.shardGrid),
          shardSeconds: int('--shard-seconds', flags.shardSeconds),
          // shard processes: this same command
          ...(flags.shards && { shardCommand: [process.execPath, process.argv[1]] }),
        },
        (line) => process.stderr.write(`  ${line}\n`),
      );
      process.stdout.write(
        flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatMqttBench(result),
      );
    });
}
