/**
 * `cascade bench`: the benchmarks, runnable from the installed command. Each subcommand
 * parses its options, calls the benchmark logic in `observatory/diagnostics/` and prints a
 * table (or JSON). Benchmarks never pass or fail on time. Adding one is a function
 * `(bench: Command) => void` and one line in `benchSubcommands`.
 *
 * - `cascade bench channels`: LocalBus, DirectChannel, EventEmitter and mqemitter on the
 *   reference fan-out scenario (issue 3).
 * - `cascade bench mqtt`: Mosquitto and Aedes, batching, constraint apply, rate limits and
 *   two-process shards (bench-mqtt.ts).
 */
import type { Command } from 'commander';
import {
  SCENARIOS,
  formatChannelBench,
  runChannelBench,
  type ScenarioName,
} from '../../observatory/index.js';
import { UsageError } from '../usage-error.js';
import { parseNumber } from '../parse.js';
import { registerBenchMqtt } from './bench-mqtt.js';

/** The subcommands of `cascade bench`. */
const benchSubcommands: Array<(bench: Command) => void> = [registerChannels, registerBenchMqtt];

/**
 * Add `cascade bench` and its subcommands to the program.
 *
 * @example
 * ```ts
 * register(new Command('cascade')); // cascade bench channels --producers 100 --json
 * ```
 */
export function register(program: Command): void {
  const bench = program
    .command('bench')
    .description('benchmarks: print parameters, machine and a table of measurements');
  for (const add of benchSubcommands) add(bench);
}

interface ChannelFlags {
  producers: string;
  messages: string;
  fanout: string;
  repetitions: string;
  only?: string;
  json?: boolean;
}

function registerChannels(bench: Command): void {
  bench
    .command('channels')
    .description(
      'P producers x M messages, each reaching F ring neighbours, through LocalBus (exact and ' +
        'wildcard), DirectChannel, EventEmitter and mqemitter: msgs/s and send->handler latency',
    )
    .option('--producers <n>', 'number of producers (agents on the ring)', '100')
    .option('--messages <n>', 'messages per producer', '5000')
    .option('--fanout <n>', 'neighbours reached by each message', '8')
    .option('--repetitions <n>', 'runs per scenario (the median is reported)', '5')
    .option('--only <list>', `comma-separated scenarios (${SCENARIOS.join(', ')})`)
    .option('--json', 'print the result as JSON')
    .action(async (flags: ChannelFlags) => {
      const scenarios = flags.only?.split(',').map((s) => s.trim()) as ScenarioName[] | undefined;
      for (const s of scenarios ?? []) {
        if (!SCENARIOS.includes(s)) {
          throw new UsageError(`--only: unknown scenario "${s}" (one of ${SCENARIOS.join(', ')})`);
        }
      }
      const result = await runChannelBench(
        {
          producers: parseCount('--producers', flags.producers),
          messages: parseCount('--messages', flags.messages),
          fanout: parseCount('--fanout', flags.fanout),
          repetitions: parseCount('--repetitions', flags.repetitions),
          scenarios,
        },
        (s, rep, rate) => {
          process.stderr.write(`  ${s} run ${rep + 1}: ${(rate / 1e6).toFixed(2)} M msgs/s\n`);
        },
      );
      process.stdout.write(
        flags.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatChannelBench(result),
      );
    });
}

function parseCount(option: string, text: string): number {
  return parseNumber(option, text, { integer: true, min: 1 });
}
