/**
 * `cascade diag`: the isolation tools. Each subcommand runs one part of the observatory alone
 * and reports what it measured. Subcommands are listed in `diagSubcommands`; adding one is a
 * function `(diag: Command) => void` and one line in that list.
 *
 * - `cascade diag renderer`: the terminal view fed by synthetic sources.
 * - `cascade diag headless`: the full firefly experiment without rendering (diag-headless.ts).
 */
import type { Command } from 'commander';
import { MetricsAggregator } from '../../observatory/index.js';
import {
  runRendererDiag,
  validateSyntheticOptions,
  type RendererDiagResult,
} from '../../observatory/index.js';
import { parseGrid, parseNumber } from '../parse.js';
import { registerHeadless } from './diag-headless.js';
import { checkWritableFile } from '../writable-path.js';
import { plural } from '../plural.js';

/** The subcommands of `cascade diag`. */
const diagSubcommands: Array<(diag: Command) => void> = [registerRenderer, registerHeadless];

/**
 * Add `cascade diag` and its subcommands to the program.
 *
 * @example
 * ```ts
 * register(new Command('cascade')); // cascade diag renderer --sources 5000 --rate 2
 * ```
 */
export function register(program: Command): void {
  const diag = program
    .command('diag')
    .description('diagnostics: run one part of the observatory alone and measure it');
  for (const add of diagSubcommands) add(diag);
}

interface RendererFlags {
  sources: string;
  rate: string;
  grid: string;
  duration: string;
  fps: string;
  log?: string;
  json?: boolean;
}

function registerRenderer(diag: Command): void {
  diag
    .command('renderer')
    .description(
      'only the terminal renderer, fed by S synthetic sources flashing U times/s each; ' +
        'logs FPS and frame flush time each second, prints a summary',
    )
    .option('--sources <n>', 'number of synthetic sources', '5000')
    .option('--rate <u>', 'flashes per second per source', '2')
    .option('--grid <WxH>', 'grid size', '50x50')
    .option('--duration <seconds>', 'how long to run (Ctrl+C ends it earlier)', '30')
    .option('--fps <n>', 'target frames per second', '30')
    .option(
      '--log <file>',
      'write metrics as JSONL, one line per second (simulated on the virtual clock, wall on the real)',
    )
    .option('--json', 'print the summary as JSON')
    .action(async (flags: RendererFlags) => {
      const sources = parseNumber('--sources', flags.sources, { integer: true, min: 1 });
      const rate = parseNumber('--rate', flags.rate, { min: 0, exclusive: true });
      const { width, height } = parseGrid(flags.grid);
      const seconds = parseNumber('--duration', flags.duration, { min: 0, exclusive: true });
      const fps = parseNumber('--fps', flags.fps, { min: 0, exclusive: true, max: 1000 });
      validateSyntheticOptions({ sources, rate, width, height });
      if (flags.log !== undefined) checkWritableFile('--log', flags.log);

      const metrics =
        flags.log === undefined ? undefined : new MetricsAggregator({ path: flags.log });
      const ac = new AbortController();
      // First Ctrl+C: stop cleanly. A second one: exit now (the 'exit' hooks of the terminal
      // guard and the metrics log still restore the terminal and flush the log).
      const stop = (): void => {
        if (ac.signal.aborted) process.exit(130);
        ac.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      const stdout = process.stdout;
      const isTTY = stdout.isTTY === true;
      let result: RendererDiagResult;
      try {
        result = await runRendererDiag({
          sources,
          rate,
          width,
          height,
          durationMs: seconds * 1000,
          fps,
          // With --json on a pipe, progress lines go to stderr so stdout is only the JSON.
          out: flags.json === true && !isTTY ? process.stderr : stdout,
          isTTY,
          columns: stdout.columns,
          rows: stdout.rows,
          metrics,
          signal: ac.signal,
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await metrics?.close();
      }
      stdout.write(flags.json === true ? `${JSON.stringify(result)}\n` : formatSummary(result));
      if (result.interrupted) process.exitCode = 130;
    });
}

function formatSummary(r: RendererDiagResult): string {
  const ms = (v: number): string => (Number.isNaN(v) ? '-' : `${v.toFixed(2)} ms`);
  return (
    `cascade diag renderer: ${plural(r.sources, 'source')} x ${r.rate}/s on ${r.grid}, ` +
    `${(r.wallMs / 1000).toFixed(1)} s${r.interrupted ? ' (interrupted)' : ''}\n` +
    `  frames ${r.frames}  fps ${r.fps.toFixed(1)} (target ${r.targetFps})  flashes ${r.flashes}\n` +
    `  flush p99 ${ms(r.flushP99Ms)}  render jitter p99 ${ms(r.renderJitterP99Ms)}` +
    `  event-loop lag p99 ${ms(r.eventLoopLagP99Ms)}\n`
  );
}
