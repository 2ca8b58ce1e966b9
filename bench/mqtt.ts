/**
 * MQTT benchmark: `npx tsx bench/mqtt.ts [options]` (`--help` lists them); the same as
 * `cascade bench mqtt`. Starts Mosquitto (a child process) and Aedes (embedded) on loopback
 * and measures, in one run: messages/s and latency p50/p99 through both at QoS 0 and 1, a
 * batched mode through Mosquitto, constraint apply latency in process and through Mosquitto,
 * rate-limit accuracy, and a firefly run on two shard processes against one process. The logic
 * is bench/mqtt-bench.ts.
 */
import { fileURLToPath } from 'node:url';
import { numberOption, parseBenchArgs, type BenchUsage } from './args.js';
import { DEFAULT_MQTT_BENCH, formatMqttBench, runMqttBench } from './mqtt-bench.js';

const usage: BenchUsage = {
  script: 'bench/mqtt.ts',
  about:
    'Messages/s and latency through Mosquitto and Aedes (QoS 0 and 1), batched publishes,\n' +
    'constraint apply latency, rate-limit accuracy and two-process shards, all on loopback.\n' +
    'Prints the parameters, the machine and the tables.',
  options: [
    ['--messages <n>', 'messages flooded per broker and QoS (default 20000)'],
    ['--latency-samples <n>', 'one-at-a-time round trips per broker and QoS (default 500)'],
    ['--batch <n>', 'messages per publish in the batched mode (default 100)'],
    ['--batch-publishes <n>', 'publishes in the batched mode (default 2000)'],
    ['--apply-samples <n>', 'pause/resume cycles for the apply latency (default 200)'],
    ['--rate-seconds <n>', 'seconds per rate-limit target (default 2)'],
    ['--shard-grid <n>', 'shards: an n x n grid (default 40)'],
    ['--shard-seconds <n>', 'shards: simulated seconds (default 10)'],
    ['--no-shards', 'skip the two-process shard run'],
    ['--json', 'print the result as JSON'],
  ],
};

const values = parseBenchArgs(usage, {
  options: {
    messages: { type: 'string' },
    'latency-samples': { type: 'string' },
    batch: { type: 'string' },
    'batch-publishes': { type: 'string' },
    'apply-samples': { type: 'string' },
    'rate-seconds': { type: 'string' },
    'shard-grid': { type: 'string' },
    'shard-seconds': { type: 'string' },
    'no-shards': { type: 'boolean' },
    json: { type: 'boolean' },
  },
});
const int = (option: string, text: string | undefined, dflt: number): number =>
  text === undefined ? dflt : numberOption(usage, option, text, { integer: true, min: 1 });
const d = DEFAULT_MQTT_BENCH;
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const result = await runMqttBench(
  {
    ...d,
    messages: int('--messages', values.messages, d.messages),
    latencySamples: int('--latency-samples', values['latency-samples'], d.latencySamples),
    batch: int('--batch', values.batch, d.batch),
    batchPublishes: int('--batch-publishes', values['batch-publishes'], d.batchPublishes),
    applySamples: int('--apply-samples', values['apply-samples'], d.applySamples),
    rateSeconds: int('--rate-seconds', values['rate-seconds'], d.rateSeconds),
    shardGrid: int('--shard-grid', values['shard-grid'], d.shardGrid),
    shardSeconds: int('--shard-seconds', values['shard-seconds'], d.shardSeconds),
    ...(values['no-shards'] !== true && {
      shardCommand: [process.execPath, '--import', 'tsx', main],
    }),
  },
  (line) => process.stderr.write(`  ${line}\n`),
);
process.stdout.write(
  values.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatMqttBench(result),
);
