/**
 * `cascade bench NAME [options]`: runs the benchmark script `bench/NAME.ts` of a source
 * checkout through tsx, its options passed on as given (`cascade bench channels --help` prints
 * the script's own usage) and its exit code returned. One implementation per benchmark: the
 * script is the benchmark, this command only finds and starts it.
 *
 * Benchmarks are not part of the library: they compare Cascade with peers that are
 * devDependencies (mqemitter, lz4js, zstd) and the published package's files do not include
 * bench/. From an install without bench/ (or without tsx), the command says where the
 * benchmarks are, in one line, and exits 1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

/** The benchmark scripts `cascade bench` runs, by name: `bench/<name>.ts`. */
const BENCHES: ReadonlyArray<readonly [name: string, about: string]> = [
  ['engine', 'per-task overhead of 10,000-node wide and deep graphs; VM iterations/s'],
  ['engine-ab', "per-task overhead against another version's src/ (--base DIR), paired runs"],
  [
    'channels',
    'P producers x M messages, each reaching F ring neighbours, through LocalBus (exact and ' +
      'wildcard), DirectChannel, EventEmitter and mqemitter: msgs/s and send->handler latency',
  ],
  ['fireflies', 'simulated s per wall s of the firefly experiment, virtual clock, headless'],
  ['gateway', 'the WebSocket gateway: connect, control round trips, events, state frames'],
  [
    'mqtt',
    'Mosquitto and Aedes on loopback: msgs/s and latency at QoS 0 and 1, batched publishes, ' +
      'constraint apply latency, rate-limit accuracy, two-process shards',
  ],
  ['page', 'the observatory page in chromium against a --serve run: frames, long tasks, acks'],
  ['cache', 'the cost of a cache hit in memory, in files and in Redis'],
  ['state-codec', 'state frame encodings (delta, deflate, brotli, lz4, zstd) on firefly frames'],
];

/** The checkout's root: `dist/cli/commands/` (or `src/cli/commands/`) is three levels down. */
const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Add `cascade bench` and one subcommand per benchmark script.
 *
 * @example
 * ```ts
 * register(new Command('cascade')); // cascade bench channels --producers 100 --json
 * ```
 */
export function register(program: Command): void {
  const bench = program
    .command('bench')
    .description(
      'run a benchmark script of the source checkout (bench/NAME.ts); ' +
        '`cascade bench NAME --help` lists its options',
    );
  for (const [name, about] of BENCHES) {
    bench
      .command(name)
      .description(about)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .action((_options: unknown, command: Command) => {
        process.exitCode = runBench(name, command.args);
      });
  }
}

/** Run `bench/<name>.ts args...` with tsx, the terminal inherited; its exit code. */
function runBench(name: string, args: readonly string[]): number {
  const script = `${packageRoot}bench/${name}.ts`;
  const tsx = resolveTsx();
  if (!existsSync(script) || tsx === undefined) {
    process.stderr.write(
      `cascade: the benchmarks are scripts of the source repository (bench/${name}.ts, run ` +
        'with tsx), not part of the installed package: in a clone, `npm ci` then ' +
        `\`npx tsx bench/${name}.ts\`\n`,
    );
    return 1;
  }
  const r = spawnSync(process.execPath, ['--import', tsx, script, ...args], {
    stdio: 'inherit',
  });
  if (r.error !== undefined) throw r.error;
  if (r.status !== null) return r.status;
  const signal = r.signal === null ? undefined : constants.signals[r.signal];
  return signal === undefined ? 1 : 128 + signal;
}

/** The URL of tsx's loader, or undefined when tsx (a devDependency) is not installed. */
function resolveTsx(): string | undefined {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return undefined;
  }
}
