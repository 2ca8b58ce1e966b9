/**
 * The workflow `cascade demo` runs: fetch a number, take another from a flaky task (its first
 * attempt fails, the retry policy runs it again), add the two, format the sum. Every engine
 * event is printed, one a line, then the result.
 *
 *   npx tsx examples/demo.ts
 *
 * The module also exports the workflow and the event printer, which `cascade demo` uses.
 */
import { fileURLToPath } from 'node:url';
import { Engine, task, type EngineEvent, type LazyResult } from 'cascade';

/**
 * The demo's target: `format(add(fetchNumber(40), flaky(2)))`, the flaky task retried once.
 * With `fail`, the flaky task fails on every attempt, so the run fails.
 *
 * @example
 * ```ts
 * await new Engine().run(demoWorkflow()); // 'the answer is 42'
 * ```
 */
export function demoWorkflow(options: { fail?: boolean } = {}): LazyResult<string> {
  let calls = 0;
  const fetchNumber = task(
    async (n: number) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return n;
    },
    { name: 'fetchNumber' },
  );
  const flaky = task(
    (n: number) => {
      if (options.fail === true || ++calls === 1) throw new Error('flaky failure');
      return n;
    },
    { name: 'flaky' },
  );
  const add = task((a: number, b: number) => a + b, { name: 'add' });
  const format = task((x: number) => `the answer is ${x}`, { name: 'format' });
  return format(add(fetchNumber(40), flaky(2).withRetry({ maxAttempts: 2, delay: 5 })));
}

/**
 * One line about an engine event, for people.
 *
 * @example
 * ```ts
 * engine.bus.on((e) => console.log(describeEvent(e)));
 * ```
 */
export function describeEvent(e: EngineEvent): string {
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

// Started as a script (not imported by `cascade demo`): run the workflow and print.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const engine = new Engine();
  engine.bus.on((e) => console.log(describeEvent(e)));
  console.log(`result: ${await engine.run(demoWorkflow())}`);
}
