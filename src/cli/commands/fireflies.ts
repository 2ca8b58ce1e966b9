/**
 * `cascade fireflies`: the firefly synchronisation experiment, live in the terminal (the
 * command `npm start` runs). Parses and checks every option before anything starts (exit 2 on
 * a bad value), runs `runFireflies`, prints the summary. Ctrl+C stops the run cleanly.
 */
import { availableParallelism, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { Command } from 'commander';
import { runFireflies, resolveModelParams } from '../../observatory/index.js';
import type {
  FireflyPaceSummary,
  FireflyRunOptions,
  FireflyRunSummary,
} from '../../observatory/index.js';
import { MAX_GRID_CELLS, parseGrid, parseNumber } from '../parse.js';
import { UsageError } from '../usage-error.js';
import { checkWritableFile } from '../writable-path.js';
import { checkHeapFor } from '../memory-estimate.js';
import { listOf, plural } from '../plural.js';
import { parseServeAddress, serveFireflies } from '../firefly-serve.js';
import { startFireflyControl } from '../firefly-control.js';
import { executeFireflyShard } from './fireflies-shard.js';

export interface FirefliesFlags {
  agents?: string;
  grid?: string;
  period: string;
  nudge: string;
  refractory?: string;
  jitter: string;
  duration?: string;
  seed: string;
  clock: string;
  speed: string;
  limit?: string;
  workers?: string;
  visualize?: boolean;
  log?: string;
  json?: boolean;
  fps?: string;
  sampleRate: string;
  serve?: string;
  /** `--control` alone is `true`; `--control PORT` the port's text. */
  control?: boolean | string;
  broker?: string;
  /** `--shard I/N`: run shard I of N of a coordinator's run (needs --broker). */
  shard?: string;
  /** `--shards N`: coordinate N shard processes (needs --broker). */
  shards?: string;
}

/** Turn the flags into run options, or throw a UsageError naming the bad one. */
export function parseFirefliesFlags(
  flags: FirefliesFlags,
  isTTY: boolean,
): Omit<FireflyRunOptions, 'out' | 'isTTY' | 'signal'> {
  if (flags.agents !== undefined && flags.grid !== undefined) {
    throw new UsageError('give either --agents or --grid, not both');
  }
  let width = 50;
  let height = 50;
  if (flags.grid !== undefined) ({ width, height } = parseGrid(flags.grid));
  if (flags.agents !== undefined) {
    const n = parseNumber('--agents', flags.agents, {
      integer: true,
      min: 1,
      max: MAX_GRID_CELLS,
    });
    const side = Math.round(Math.sqrt(n));
    if (side * side !== n) {
      const w = Math.max(1, Math.floor(Math.sqrt(n)));
      throw new UsageError(
        `--agents must be a perfect square (the grid is square), got ${n}; ` +
          `use --grid WxH for other shapes, e.g. --grid ${w}x${Math.ceil(n / w)}`,
      );
    }
    width = height = side;
  }
  const periodMs = parseNumber('--period', flags.period, { min: 0, exclusive: true }) * 1000;
  const nudgeMs = parseNumber('--nudge', flags.nudge, { min: 0 }) * 1000;
  const refractoryMs =
    flags.refractory === undefined
      ? undefined
      : parseNumber('--refractory', flags.refractory, { min: 0 }) * 1000;
  const jitterMs = parseNumber('--jitter', flags.jitter, { min: 0 }) * 1000;
  if (nudgeMs >= periodMs) {
    throw new UsageError(
      `--nudge (${flags.nudge} s) must be smaller than --period (${flags.period} s)`,
    );
  }
  if (refractoryMs !== undefined && refractoryMs >= periodMs) {
    throw new UsageError(
      `--refractory (${flags.refractory} s) must be smaller than --period (${flags.period} s)`,
    );
  }
  if (jitterMs >= periodMs) {
    throw new UsageError(
      `--jitter (${flags.jitter} s) must be smaller than --period (${flags.period} s)`,
    );
  }
  // The model's own checks. Every rule it has is checked above, in the options' names and
  // seconds; one it gains later still ends as a usage error naming the option, if in its
  // milliseconds.
  try {
    resolveModelParams({
      periodMs,
      nudgeMs,
      jitterMs,
      ...(refractoryMs !== undefined && { refractoryMs }),
    });
  } catch (error) {
    const option = (error as { details?: { option?: unknown } }).details?.option;
    const name = typeof option === 'string' ? `--${option}: ` : '';
    throw new UsageError(`${name}${(error as Error).message}`);
  }
  if (flags.clock !== 'real' && flags.clock !== 'virtual') {
    throw new UsageError(`--clock must be "real" or "virtual", got "${flags.clock}"`);
  }
  const speed = parseNumber('--speed', flags.speed, { min: 0, exclusive: true });
  if (flags.clock === 'virtual' && speed !== 1) {
    throw new UsageError(
      '--speed applies to --clock real (the virtual clock runs as fast as it can)',
    );
  }
  const workers = parseWorkers(flags.workers, height);
  if (flags.limit !== undefined && workers > 1) {
    const limit = parseNumber('--limit', flags.limit, { integer: true, min: 1 });
    if (limit < workers) {
      throw new UsageError(
        `--limit (${limit}) must be at least --workers (${workers}): the limit is split between the shards`,
      );
    }
  }
  const visualize = flags.visualize !== false;
  const durationMs =
    flags.duration !== undefined
      ? parseNumber('--duration', flags.duration, { min: 0, exclusive: true }) * 1000
      : visualize && isTTY
        ? undefined
        : 60_000;
  return {
    width,
    height,
    periodMs,
    nudgeMs,
    jitterMs,
    ...(refractoryMs !== undefined && { refractoryMs }),
    // the generator keeps 32 bits of the seed: a larger one would repeat a smaller one's run
    seed: parseNumber('--seed', flags.seed, { integer: true, min: 0, max: 2 ** 32 - 1 }),
    clock: flags.clock,
    speed,
    workers,
    ...(flags.limit !== undefined && {
      limit: parseNumber('--limit', flags.limit, { integer: true, min: 1 }),
    }),
    visualize,
    ...(durationMs !== undefined && { durationMs }),
    ...(flags.log !== undefined && { logPath: flags.log }),
    ...(flags.fps !== undefined && {
      fps: parseNumber('--fps', flags.fps, { min: 0, exclusive: true, max: 1000 }),
    }),
    sampleRate: parseNumber('--sample-rate', flags.sampleRate, { min: 0, max: 1 }),
  };
}

/** What stopped a run early, in the words of the summary's first line. */
function stopCause(stoppedBy: string | undefined): string {
  switch (stoppedBy) {
    case 'quit key':
      return 'q or Ctrl+C';
    case 'SIGINT':
      return 'SIGINT (Ctrl+C)';
    case 'abort':
    case undefined:
      return 'a stop request';
    default:
      return stoppedBy;
  }
}

/**
 * The plain-text summary printed at the end of a run, headed by the command that ran it
 * (`cascade fireflies`, `cascade diag headless`, `cascade profile`).
 */
export function formatFireflySummary(s: FireflyRunSummary, command = 'cascade fireflies'): string {
  const lines = [
    `${command}: ${plural(s.agents, 'agent')} (${s.width}x${s.height}), ${s.clock} clock` +
      `${s.clock === 'real' && s.speed !== 1 ? ` x${s.speed}` : ''}, seed ${s.seed}` +
      (s.shardProcesses !== undefined
        ? `, ${plural(s.shardProcesses, 'shard process', 'shard processes')}`
        : s.workers > 1
          ? `, ${s.workers} workers`
          : '') +
      (s.cancelled ? ` (stopped by ${stopCause(s.stoppedBy)})` : ''),
    `  simulated ${(s.simTimeMs / 1000).toFixed(1)} s in ${(s.wallMs / 1000).toFixed(1)} s wall ` +
      `(${s.simSecondsPerWallSecond.toFixed(2)} sim s per wall s)`,
    `  flashes ${s.flashes}, ${s.flashesPerSec.toFixed(1)}/s (nominal N/T ${s.expectedFlashesPerSec.toFixed(1)}/s)`,
    `  pulses discarded in refractory ${s.discardedPulses}, dropped by a full inbox ${s.droppedPulses}`,
    `  R final ${s.finalR.toFixed(3)}; ${formatReached(s.rReached)}`,
    `  event-loop lag p99 ${s.eventLoopLagP99Ms.toFixed(1)} ms (max ${s.eventLoopLagMaxMs.toFixed(1)} ms)`,
  ];
  if (s.pace !== null) lines.push(...formatPace(s.pace));
  if (s.view !== null) {
    lines.push(
      s.view.frames === 0
        ? '  view: no frames drawn' // not a terminal (progress lines instead), or a very short run
        : `  view: ${s.view.frames} frames, ${s.view.fps.toFixed(1)} fps, render jitter p99 ` +
            `${s.view.renderJitterP99Ms.toFixed(1)} ms, flush p99 ${s.view.flushP99Ms.toFixed(2)} ms`,
    );
  }
  if (s.failedAgents > 0) {
    lines.push(`  WARNING: ${plural(s.failedAgents, 'agent run')} failed`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The real clock's pace: asked and achieved speed, how far behind its paced target the
 * simulation ended and its worst lag, the wall time paused and under a step limit; a warning
 * when it fell behind (a limit is not falling behind [PACE-3]).
 */
function formatPace(p: FireflyPaceSummary): string[] {
  const x = (v: number): string => `x${v >= 1 ? v.toFixed(1) : v.toFixed(2)}`;
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    `  pace: x${p.asked} asked, ${x(p.achieved)} achieved, ${s(p.behindMs)} behind at the end ` +
      `(worst ${s(p.maxBehindMs)})${p.pausedMs > 0 ? `, paused ${s(p.pausedMs)}` : ''}` +
      (p.limitedMs > 0 ? `, limited ${s(p.limitedMs)}` : ''),
  ];
  if (p.lagging) {
    lines.push(
      `  WARNING: this machine could not keep up with x${p.asked}: the run took longer in wall ` +
        'time than asked. The results are unaffected: simulated time is paced, never reshaped.',
    );
  }
  return lines;
}

/** "reached 0.5 at 47 s, 0.8 at 106 s; R 0.9 not reached" */
function formatReached(reached: FireflyRunSummary['rReached']): string {
  const levels = ['0.5', '0.8', '0.9'] as const;
  const hit: string[] = [];
  const missed: string[] = [];
  for (const level of levels) {
    const t = reached[level];
    if (t === null) missed.push(level);
    else hit.push(`${level} at ${t.toFixed(0)} s`);
  }
  const parts: string[] = [];
  if (hit.length > 0) parts.push(`reached ${hit.join(', ')}`);
  if (missed.length > 0) parts.push(`R ${listOf(missed)} not reached`);
  return parts.join('; ');
}

/** Defaults that differ between the commands sharing the experiment's options. */
export interface FireflyOptionDefaults {
  /** Simulated seconds; when absent: until Ctrl+C with the view in a terminal, 60 otherwise. */
  duration?: string;
  /** Default 'real'. */
  clock?: 'real' | 'virtual';
}

/**
 * The experiment's options, shared by `cascade fireflies`, `cascade diag headless` and
 * `cascade profile`; `defaults` are those of the command, so its --help states them.
 *
 * @example
 * ```ts
 * addFireflyOptions(program.command('profile'), { duration: '60', clock: 'virtual' });
 * ```
 */
export function addFireflyOptions(command: Command, defaults: FireflyOptionDefaults = {}): Command {
  const duration =
    'simulated seconds to run; on the real clock a run that cannot keep up takes longer in ' +
    'wall time';
  return command
    .option('--agents <n>', 'number of agents, a perfect square (default 2500 = 50x50)')
    .option('--grid <WxH>', 'grid size, e.g. 100x100 (instead of --agents)')
    .option('--period <seconds>', 'nominal flash period T', '5')
    .option('--nudge <seconds>', 'phase advance k per pulse received', '0.2')
    .option('--refractory <seconds>', 'refractory time after a flash (default 0.2 x period)')
    .option('--jitter <seconds>', 'phase after a flash is uniform in [0, jitter)', '0.1')
    .option(
      '--duration <seconds>',
      defaults.duration === undefined
        ? `${duration} (default: until Ctrl+C when the view is in a terminal, 60 otherwise)`
        : duration,
      defaults.duration,
    )
    .option('--seed <n>', 'random seed (start phases, jitter)', '1')
    .option(
      '--clock <kind>',
      'real (wall time) or virtual (as fast as possible)',
      defaults.clock ?? 'real',
    )
    .option(
      '--speed <x>',
      'real clock: simulated seconds per wall second (in the view, the keys + and - change it)',
      '1',
    )
    .option('--limit <n>', 'global concurrency limit: agents inside a step at once (cpu_slot)')
    .option(
      '--workers <n|auto>',
      'worker threads, one band of the grid each, in lock-step with live border links; ' +
        'the same seed gives the same flashes for any count (auto = the number of cores)',
      '1',
    )
    .option(
      '--log <file>',
      'write metrics as JSONL, one line per second (simulated on the virtual clock, wall on the real)',
    )
    .option('--json', 'print the final summary as JSON')
    .option('--sample-rate <p>', 'fraction of pulses also published to debug/sample/<agent>', '0');
}

/**
 * Add `cascade fireflies` to the program.
 *
 * @example
 * ```ts
 * register(program); // cascade fireflies --grid 100x100 --speed 10
 * ```
 */
export function register(program: Command): void {
  addFireflyOptions(
    program
      .command('fireflies')
      .description(
        'the firefly synchronisation experiment: agents on a torus, each a Cascade task in VM mode, ' +
          'pulsing their 8 neighbours over DirectChannels; live in the terminal',
      ),
  )
    .option('--no-visualize', 'headless: no grid, one progress line per second')
    .option('--fps <n>', 'target frames per second of the view', '30')
    .option(
      '--serve <[host:]port>',
      'serve the run over WebSocket (state, events, control) and the browser page; host ' +
        'defaults to 127.0.0.1, port 0 = any free port; the URL is printed',
    )
    .option(
      '--control [port]',
      'steer the run with cascade ctl: serves an MQTT broker on 127.0.0.1:18830 (or PORT) ' +
        'for constraints (pause, limits) and events (cascade watch); with --shards N, on ' +
        'the coordinator, constraints come from --broker and limits are split between the shards',
    )
    .option(
      '--broker <url>',
      'with --control: take constraints from this MQTT broker (mqtt://HOST:PORT) instead; ' +
        'with --shards / --shard: the broker the shards run in lock-step through',
    )
    .option(
      '--shards <n>',
      'coordinate N shard processes through --broker (each started with --shard I/N): ' +
        'this process shows the view, the monitor and the summary, and runs no agent',
    )
    .option(
      '--shard <I/N>',
      'run shard I (from 0) of N of the run a coordinator (--shards N) offers on --broker; ' +
        'grid, model and seed come from the coordinator',
    )
    .action(async (flags: FirefliesFlags) => {
      if (parseProcessShards(flags) === 'shard') {
        await executeFireflyShard(flags.shard!, flags.broker!);
        return;
      }
      await executeFireflies(flags);
    });
}

/**
 * Parse the flags, run the experiment until its duration or Ctrl+C, print the summary (text
 * or `--json`, headed by `command`). Shared by `fireflies`, `diag headless` and `profile`.
 *
 * @example
 * ```ts
 * await executeFireflies({ ...flags, visualize: false });
 * ```
 */
export async function executeFireflies(
  flags: FirefliesFlags,
  command = 'cascade fireflies',
): Promise<FireflyRunSummary> {
  const stdout = process.stdout;
  const isTTY = stdout.isTTY === true;
  const processShards = parseProcessShards(flags);
  if (processShards === 'shard') {
    throw new UsageError(`--shard runs a shard, not a run of ${command}`);
  }
  const options = {
    ...parseFirefliesFlags(flags, isTTY),
    ...(processShards !== undefined && { processShards }),
  };
  if (processShards !== undefined && processShards.count > options.height) {
    throw new UsageError(
      `--shards (${processShards.count}) must be at most the grid's height (${options.height} rows): each shard runs a band of whole rows`,
    );
  }
  if (
    processShards !== undefined &&
    options.limit !== undefined &&
    options.limit < processShards.count
  ) {
    throw new UsageError(
      `--limit (${options.limit}) must be at least --shards (${processShards.count}): the limit is split between the shards`,
    );
  }
  if (options.logPath !== undefined) checkWritableFile('--log', options.logPath);
  checkHeapFor({
    // each worker holds its band's agents on a heap of its own
    agents: options.width * options.height,
    workers: options.workers ?? 1,
    maxWorkers: options.height, // bands are whole rows
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    totalMemoryBytes: totalmem(),
  });
  const address = flags.serve === undefined ? undefined : parseServeAddress(flags.serve);
  // listen before the run starts: a port in use ends here, with nothing lost
  const server =
    address === undefined
      ? undefined
      : await serveFireflies(address, options.width, options.height);
  if (server !== undefined) {
    process.stderr.write(`serving ${server.pageUrl} (WebSocket ${server.wsUrl})\n`);
  }
  if (flags.broker !== undefined && flags.control === undefined && processShards === undefined) {
    throw new UsageError(
      '--broker goes with --control (the broker to take constraints from) or --shards',
    );
  }
  // connect (or serve the embedded broker) before the run starts, like --serve
  const sharded = processShards !== undefined || (options.workers ?? 1) > 1;
  const control =
    flags.control === undefined
      ? undefined
      : await startFireflyControl({
          onFailure: () => server?.close(),
          ...(flags.broker !== undefined && { broker: flags.broker }),
          ...(typeof flags.control === 'string' && {
            port: parseNumber('--control', flags.control, { integer: true, min: 1, max: 65_535 }),
          }),
          ...(sharded && { shards: processShards?.count ?? options.workers! }),
          ...(options.limit !== undefined && !sharded && { limit: options.limit }),
        });
  if (control !== undefined) {
    process.stderr.write(`control: ${control.url} (cascade ctl / cascade watch)\n`);
  }
  const { limit: _limit, ...withoutLimit } = options;
  // one worker: the control's engine enforces the constraints; shards (threads or processes)
  // each take their share of the limits [SLIM-1]
  const runOptions =
    control === undefined
      ? options
      : control.engine !== undefined
        ? { ...withoutLimit, engine: control.engine }
        : { ...options, constraints: control.constraints };
  const observers = [
    ...(server !== undefined ? [server.observer] : []),
    ...(control !== undefined ? [control.observer] : []),
  ];
  const ac = new AbortController();
  const stop = (signal: NodeJS.Signals): void => ac.abort(signal);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let summary: FireflyRunSummary;
  try {
    // With --json on a pipe, progress goes to stderr so stdout is only the JSON.
    const out = flags.json === true && !isTTY ? process.stderr : stdout;
    summary = await runFireflies({
      ...runOptions,
      ...failShardHook(),
      out,
      isTTY,
      ...(stdout.columns !== undefined && { columns: stdout.columns }),
      ...(stdout.rows !== undefined && { rows: stdout.rows }),
      signal: ac.signal,
      // the live view's keys (space, +/-, q) when stdin is a terminal too
      ...(isTTY && process.stdin.isTTY && { keys: process.stdin }),
      // truecolor when the terminal says it has it (a smoother dark end of the palette)
      colors: /^(truecolor|24bit)$/i.test(process.env.COLORTERM ?? '') ? 'truecolor' : '256',
      ...(options.visualize === false && {
        onProgress: (line: string) => out.write(`${line}\n`),
      }),
      ...(observers.length > 0 && { observers }),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await server?.close();
    await control?.close();
  }
  stdout.write(
    flags.json === true ? `${JSON.stringify(summary)}\n` : formatFireflySummary(summary, command),
  );
  // the live view covered the line printed at the start
  if (server !== undefined && flags.json !== true) stdout.write(`  served ${server.pageUrl}\n`);
  return summary;
}

/**
 * `--shards N` / `--shard I/N` with `--broker`: the coordinator's options, `'shard'` for a
 * shard process, undefined for neither.
 */
function parseProcessShards(
  flags: FirefliesFlags,
):
  | { url: string; count: number; onWaiting: (ready: number, shards: number) => void }
  | 'shard'
  | undefined {
  if (flags.shard === undefined && flags.shards === undefined) return undefined;
  if (flags.shard !== undefined && flags.shards !== undefined) {
    throw new UsageError('give --shards N (the coordinator) or --shard I/N (a shard), not both');
  }
  const which = flags.shard !== undefined ? '--shard' : '--shards';
  if (flags.broker === undefined) {
    throw new UsageError(`${which} needs --broker mqtt://HOST:PORT (the shards meet there)`);
  }
  if (flags.shard !== undefined && flags.control !== undefined) {
    throw new UsageError(
      '--control goes on the coordinator (--shards N), which owns the clock of every shard',
    );
  }
  if (typeof flags.control === 'string') {
    throw new UsageError(
      `--shards with --control takes constraints from --broker ${flags.broker}: give --control without a port`,
    );
  }
  if (flags.workers !== undefined && flags.workers !== '1') {
    throw new UsageError(`${which} does not go with --workers: one band per shard process`);
  }
  if (flags.shard !== undefined) return 'shard';
  const count = parseNumber('--shards', flags.shards!, { integer: true, min: 1 });
  let told = -1;
  return {
    url: flags.broker,
    count,
    onWaiting: (ready, shards) => {
      if (ready === told) return;
      told = ready;
      process.stderr.write(
        `coordinator: ${ready}/${shards} shards ready on ${flags.broker!} ` +
          `(start each with: cascade fireflies --shard I/${shards} --broker ${flags.broker!})\n`,
      );
    },
  };
}

/** `--workers`: an integer from 1 to the grid's height (bands are whole rows), or `auto`. */
function parseWorkers(text: string | undefined, height: number): number {
  if (text === undefined) return 1;
  const workers =
    text.trim() === 'auto'
      ? availableParallelism()
      : parseNumber('--workers', text, { integer: true, min: 1 });
  if (workers > height) {
    throw new UsageError(
      `--workers (${workers}) must be at most the grid's height (${height} rows): each worker runs a band of whole rows`,
    );
  }
  return workers;
}

/**
 * Test hook: `CASCADE_FAIL_SHARD=<shard>:<rounds>` makes that shard's worker throw after that
 * many rounds, to exercise a worker dying mid-run (docs/fireflies.md, "Shards").
 */
function failShardHook(): { failShard?: { shard: number; rounds: number } } {
  const spec = /^(\d+):(\d+)$/.exec(process.env.CASCADE_FAIL_SHARD ?? '');
  return spec === null ? {} : { failShard: { shard: Number(spec[1]), rounds: Number(spec[2]) } };
}
