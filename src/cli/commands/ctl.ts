/**
 * `cascade ctl` and `cascade watch`: steer and observe runs through the control plane
 * (docs/control.md). Parse, call the messaging layer's ControlClient, print.
 *
 * - `cascade ctl pause SCOPE [--ttl S]`, `cascade ctl resume SCOPE`
 * - `cascade ctl limit SCOPE [--concurrency N|none] [--rate R/s|none] [--ttl S]`
 * - `cascade ctl clear SCOPE`: remove every constraint of the scope
 * - `cascade ctl status [--json]`: the constraints in force and the runs announced
 * - `cascade watch [--json]`: live events of the runs and constraint changes, until Ctrl+C
 *
 * All take `--broker mqtt://HOST:PORT`; the default is the broker a `cascade fireflies
 * --control` run serves on this machine (mqtt://127.0.0.1:18830).
 */
import type { Command } from 'commander';
import {
  ControlClient,
  DEFAULT_CONTROL_URL,
  type ControlStatus,
  type RunEvent,
} from '../../messaging/index.js';
import {
  InvalidConstraintError,
  describeConstraint,
  parseScope,
  type Constraint,
  type ControlCommand,
} from '../../runtime/index.js';
import { parseNumber } from '../parse.js';
import { UsageError } from '../usage-error.js';

interface CommonFlags {
  broker?: string;
}

const SCOPE_HELP = 'global, task:NAME or group:NAME (fireflies: group:fireflies)';

/**
 * Add `cascade ctl` (and its subcommands) and `cascade watch` to the program.
 *
 * @example
 * ```ts
 * register(program); // cascade ctl pause global --ttl 30
 * ```
 */
export function register(program: Command): void {
  const ctl = program
    .command('ctl')
    .description(`steer runs: constraints on a scope (${SCOPE_HELP}), retained on the broker`);
  const broker = (c: Command): Command =>
    c.option(
      '--broker <url>',
      `the MQTT broker (default ${DEFAULT_CONTROL_URL}: a --control run here)`,
    );

  broker(ctl.command('pause <scope>').description('pause work in scope (it waits, nothing fails)'))
    .option('--ttl <seconds>', 'the pause lapses by itself after this many seconds')
    .action(async (scope: string, flags: CommonFlags & { ttl?: string }) => {
      await send(flags, { type: 'pause', scope: scope_(scope), ...ttl(flags.ttl) });
    });
  broker(ctl.command('resume <scope>').description("remove the scope's pause")).action(
    async (scope: string, flags: CommonFlags) => {
      await send(flags, { type: 'resume', scope: scope_(scope) });
    },
  );
  broker(ctl.command('limit <scope>').description('limit concurrency and/or rate in scope'))
    .option('--concurrency <n>', 'steps at once (an integer >= 1), or none to remove')
    .option('--rate <r>', 'steps started per second, e.g. 100/s (or 100), or none to remove')
    .option('--ttl <seconds>', 'the limits lapse by themselves after this many seconds')
    .action(
      async (
        scope: string,
        flags: CommonFlags & { concurrency?: string; rate?: string; ttl?: string },
      ) => {
        if (flags.concurrency === undefined && flags.rate === undefined) {
          throw new UsageError('ctl limit: give --concurrency N and/or --rate R/s');
        }
        const cmd: ControlCommand = {
          type: 'limit',
          scope: scope_(scope),
          ...(flags.concurrency !== undefined && {
            concurrency:
              flags.concurrency === 'none'
                ? null
                : parseNumber('--concurrency', flags.concurrency, { integer: true, min: 1 }),
          }),
          ...(flags.rate !== undefined && { perSec: parseRate(flags.rate) }),
          ...ttl(flags.ttl),
        };
        await send(flags, cmd);
      },
    );
  broker(ctl.command('clear <scope>').description('remove every constraint of the scope')).action(
    async (scope: string, flags: CommonFlags) => {
      await send(flags, { type: 'clear', scope: scope_(scope) });
    },
  );
  broker(ctl.command('status').description('the constraints in force and the runs on the broker'))
    .option('--json', 'print as JSON')
    .action(async (flags: CommonFlags & { json?: boolean }) => {
      const client = await ControlClient.connect(flags.broker ?? DEFAULT_CONTROL_URL);
      try {
        const status = await client.status();
        process.stdout.write(
          flags.json === true ? `${JSON.stringify(status)}\n` : formatStatus(status, Date.now()),
        );
      } finally {
        await client.close();
      }
    });

  broker(
    program
      .command('watch')
      .description('live events of the runs on the broker and constraint changes, until Ctrl+C'),
  )
    .option('--json', 'one JSON object per line')
    .option('--duration <seconds>', 'stop after this many seconds')
    .action(async (flags: CommonFlags & { json?: boolean; duration?: string }) => {
      const seconds =
        flags.duration === undefined
          ? undefined
          : parseNumber('--duration', flags.duration, { min: 0, exclusive: true });
      const url = flags.broker ?? DEFAULT_CONTROL_URL;
      const client = await ControlClient.connect(url, 'watch');
      process.stderr.write(`watching ${url} (Ctrl+C to stop)\n`);
      const w = client.watch((e) => {
        process.stdout.write(
          flags.json === true ? `${JSON.stringify({ at: Date.now(), ...e })}\n` : formatEvent(e),
        );
      });
      await w.ready;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          clearTimeout(timer);
          resolve();
        };
        const timer = seconds === undefined ? undefined : setTimeout(done, seconds * 1000);
        process.on('SIGINT', done);
        process.on('SIGTERM', done);
      });
      w.stop();
      await client.close();
    });
}

async function send(flags: CommonFlags, cmd: ControlCommand): Promise<void> {
  const url = flags.broker ?? DEFAULT_CONTROL_URL;
  const client = await ControlClient.connect(url);
  try {
    await client.send(cmd);
  } catch (error) {
    if (error instanceof InvalidConstraintError) throw new UsageError(error.message);
    throw error;
  } finally {
    await client.close();
  }
  process.stdout.write(`${cmd.type} ${cmd.scope}: sent to ${url}\n`);
}

function scope_(text: string): string {
  try {
    return parseScope(text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function ttl(text: string | undefined): { ttlSeconds?: number } {
  return text === undefined
    ? {}
    : { ttlSeconds: parseNumber('--ttl', text, { min: 0, exclusive: true }) };
}

/** `100/s`, `100`, or `none`. */
function parseRate(text: string): number | null {
  if (text === 'none') return null;
  return parseNumber('--rate', text.replace(/\/s$/, ''), { min: 0, exclusive: true });
}

/** The `ctl status` table. */
export function formatStatus(status: ControlStatus, now: number): string {
  const lines: string[] = [];
  if (status.constraints.length === 0) lines.push('no constraints in force');
  else {
    const rows = status.constraints.map((c) => [c.scope, describeConstraint(c), expiry(c, now)]);
    const head = ['scope', 'constraint', 'expires'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [head, ...rows])
      lines.push(
        r
          .map((v, i) => v.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      );
  }
  for (const c of status.expired)
    lines.push(`expired (still retained): ${c.scope} ${describeConstraint(c)}`);
  for (const i of status.invalid) lines.push(`invalid (ignored by runs): ${i.topic}: ${i.reason}`);
  const runs = Object.keys(status.runs);
  lines.push(runs.length === 0 ? 'no runs announced' : `runs: ${runs.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function expiry(c: Constraint, now: number): string {
  return c.expiresAt === undefined
    ? '-'
    : `in ${Math.max(0, (c.expiresAt - now) / 1000).toFixed(1)} s`;
}

function formatEvent(e: RunEvent): string {
  const time = new Date().toISOString().slice(11, 23);
  const d = e.data as Record<string, unknown> | string;
  if (e.type === 'sample' && typeof d === 'object' && d !== null) {
    const r = Number(d.r).toFixed(3);
    return `${time} ${e.run} sample t=${String(d.t)}s R=${r} flashes/s=${Number(d.flashesPerSec).toFixed(0)}\n`;
  }
  return `${time} ${e.run} ${e.type} ${d === '' ? '(removed)' : JSON.stringify(d)}\n`;
}
