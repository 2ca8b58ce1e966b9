/**
 * The command line of a benchmark script (`npx tsx bench/<name>.ts ...`): `--help` prints the
 * script's usage and exits 0 before anything runs; an unknown option or a bad value prints
 * one line and the usage to stderr and exits 2, like the `cascade` command, instead of a
 * parseArgs stack trace (or, in engine.ts, a whole run that ignored the option).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The usage text of a bench: how it is run, what it measures and its options. */
export interface BenchUsage {
  /** `bench/engine.ts`. */
  script: string;
  /** What it measures, one short paragraph. */
  about: string;
  /** `[flag, help]` pairs, in the order shown. `--help` is added. */
  options: Array<[string, string]>;
}

/** The usage as printed by `--help`. */
export function formatUsage(u: BenchUsage): string {
  const rows: Array<[string, string]> = [...u.options, ['-h, --help', 'print this help and exit']];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return (
    `Usage: npx tsx ${u.script} [options]\n\n${u.about}\n\nOptions:\n` +
    rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`).join('\n') +
    '\n'
  );
}

/**
 * Parse argv with `config` (strict), after answering `--help`.
 *
 * @example
 * ```ts
 * const values = parseBenchArgs(usage, { options: { json: { type: 'boolean' } } });
 * ```
 */
export function parseBenchArgs<const T extends ParseArgsConfig>(
  usage: BenchUsage,
  config: T,
): ReturnType<typeof parseArgs<T>>['values'] {
  const argv = config.args ?? process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(formatUsage(usage));
    process.exit(0);
  }
  try {
    return parseArgs<T>(config).values;
  } catch (error) {
    return usageError(usage, error instanceof Error ? error.message : String(error));
  }
}

/** Print `problem` and the usage to stderr, exit 2. */
export function usageError(usage: BenchUsage, problem: string): never {
  process.stderr.write(`${usage.script}: ${problem}\n\n${formatUsage(usage)}`);
  process.exit(2);
}

/**
 * `text` as a number within a range, or a usage error naming `option`. Integers must be plain
 * decimal digits.
 *
 * @example
 * ```ts
 * const reps = numberOption(usage, '--reps', values.reps, { integer: true, min: 1 });
 * ```
 */
export function numberOption(
  usage: BenchUsage,
  option: string,
  text: string,
  rule: { integer?: boolean; min: number; exclusive?: boolean },
): number {
  const value = Number(text);
  const ok =
    (rule.integer === true ? /^\d+$/.test(text) : text.trim() !== '') &&
    Number.isFinite(value) &&
    (rule.exclusive === true ? value > rule.min : value >= rule.min);
  if (!ok) {
    const kind = rule.integer === true ? 'an integer' : 'a number';
    usageError(
      usage,
      `${option} must be ${kind} ${rule.exclusive === true ? '>' : '>='} ${rule.min}, got "${text}"`,
    );
  }
  return value;
}
