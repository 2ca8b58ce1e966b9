/**
 * How much heap a firefly run needs, estimated from its number of agents before it starts.
 * A grid too large for the heap otherwise runs out of memory only after V8 has spent a minute
 * or more collecting garbage ("Reached heap limit", exit 134, 93 s in at 16,777,216 agents),
 * with nothing telling the user what to change.
 */
import { UsageError } from './usage-error.js';

/**
 * Heap per agent: measured about 1.0 GB of heap at 1,000,000 agents on the virtual clock,
 * everything included (the agent's task state, its inbox, its links to 8 neighbours, the
 * per-agent telemetry arrays); 1,100 bytes is the top of the measured range.
 */
export const HEAP_BYTES_PER_AGENT = 1100;

/** The heap before any agent exists: the loaded code, the engine, the view, the monitor. */
export const HEAP_BASE_BYTES = 32 * 2 ** 20;

/** A run needs room above its live data: V8 collects well before the limit, not at it. */
export const HEAP_HEADROOM = 1.3;

/**
 * The heap (bytes) a run of `agents` fireflies is expected to use, without headroom.
 *
 * @example
 * ```ts
 * estimateHeapBytes(1_000_000); // about 1.1e9
 * ```
 */
export function estimateHeapBytes(agents: number): number {
  return HEAP_BASE_BYTES + agents * HEAP_BYTES_PER_AGENT;
}

/**
 * The most agents whose estimate, with headroom, fits in a heap of `heapLimitBytes`.
 *
 * @example
 * ```ts
 * maxAgentsFor(4 * 2 ** 30); // about 2.97 million
 * ```
 */
export function maxAgentsFor(heapLimitBytes: number): number {
  return Math.max(
    0,
    Math.floor((heapLimitBytes / HEAP_HEADROOM - HEAP_BASE_BYTES) / HEAP_BYTES_PER_AGENT),
  );
}

/** What {@link checkHeapFor} compares: the run's size and this process's limits. */
export interface HeapCheck {
  /** All the run's agents. */
  agents: number;
  /** Worker threads the grid is split over (default 1), each holding its band on its own heap. */
  workers?: number;
  /** The most workers the grid allows (its rows); a larger suggestion is not made. */
  maxWorkers?: number;
  /** `v8.getHeapStatistics().heap_size_limit`: V8's flags, so the limit, are the same in workers. */
  heapLimitBytes: number;
  /** `os.totalmem()`: heaps larger than the machine's memory would only swap or be killed. */
  totalMemoryBytes: number;
}

/**
 * Throw a UsageError (exit code 2) giving the estimate and the ways out when the agents a
 * heap holds (all of them, or one worker's band) would not fit; return the estimate of one
 * heap otherwise.
 *
 * @example
 * ```ts
 * checkHeapFor({ agents: 2500, heapLimitBytes: v8.getHeapStatistics().heap_size_limit,
 *   totalMemoryBytes: os.totalmem() });
 * ```
 */
export function checkHeapFor(check: HeapCheck): number {
  const { agents, heapLimitBytes, totalMemoryBytes } = check;
  const workers = check.workers ?? 1;
  const perHeap = Math.ceil(agents / workers);
  const estimate = estimateHeapBytes(perHeap);
  const needed = estimate * HEAP_HEADROOM;
  if (needed <= heapLimitBytes) return estimate;
  // all heaps together must fit in the machine, however they are split
  const machineTooSmall = estimateHeapBytes(agents) * HEAP_HEADROOM > totalMemoryBytes;
  const ways: string[] = [];
  if (machineTooSmall) {
    ways.push(
      `this machine has only ${gb(totalMemoryBytes)} of memory, so a larger heap will not do`,
    );
  } else {
    // a flag value in MB, rounded up to a round 256 MB
    const flagMb = Math.ceil(needed / 2 ** 20 / 256) * 256;
    ways.push(
      `give Node a larger heap (NODE_OPTIONS=--max-old-space-size=${flagMb} cascade ..., ` +
        `or node --max-old-space-size=${flagMb} dist/cli/main.js ...)`,
    );
    const enough = Math.ceil(agents / Math.max(1, maxAgentsFor(heapLimitBytes)));
    if (enough > workers && enough <= (check.maxWorkers ?? Infinity)) {
      ways.push(
        `split the grid over more worker threads, each with a heap of its own (--workers ${enough})`,
      );
    }
  }
  const side = Math.floor(Math.sqrt(maxAgentsFor(heapLimitBytes) * workers));
  ways.push(
    side >= 1
      ? `use fewer agents (at most --agents ${side * side}, a ${side}x${side} grid, here` +
          `${workers > 1 ? ` with --workers ${workers}` : ''})`
      : 'use fewer agents',
  );
  const who =
    workers === 1
      ? `${agents} agents need`
      : `${agents} agents on ${workers} workers (${perHeap} in the largest band) need, per worker,`;
  throw new UsageError(
    `${who} about ${gb(estimate)} of heap (${gb(needed)} with room to collect garbage; ` +
      `${HEAP_BYTES_PER_AGENT} bytes per agent), more than ${workers === 1 ? 'this process' : 'a thread'} ` +
      `may use (${gb(heapLimitBytes)}): ${ways.join('; or ')}`,
  );
}

function gb(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GB`;
}
