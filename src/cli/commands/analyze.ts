/**
 * `cascade analyze RUN.jsonl [--json]`: a metrics log's summary per metric (lines, samples,
 * min, mean, p50, p99, max) and the correlations between frame rate, flush time, render
 * jitter, event-loop lag, R and flash rate, as a table or JSON.
 */
import type { Command } from 'commander';
import { analyzeMetricsLog, formatLogAnalysis } from '../../observatory/index.js';
import { readRuns } from './plot.js';

/**
 * Add `cascade analyze` to the program.
 *
 * @example
 * ```ts
 * register(program); // cascade analyze run.jsonl --json
 * ```
 */
export function register(program: Command): void {
  program
    .command('analyze')
    .description(
      'summarise a metrics log per metric and correlate fps, flush time, jitter, lag, R and flash rate',
    )
    .argument('<logs...>', 'JSONL metrics logs (each analysed on its own)')
    .option('--json', 'print the analysis as JSON (an array with --json and several logs)')
    .action((logs: string[], flags: { json?: boolean }) => {
      const analyses = readRuns(logs).map(analyzeMetricsLog);
      if (flags.json === true) {
        const value = analyses.length === 1 ? analyses[0] : analyses;
        process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      } else process.stdout.write(analyses.map(formatLogAnalysis).join('\n'));
    });
}
