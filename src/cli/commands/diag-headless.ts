/**
 * `cascade diag headless`: the full firefly experiment without any rendering. Prints, each
 * second, flashes/s against the nominal N/period and the event-loop lag, then the summary.
 */
import type { Command } from 'commander';
import { addFireflyOptions, executeFireflies, type FirefliesFlags } from './fireflies.js';

/**
 * Add `headless` to `cascade diag`.
 *
 * @example
 * ```ts
 * registerHeadless(diag); // cascade diag headless --grid 100x100 --duration 30
 * ```
 */
export function registerHeadless(diag: Command): void {
  addFireflyOptions(
    diag
      .command('headless')
      .description(
        'the full firefly experiment without rendering: flashes/s against N/period and ' +
          'event-loop lag each second, then a summary',
      ),
    // headless, so never until Ctrl+C by default
    { duration: '60' },
  ).action(async (flags: FirefliesFlags) => {
    await executeFireflies({ ...flags, visualize: false }, 'cascade diag headless');
  });
}
