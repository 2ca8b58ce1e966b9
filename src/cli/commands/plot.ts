/**
 * `cascade plot RUN.jsonl [MORE.jsonl ...] [--out FILE|-] [--metric NAME ...]`: charts of
 * metrics logs. The format follows `--out`: `.html` a self-contained report, `.svg` a picture,
 * `-` (the default) Braille charts on stdout, coloured when stdout is a terminal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { parseMetricsLog, plotRuns } from '../../observatory/index.js';
import type { MetricsRun, PlotFormat } from '../../observatory/index.js';
import { UsageError } from '../usage-error.js';
import { checkWritableFile } from '../writable-path.js';

/**
 * Read the logs named on the command line; a file that cannot be read is a usage error, one
 * whose lines are not metrics lines an InvalidMetricsLogError. Runs with the same file name
 * are told apart by their path.
 *
 * @example
 * ```ts
 * const runs = readRuns(['a.jsonl', 'b.jsonl']);
 * ```
 */
export function readRuns(files: readonly string[]): MetricsRun[] {
  const names = files.map((f) => basename(f));
  return files.map((file, i) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    const unique = names.indexOf(names[i]) === names.lastIndexOf(names[i]);
    const run = parseMetricsLog(text, unique ? names[i] : file);
    if (run.skipped.length > 0) {
      process.stderr.write(
        `cascade: ${file}: skipped ${run.skipped.length} line(s) that are not metrics lines (first: line ${run.skipped[0]})\n`,
      );
    }
    return run;
  });
}

/** `--metric a,b --metric c` -> ['a', 'b', 'c']. */
function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  ];
}

/** The format `--out` asks for. */
export function plotFormatOf(out: string): PlotFormat {
  if (out === '-') return 'text';
  if (/\.html?$/i.test(out)) return 'html';
  if (/\.svg$/i.test(out)) return 'svg';
  throw new UsageError(`--out must end in .html or .svg, or be - for the terminal, got "${out}"`);
}

/**
 * Add `cascade plot` to the program.
 *
 * @example
 * ```ts
 * register(program); // cascade plot run.jsonl --out report.html
 * ```
 */
export function register(program: Command): void {
  program
    .command('plot')
    .description(
      'chart metrics logs (--log of fireflies, diag, profile): several runs overlay on one time ' +
        'axis, min..max bands where the log has them',
    )
    .argument('<logs...>', 'JSONL metrics logs')
    .option('--out <file>', 'report.html (self-contained), plot.svg, or - for the terminal', '-')
    .option(
      '--metric <names>',
      'metric(s) to chart, comma-separated or repeated (default: all)',
      collect,
    )
    .action((logs: string[], flags: { out: string; metric?: string[] }) => {
      const format = plotFormatOf(flags.out);
      if (format !== 'text') checkWritableFile('--out', flags.out);
      const runs = readRuns(logs);
      const stdout = process.stdout;
      const text = plotRuns(runs, format, {
        ...(flags.metric !== undefined && { metrics: flags.metric }),
        columns: Math.min(stdout.columns ?? 80, 160),
        color: stdout.isTTY === true,
      });
      if (format === 'text') stdout.write(text);
      else {
        writeFileSync(flags.out, text);
        stdout.write(`wrote ${flags.out}\n`);
      }
    });
}
