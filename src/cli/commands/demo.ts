/**
 * `cascade demo`: runs the demo workflow of examples/demo.ts (fetch two numbers, one flaky,
 * add them, format) and prints every engine event and the result. A smoke test of the engine
 * from the command line. The workflow is the example's, built into `dist/examples/` with the
 * package; this file parses the options and prints.
 */
import type { Command } from 'commander';
import type { EngineEvent, LazyResult } from '../../index.js';
import { Engine } from '../../runtime/index.js';
import { UsageError } from '../usage-error.js';
import { errorReplacer } from '../error-json.js';

/** What the CLI uses of examples/demo.ts. */
interface DemoExample {
  demoWorkflow(options: { fail?: boolean }): LazyResult<string>;
  describeEvent(e: EngineEvent): string;
}

/** The example as built next to the CLI: `dist/examples/demo.js`. */
const EXAMPLE = new URL('../../examples/demo.js', import.meta.url).href;

/** Register `cascade demo`. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run the demo workflow (examples/demo.ts) and print its events and result')
    .option('--json', 'print events as JSON lines')
    .option('--fail', 'make the flaky task fail on every attempt')
    .action(async (opts: { json?: boolean; fail?: boolean }) => {
      if (opts.json !== undefined && typeof opts.json !== 'boolean') {
        throw new UsageError('--json takes no value');
      }
      const example = (await import(EXAMPLE)) as DemoExample;
      const engine = new Engine();
      engine.bus.on((e) =>
        process.stdout.write(
          `${opts.json ? JSON.stringify(e, errorReplacer) : example.describeEvent(e)}\n`,
        ),
      );
      const result = await engine.run(example.demoWorkflow({ fail: opts.fail === true }));
      process.stdout.write(opts.json ? `${JSON.stringify({ result })}\n` : `result: ${result}\n`);
    });
}
