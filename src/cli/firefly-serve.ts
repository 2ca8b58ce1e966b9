/**
 * `cascade fireflies --serve [HOST:]PORT`: a WebSocket gateway for a running firefly
 * experiment. The CLI composes the two layers here (the observatory never imports the
 * gateway): a run observer feeds the gateway's streams and the gateway's control stream steers
 * the run through the same calls as the live view's keys.
 *
 * - state: the grid's brightness, one byte a cell (the terminal's fade).
 * - events: `run-started`, `sample` (R and flashes/s at each R sample, simulated seconds),
 *   `run-ended` / `run-failed`, and the gateway's own `command-applied`.
 * - control: `pause`, `resume`, `speed {x}` (real clock), `limit {n}` (a run started with
 *   `--limit`, one worker).
 *
 * Auth: none on loopback (the one user is the operator); any other address needs
 * `CASCADE_GATEWAY_SECRET` (HS256 tokens, docs/gateway.md).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Gateway,
  defineCommands,
  isLoopback,
  simulationCommands,
  type AuthOptions,
} from '../gateway/index.js';
import type { FireflyRunControl, FireflyRunObserver } from '../observatory/index.js';
import { parseNumber } from './parse.js';
import { UsageError } from './usage-error.js';

/** Where `--serve` listens. */
export interface ServeAddress {
  host: string;
  port: number;
}

/**
 * `--serve` accepts `PORT`, `HOST:PORT` or `[IPv6]:PORT`; the host defaults to 127.0.0.1.
 *
 * @example
 * ```ts
 * parseServeAddress('8080'); // { host: '127.0.0.1', port: 8080 }
 * parseServeAddress('0.0.0.0:8080'); // { host: '0.0.0.0', port: 8080 }
 * ```
 */
export function parseServeAddress(text: string): ServeAddress {
  const m = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?([^:]+)$/.exec(text.trim());
  if (m === null) {
    throw new UsageError(
      `--serve must be PORT or HOST:PORT (e.g. 8080 or 0.0.0.0:8080), got "${text}"`,
    );
  }
  const host = m[1] ?? m[2] ?? '127.0.0.1';
  const port = parseNumber('--serve port', m[3], { integer: true, min: 0, max: 65_535 });
  return { host, port };
}

/** The browser page's built files, when the package has them (served at `/`). */
function webRoot(): string | undefined {
  const dir = fileURLToPath(new URL('../web/', import.meta.url));
  return existsSync(dir) ? dir : undefined;
}

/** A started gateway for one run: its observer, its address and how to close it. */
export interface FireflyServer {
  /** The page (`http://…/`). */
  readonly pageUrl: string;
  /** The WebSocket endpoint (`ws://…/ws`). */
  readonly wsUrl: string;
  readonly observer: FireflyRunObserver;
  close(): Promise<void>;
}

/**
 * Start a gateway for a firefly run of `width` x `height` cells. Listening fails before the run
 * starts (a port in use is a usage error), so nothing is lost to a bad address.
 *
 * @example
 * ```ts
 * const server = await serveFireflies({ host: '127.0.0.1', port: 8080 }, 100, 100);
 * await runFireflies({ ...options, observers: [server.observer] });
 * await server.close();
 * ```
 */
export async function serveFireflies(
  address: ServeAddress,
  width: number,
  height: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FireflyServer> {
  const secret = env.CASCADE_GATEWAY_SECRET;
  let auth: AuthOptions;
  if (secret !== undefined && secret !== '') auth = { mode: 'jwt', secret };
  else if (isLoopback(address.host)) auth = { mode: 'none' };
  else {
    throw new UsageError(
      `--serve on ${address.host} (not loopback) needs CASCADE_GATEWAY_SECRET: clients then ` +
        'present HS256 tokens signed with it (docs/gateway.md)',
    );
  }
  let control: FireflyRunControl | undefined;
  const run = (): FireflyRunControl => {
    if (control === undefined) throw new Error('the run has not started yet');
    return control;
  };
  const staticDir = webRoot();
  const gateway = new Gateway({
    host: address.host,
    port: address.port,
    auth,
    ...(staticDir !== undefined && { staticDir }),
    state: {
      width,
      height,
      snapshot: (out) => {
        if (control === undefined) out.fill(0);
        else control.snapshot(out);
      },
    },
    commands: defineCommands({
      pause: { args: simulationCommands.pause, run: () => run().pause() },
      resume: { args: simulationCommands.resume, run: () => run().resume() },
      speed: {
        args: simulationCommands.speed,
        run: ({ x }) => {
          run().setSpeed(x);
          return { speed: x };
        },
      },
      limit: {
        args: simulationCommands.limit,
        run: ({ n }) => {
          run().setLimit(n);
          return { limit: n };
        },
      },
    }),
  });
  let wsUrl: string;
  try {
    ({ url: wsUrl } = await gateway.listen());
  } catch (error) {
    await gateway.close();
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'the port is in use'
        : code === 'EADDRNOTAVAIL'
          ? 'no such address on this machine'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message;
    throw new UsageError(`--serve ${address.host}:${address.port}: ${why}`);
  }
  const pageUrl = wsUrl.replace(/^ws/, 'http').replace(/\/ws$/, '/');
  const observer: FireflyRunObserver = {
    started(c) {
      control = c;
      gateway.publishEvent('run-started', {
        agents: c.agents,
        width: c.width,
        height: c.height,
        periodMs: c.periodMs,
        seed: c.seed,
        clock: c.clockKind,
        workers: c.workers,
        speed: c.status().speed,
        limit: c.limit ?? null,
      });
    },
    sample(s) {
      gateway.publishEvent('sample', s);
    },
    ended(outcome) {
      if ('summary' in outcome) {
        const s = outcome.summary;
        gateway.publishEvent('run-ended', {
          simTimeMs: s.simTimeMs,
          flashes: s.flashes,
          finalR: s.finalR,
          rReached: s.rReached,
          cancelled: s.cancelled,
        });
      } else {
        const e = outcome.error;
        gateway.publishEvent('run-failed', {
          message: e instanceof Error ? e.message : String(e),
          ...(e instanceof Error && 'code' in e && { code: String(e.code) }),
        });
      }
    },
  };
  return { pageUrl, wsUrl, observer, close: () => gateway.close() };
}
