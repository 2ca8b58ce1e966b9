/**
 * Channel benchmark: `npx tsx bench/channels.ts [--producers N] [--messages N] [--fanout N]
 * [--repetitions N] [--only LIST] [--json]` (`--help` lists them), also `cascade bench
 * channels` in a checkout. The logic lives in bench/channel-bench.ts; this file parses argv
 * and prints.
 */
import { numberOption, parseBenchArgs, usageError, type BenchUsage } from './args.js';
import {
  SCENARIOS,
  formatChannelBench,
  resolveChannelBenchOptions,
  runChannelBench,
  type ChannelBenchOptions,
  type ScenarioName,
} from './channel-bench.js';
import { InvalidArgumentError } from '../src/errors.js';

const usage: BenchUsage = {
  script: 'bench/channels.ts',
  about:
    'P producers x M messages, each reaching F ring neighbours, through LocalBus (exact and\n' +
    'wildcard), DirectChannel, EventEmitter and mqemitter: msgs/s and send->handler latency.\n' +
    'Prints the parameters, the machine and a table (as `cascade bench channels` does).',
  options: [
    ['--producers <n>', 'producers, agents on the ring (default 100)'],
    ['--messages <n>', 'messages per producer (default 5000)'],
    ['--fanout <n>', 'neighbours reached by each message (default 8)'],
    ['--repetitions <n>', 'runs per scenario, the median is reported (default 5)'],
    ['--only <list>', `comma-separated scenarios (${SCENARIOS.join(', ')})`],
    ['--json', 'print the result as JSON'],
  ],
};

const values = parseBenchArgs(usage, {
  options: {
    producers: { type: 'string' },
    messages: { type: 'string' },
    fanout: { type: 'string' },
    repetitions: { type: 'string' },
    only: { type: 'string' },
    json: { type: 'boolean' },
  },
});
const count = (option: string, text: string | undefined): number | undefined =>
  text === undefined ? undefined : numberOption(usage, option, text, { integer: true, min: 1 });

const scenarios = values.only?.split(',').map((s) => s.trim());
for (const s of scenarios ?? []) {
  if (!(SCENARIOS as readonly string[]).includes(s)) {
    usageError(usage, `--only: unknown scenario "${s}" (one of ${SCENARIOS.join(', ')})`);
  }
}
const options: ChannelBenchOptions = {
  producers: count('--producers', values.producers),
  messages: count('--messages', values.messages),
  fanout: count('--fanout', values.fanout),
  repetitions: count('--repetitions', values.repetitions),
  scenarios: scenarios as ScenarioName[] | undefined,
};
try {
  resolveChannelBenchOptions(options);
} catch (error) {
  if (error instanceof InvalidArgumentError) usageError(usage, error.message);
  throw error;
}
const result = await runChannelBench(options, (s, rep, rate) => {
  if (!values.json) process.stderr.write(`  ${s} run ${rep + 1}: ${(rate / 1e6).toFixed(2)} M/s\n`);
});
process.stdout.write(
  values.json ? JSON.stringify(result, null, 2) + '\n' : formatChannelBench(result),
);
