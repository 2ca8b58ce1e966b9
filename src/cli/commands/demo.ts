/**
 * `cascade demo`: runs a tiny workflow (fetch two numbers, one flaky, add them, format) and
 * prints every engine event and the result. A smoke test of the engine from the command line.
 */
import type { Command } from 'commander';
import { task } from '../../spec/index.js';
import { Engine, EventBus, type EngineEvent } from '../../runtime/index.js';
import { UsageError } from '../usage-error.js';
import { errorReplacer } from '../error-json.js';

/** Register `cascade demo`. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run a small demo workflow and print its events and result')
    .option('--json', 'print events as JSON lines')
    .option('--fail', 'make the flaky task fail on every attempt')
    .action(async (opts: { json?: boolean; fail?: boolean }) => {
      if (opts.json !== undefined && typeof opts.json !== 'boolean') {
        throw new UsageError('--json takes no value');
      }
      const bus = new EventBus<EngineEvent>();
      bus.on((e) =>
        process.stdout.write(`${opts.json ? JSON.stringify(e, errorReplacer) : describe(e)}\n`),
      );
      let calls = 0;
      const fetchNumber = task(
        async (n: number) => {
          await new Promise((r) => setTimeout(r, 10));
          return n;
        },
        { name: 'fetchNumber' },
      );
      const flaky = task(
        (n: number) => {
          if (opts.fail === true || ++calls === 1) throw new Error('flaky failure');
          return n;
        },
        { name: 'flaky' },
      );
      const add = task((a: number, b: number) => a + b, { name: 'add' });
      const format = task((x: number) => `the answer is ${x}`, { name: 'format' });
      const target = format(add(fetchNumber(40), flaky(2).withRetry({ maxAttempts: 2, delay: 5 })));
      const result = await new Engine({ bus }).run(target);
      process.stdout.write(opts.json ? `${JSON.stringify({ result })}\n` : `result: ${result}\n`);
    });
}

function describe(e: EngineEvent): string {
  switch (e.type) {
    case 'RunStarted':
      return `run ${e.runId} started (target ${e.target})`;
    case 'TaskExecutionStarted':
      return `  ${e.nodeId} started (attempt ${e.attempt})`;
    case 'TaskExecutionFinished':
      return `  ${e.nodeId} ${e.status} in ${e.durationMs.toFixed(1)} ms${e.error === undefined ? '' : `: ${errorText(e.error)}`}`;
    case 'TaskSkipped':
      return `  ${e.nodeId} skipped: ${e.reason}`;
    case 'TaskRetrying':
      return `  ${e.nodeId} retrying after attempt ${e.attempt} in ${e.delayMs} ms`;
    case 'TaskBlocked':
      return `  ${e.nodeId} blocked: ${e.reason}`;
    case 'ResourceAcquired':
      return `  ${e.nodeId} acquired ${JSON.stringify(e.resources)}`;
    case 'ResourceReleased':
      return `  ${e.nodeId} released ${JSON.stringify(e.resources)}`;
    case 'RunFinished':
      return `run ${e.runId} ${e.status} in ${e.durationMs.toFixed(1)} ms`;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}
