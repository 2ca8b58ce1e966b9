/**
 * `cascade graph FILE [--format mermaid|dot] [--export NAME] [--direction TB|LR]`: the graph of
 * the target a module exports, as Mermaid or DOT text. Runs nothing. [VIS-1]
 */
import { Option, type Command } from 'commander';
import { visualize, type GraphFormat } from '../../graph/index.js';
import { loadTarget } from '../load-target.js';

/**
 * Add `cascade graph` to the program.
 *
 * @example
 * ```ts
 * register(program); // cascade graph flow.ts --format dot | dot -Tsvg > flow.svg
 * ```
 */
export function register(program: Command): void {
  program
    .command('graph')
    .description('print the graph of a workflow module as Mermaid or DOT text (runs nothing)')
    .argument('<file>', 'a .js/.mjs module, or .ts with tsx installed, that exports a target')
    .addOption(
      new Option('--format <format>', 'text format').choices(['mermaid', 'dot']).default('mermaid'),
    )
    .addOption(
      new Option('--direction <dir>', 'layout direction').choices(['TB', 'LR']).default('TB'),
    )
    .option('--export <name>', 'the export to draw (default: default, else the only target)')
    .action(
      async (
        file: string,
        flags: { format: GraphFormat; direction: 'TB' | 'LR'; export?: string },
      ) => {
        const target = await loadTarget(file, flags.export);
        process.stdout.write(
          visualize(target, { format: flags.format, direction: flags.direction }),
        );
      },
    );
}
