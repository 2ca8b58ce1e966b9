/**
 * Channel benchmark: `npx tsx bench/channels.ts [--producers N] [--messages N] [--fanout N]
 * [--repetitions N] [--json]`. The logic lives in src/observatory/diagnostics/channel-bench.ts
 * (shared with `cascade bench channels`); this file parses argv and prints.
 */
import { parseArgs } from 'node:util';
import {
  formatChannelBench,
  runChannelBench,
} from '../src/observatory/diagnostics/channel-bench.js';

const { values } = parseArgs({
  options: {
    producers: { type: 'string' },
    messages: { type: 'string' },
    fanout: { type: 'string' },
    repetitions: { type: 'string' },
    json: { type: 'boolean' },
  },
});
const num = (s: string | undefined): number | undefined =>
  s === undefined ? undefined : Number(s);

const result = await runChannelBench(
  {
    producers: num(values.producers),
    messages: num(values.messages),
    fanout: num(values.fanout),
    repetitions: num(values.repetitions),
  },
  (s, rep, rate) => {
    if (!values.json)
      process.stderr.write(`  ${s} run ${rep + 1}: ${(rate / 1e6).toFixed(2)} M/s\n`);
  },
);
process.stdout.write(
  values.json ? JSON.stringify(result, null, 2) + '\n' : formatChannelBench(result),
);
