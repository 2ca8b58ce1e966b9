/**
 * The `wait` provider: a task that waits a while on the engine's clock and then resolves with a
 * value. On an engine given a VirtualClock (`new Engine({ clock: scheduler.clock })`) the wait
 * is simulated time: a day's wait takes no wall time when the scheduler runs the clock on.
 *
 * Invariants:
 * - [TWAIT-1] The wait goes through the run's `sleep` (the engine's clock, else wall time) and
 *   never calls `setTimeout` itself.
 * - [TWAIT-2] Cancelling the run ends the wait at once with CancelledError.
 */
import { task } from '../spec/task.js';
import { inject, type TaskContext } from '../spec/resource.js';
import type { LazyResult } from '../spec/lazy-result.js';
import type { LazyArg } from '../spec/task.js';
import { InvalidArgumentError } from '../errors.js';

function checkMs(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidArgumentError('wait ms', ms, 'must be a finite number >= 0');
  }
  return ms;
}

const waitTask = task(
  async (ms: number, value: unknown, ctx: TaskContext): Promise<unknown> => {
    await ctx.sleep(checkMs(ms)); // [TWAIT-1] [TWAIT-2]
    return value;
  },
  { name: 'wait' },
);

/**
 * A task that waits `ms` milliseconds of the engine's clock, then resolves with `value`
 * (undefined if not given). Use it to space steps out (`next.after(wait(1000))`) or to delay a
 * value (`wait(500, x)`).
 *
 * @example
 * ```ts
 * import { Engine, Scheduler } from 'cascade';
 * import { wait } from 'cascade/providers';
 * const scheduler = new Scheduler({ clock: 'virtual' });
 * const engine = new Engine({ clock: scheduler.clock });
 * const later = engine.run(wait(86_400_000, 'a day later'));
 * await scheduler.runUntil(86_400_000); // no wall time
 * console.log(await later); // 'a day later'
 * ```
 */
export function wait<T = undefined>(ms: LazyArg<number>, value?: LazyArg<T>): LazyResult<T> {
  if (typeof ms === 'number') checkMs(ms); // [POL-1]
  return waitTask(ms, value, inject<TaskContext>('context')) as LazyResult<T>;
}
