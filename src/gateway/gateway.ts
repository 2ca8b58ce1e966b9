/**
 * The WebSocket gateway: one HTTP(S) server whose `path` (default `/ws`) upgrades to the
 * `cascade.gateway.v1` protocol (protocol.ts, docs/gateway.md) and whose other paths serve
 * an optional static directory. Four streams:
 *
 * - `state`: a {@link StateSource} (one byte per cell) read at `fps` and sent to each viewer
 *   as binary frames, a keyframe then deltas, cut to the viewer's viewport and resolution.
 * - `events`: {@link Gateway.publishEvent}, numbered, kept in a bounded replay buffer so a
 *   client that reconnects gets what it missed.
 * - `control`: commands checked against the {@link CommandHandler}'s schemas, answered with
 *   `ack` / `nack`, applied ones broadcast as `command-applied` events.
 * - `collab`: MQTT-style publish / subscribe bridged to a {@link Connector}, under a topic ACL.
 *
 * Invariants:
 * - [GW-1] Nothing a client sends can throw out of the gateway or touch another session:
 *   every inbound message is size-capped (`maxPayload`), rate-limited, parsed and validated
 *   inside one try; a failure is an `error` frame to that client only. [PROTO-1]
 * - [GW-2] State frames are conflated per connection: at most one frame is in flight (sent
 *   but not yet handed to the kernel); while one is, or while the socket holds more than
 *   `stateBufferedBytes`, ticks are skipped and counted. A skipped tick costs nothing: the
 *   next delta is taken against the view the client really has. [SF-1]
 * - [GW-3] Events are never dropped silently: a client gets every event after it subscribed,
 *   in order, or it is closed with `SLOW_CONSUMER` (4503) when more than `maxBufferedBytes`
 *   wait in its socket, and resumes; a resume is answered with exactly the missed events,
 *   an explicit `gap` for those past the buffer, or `epoch-changed`. The catch-up is paced
 *   by the socket and read from the log by a cursor, live events included, until it
 *   reaches the head: only then does the session take live events. [EVL-1] [EVL-2]
 * - [GW-4] A command is applied only if the role may steer and its arguments parse [CMD-1];
 *   every applied command, and only those, is broadcast as a `command-applied` event.
 * - [GW-5] A collab subscribe or publish outside the session's ACL is answered with an
 *   `error` frame (`CASCADE_ERR_FORBIDDEN`) and reaches no connector. [AUTH-3]
 * - [GW-6] `close()` sends every client a close frame with the given code, stops every timer
 *   and closes the server it created: afterwards the gateway holds no handle (socket, timer)
 *   that would keep the process alive.
 * - [GW-7] Error frames are bounded too: when a client does not read them (more than
 *   `stateBufferedBytes` already waiting), they are counted in `errorsDropped` instead of
 *   buffered, so a hostile client cannot grow the server's memory with bad messages.
 * - [GW-8] A session that subscribed (or resumed) with `batch: true` gets the events
 *   published in one turn of the event loop in one frame, `{type:'events', events:[...]}`
 *   (at most {@link BATCH_MAX} a frame), encoded once for every such session: the same
 *   events in the same order as one frame each, [GW-3] unchanged. A burst then costs one
 *   `send` per socket instead of one per event per socket.
 * - [GW-10] Events sent one a frame within one turn of the event loop are written to each
 *   socket corked and flushed together at the end of the turn (one write to the kernel per
 *   socket per turn instead of one per event): what the client receives is unchanged.
 * - [GW-9] A viewer that subscribed with `deflate: true` gets each state frame compressed
 *   once for all such viewers of the same view and base (never per socket), and only when
 *   that is smaller; the others get it as it was. permessage-deflate stays off by default.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';
import { CascadeError, ClosedError, ErrorCode, InvalidArgumentError } from '../errors.js';
import type { Connector, Subscription } from '../messaging/connector.js';
import { validatePattern, validateTopic } from '../messaging/topic.js';
import type { AuthOptions, Principal } from './auth.js';
import {
  Authenticator,
  GatewayInsecureError,
  UnauthorizedError,
  isLoopback,
  maySteer,
  mayPublish,
  maySubscribe,
} from './auth.js';
import type { CommandHandler } from './commands.js';
import { EventLog } from './event-log.js';
import {
  CLIENT_MESSAGE_TYPES,
  ClientMessage,
  CloseCode,
  PROTOCOL,
  type HelloMessage,
  type ServerMessage,
  type StreamName,
} from './protocol.js';
import {
  StateFrameEncoder,
  deflateStateFrame,
  downsampleMax,
  type Viewport,
} from './state-frame.js';
import { TokenBucket } from './token-bucket.js';

/**
 * What the `state` stream shows: a `width` x `height` grid, one byte per cell. The gateway
 * calls `snapshot` once per tick, on its own thread, and reads `out` right after.
 */
export interface StateSource {
  readonly width: number;
  readonly height: number;
  /** Copy the current grid into `out` (`width * height` bytes, row-major). */
  snapshot(out: Uint8Array): void;
}

/** Per-connection limits; every one has a default. */
export interface GatewayLimits {
  /** Largest inbound message in bytes; larger closes with 1009 (default 65,536). */
  maxPayload?: number;
  /** Inbound messages per second refilled into the token bucket (default 50). */
  ratePerSec?: number;
  /** Token bucket size: messages allowed in one burst (default 100). */
  burst?: number;
  /** Messages refused in a row for the rate limit before closing with 4429 (default 50). */
  floodStrikes?: number;
  /** Bytes waiting in a socket above which it is closed as a slow consumer (default 8 MiB). */
  maxBufferedBytes?: number;
  /** Bytes waiting in a socket above which state frames and error frames are skipped (default 256 KiB). */
  stateBufferedBytes?: number;
  /** Largest `cols * rows` of a viewport (default 1,048,576). */
  maxViewCells?: number;
  /** Collab subscriptions per session (default 64). */
  maxCollabSubscriptions?: number;
  /** Open sessions; further upgrades get HTTP 503 (default 10,000). */
  maxConnections?: number;
}

/** Options of {@link Gateway}. */
export interface GatewayOptions {
  /** Attach to this server (only its upgrades on `path` are handled) instead of creating one. */
  server?: HttpServer | HttpsServer;
  /** Address to listen on (default `127.0.0.1`). */
  host?: string;
  /** Port (default 0: any free port; `listen()` tells which). */
  port?: number;
  /** The WebSocket path (default `/ws`). */
  path?: string;
  /** Who may connect. `{ mode: 'none' }` is allowed on loopback only. [AUTH-1] */
  auth: AuthOptions;
  /** Serve HTTPS / WSS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Serve the files under this directory on other paths (GET/HEAD; `index.html` for `/`). */
  staticDir?: string;
  /** The `state` stream's source; without it the gateway has no `state` stream. */
  state?: StateSource;
  /** State ticks per second (default 30). */
  fps?: number;
  /** The `control` stream's commands; without it, no `control` stream. */
  commands?: CommandHandler;
  /** The `collab` stream's connector, already connected; without it, no `collab` stream. */
  connector?: Connector;
  /** Events kept for replay (default 10,000). */
  replay?: number;
  /** Ping interval in ms (default 15,000). */
  heartbeatMs?: number;
  /** Intervals without a pong before a peer is terminated (default 2). */
  heartbeatMisses?: number;
  /** How long `close()` waits for clients' close frames before terminating (default 2,000 ms). */
  closeTimeoutMs?: number;
  /** WebSocket permessage-deflate (default off: state frames are already compact). */
  permessageDeflate?: boolean;
  limits?: GatewayLimits;
}

/** Counters of a whole gateway. */
export interface GatewayStats {
  connections: number;
  accepted: number;
  rejectedUnauthorized: number;
  rejectedBusy: number;
  closedRateLimited: number;
  closedSlowConsumer: number;
  heartbeatTimeouts: number;
  messagesIn: number;
  errorsSent: number;
  errorsDropped: number;
  eventsPublished: number;
  lastSeq: number;
  commandsApplied: number;
  commandsRefused: number;
  stateTicks: number;
  stateFramesSent: number;
  stateFramesSkipped: number;
  /** State frames compressed for viewers that asked (once per view group and base). [GW-9] */
  stateFramesDeflated: number;
  stateKeyframes: number;
  stateBytesSent: number;
  snapshotErrors: number;
  internalErrors: number;
}

/** Counters of one session. */
export interface SessionStats {
  id: string;
  subject: string;
  role: string;
  messagesIn: number;
  errorsSent: number;
  errorsDropped: number;
  eventsSent: number;
  framesSent: number;
  framesSkipped: number;
  keyframes: number;
  stateBytesSent: number;
  bufferedAmount: number;
  viewport: Viewport | null;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Events in one `events` frame at most [GW-8]. */
const BATCH_MAX = 1024;

/** Send options of JSON messages: a text frame even when the bytes are a Buffer. */
const AS_TEXT = { binary: false } as const;

/** One connected client. Plain fields: the tick loop reads them for every viewer. */
class Session {
  readonly id: string;
  readonly ws: WebSocket;
  /** The TCP (or TLS) socket under `ws`: corked while a turn's events are written [GW-10]. */
  readonly socket: Duplex;
  corked = false;
  readonly principal: Principal;
  readonly bucket: TokenBucket;
  strikes = 0;
  closed = false;
  // state stream [GW-2]
  stateOn = false;
  viewport: Viewport | null = null;
  viewKey = '';
  lastView: Uint8Array | null = null;
  lastTick = 0;
  needsKey = true;
  inFlight = false;
  /** State frames compressed when smaller [GW-9]. */
  deflate = false;
  readonly onSent: () => void;
  // events stream: a resume catches up from the log before going live [GW-3]
  catchingUp = false;
  /** Events arrive several to a frame [GW-8]. */
  batch = false;
  /** Batch: the first seq the next flush may send it (set when it goes live). [GW-8] */
  liveFrom = 0;
  cursor = 0;
  resumeFrom = 0;
  replayed = 0;
  // collab stream
  readonly collab = new Map<string, Subscription>();
  // heartbeat
  pongPending = false;
  missed = 0;
  expiry: NodeJS.Timeout | null = null;
  // counters
  messagesIn = 0;
  errorsSent = 0;
  errorsDropped = 0;
  eventsSent = 0;
  framesSent = 0;
  framesSkipped = 0;
  keyframes = 0;
  stateBytesSent = 0;

  constructor(
    id: string,
    ws: WebSocket,
    principal: Principal,
    bucket: TokenBucket,
    socket: Duplex,
  ) {
    this.id = id;
    this.ws = ws;
    this.socket = socket;
    this.principal = principal;
    this.bucket = bucket;
    this.onSent = () => {
      this.inFlight = false;
    };
  }
}

/** One tick's view of one viewport, shared by every viewer of that viewport. */
interface ViewGroup {
  view: Uint8Array;
  /** Encoded frames by the base tick they apply to (-1: keyframe). */
  frames: Map<number, Uint8Array>;
  /** The same, compressed for viewers that asked (made once, on first need) [GW-9]. */
  deflated: Map<number, Uint8Array>;
}

/**
 * A WebSocket gateway.
 *
 * @example
 * ```ts
 * const gateway = new Gateway({
 *   port: 8080,
 *   auth: { mode: 'none' }, // loopback only
 *   state: { width: 100, height: 100, snapshot: (out) => out.set(grid) },
 *   commands: defineCommands({ pause: { args: simulationCommands.pause, run: () => sim.pause() } }),
 * });
 * const { url } = await gateway.listen(); // ws://127.0.0.1:8080/ws
 * gateway.publishEvent('started', { agents: 10_000 });
 * await gateway.close();
 * ```
 */
export class Gateway {
  /** Random per instance: sequence numbers of two instances never mix. [GW-3] */
  readonly epoch: string = randomBytes(8).toString('hex');
  readonly path: string;
  readonly fps: number;
  #options: GatewayOptions;
  #auth: Authenticator;
  #host: string;
  #server: HttpServer | HttpsServer | null = null;
  #ownServer: boolean;
  #wss: WebSocketServer;
  #log: EventLog;
  #sessions = new Set<Session>();
  #stateSessions = new Set<Session>();
  #eventSessions = new Set<Session>();
  /** Sessions in #eventSessions with `batch` [GW-8]. */
  #batchSessions = 0;
  /** The first seq not yet flushed to batch sessions; the pending flush. [GW-8] */
  #flushFrom = 1;
  #flush: NodeJS.Immediate | null = null;
  /** Sockets corked in this turn, uncorked by #uncork at its end [GW-10]. */
  #corked: Session[] = [];
  #uncorking = false;
  #pending = new Set<Duplex>();
  #encoder = new StateFrameEncoder();
  #grid = new Uint8Array(0);
  #gridW = 0;
  #gridH = 0;
  #tick = 0;
  #ticker: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #listening = false;
  #closing: Promise<void> | null = null;
  #nextSession = 1;
  #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void =>
    this.#upgrade(req, socket, head);
  #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.#serveStatic(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
  #limits: Required<GatewayLimits>;
  #stats: GatewayStats = {
    connections: 0,
    accepted: 0,
    rejectedUnauthorized: 0,
    rejectedBusy: 0,
    closedRateLimited: 0,
    closedSlowConsumer: 0,
    heartbeatTimeouts: 0,
    messagesIn: 0,
    errorsSent: 0,
    errorsDropped: 0,
    eventsPublished: 0,
    lastSeq: 0,
    commandsApplied: 0,
    commandsRefused: 0,
    stateTicks: 0,
    stateFramesSent: 0,
    stateFramesSkipped: 0,
    stateFramesDeflated: 0,
    stateKeyframes: 0,
    stateBytesSent: 0,
    snapshotErrors: 0,
    internalErrors: 0,
  };

  /**
   * @throws GatewayInsecureError for `auth: { mode: 'none' }` on a non-loopback host. [AUTH-1]
   * @throws InvalidArgumentError for an option out of range.
   */
  constructor(options: GatewayOptions) {
    this.#options = options;
    this.#host = options.host ?? '127.0.0.1';
    this.path = options.path ?? '/ws';
    this.fps = options.fps ?? 30;
    if (!(this.fps > 0 && this.fps <= 1000)) {
      throw new InvalidArgumentError('fps', this.fps, 'must be > 0 and <= 1000');
    }
    if (!this.path.startsWith('/')) {
      throw new InvalidArgumentError('path', this.path, 'must start with /');
    }
    if (options.auth.mode === 'none' && options.server === undefined && !isLoopback(this.#host)) {
      throw new GatewayInsecureError(this.#host);
    }
    this.#auth = new Authenticator(options.auth);
    const l = options.limits ?? {};
    this.#limits = {
      maxPayload: l.maxPayload ?? 65_536,
      ratePerSec: l.ratePerSec ?? 50,
      burst: l.burst ?? 100,
      floodStrikes: l.floodStrikes ?? 50,
      maxBufferedBytes: l.maxBufferedBytes ?? 8 * 1024 * 1024,
      stateBufferedBytes: l.stateBufferedBytes ?? 256 * 1024,
      maxViewCells: l.maxViewCells ?? 1 << 20,
      maxCollabSubscriptions: l.maxCollabSubscriptions ?? 64,
      maxConnections: l.maxConnections ?? 10_000,
    };
    for (const [name, value] of Object.entries(this.#limits)) {
      if (!(typeof value === 'number' && value > 0)) {
        throw new InvalidArgumentError(`limits.${name}`, value, 'must be a number > 0');
      }
    }
    this.#log = new EventLog(options.replay ?? 10_000);
    this.#ownServer = options.server === undefined;
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: this.#limits.maxPayload,
      perMessageDeflate: options.permessageDeflate ?? false,
      // [PROTO-2] choose ours when offered; a client offering only others gets none and fails
      handleProtocols: (offered) => (offered.has(PROTOCOL) ? PROTOCOL : false),
    });
  }

  /** The events replay buffer's newest sequence number (0 before the first event). */
  get lastSeq(): number {
    return this.#log.lastSeq;
  }

  /** The streams this gateway serves. */
  get streams(): StreamName[] {
    const s: StreamName[] = ['events'];
    if (this.#options.state !== undefined) s.push('state');
    if (this.#options.commands !== undefined) s.push('control');
    if (this.#options.connector !== undefined) s.push('collab');
    return s;
  }

  /** A copy of the gateway's counters. */
  get stats(): GatewayStats {
    return { ...this.#stats, connections: this.#sessions.size, lastSeq: this.#log.lastSeq };
  }

  /** The counters of every open session. */
  sessionStats(): SessionStats[] {
    return [...this.#sessions].map((s) => ({
      id: s.id,
      subject: s.principal.subject,
      role: s.principal.role,
      messagesIn: s.messagesIn,
      errorsSent: s.errorsSent,
      errorsDropped: s.errorsDropped,
      eventsSent: s.eventsSent,
      framesSent: s.framesSent,
      framesSkipped: s.framesSkipped,
      keyframes: s.keyframes,
      stateBytesSent: s.stateBytesSent,
      bufferedAmount: s.ws.bufferedAmount,
      viewport: s.viewport,
    }));
  }

  /**
   * Start serving. With its own server, listen on `host:port`; with `options.server`, attach
   * to it (and listen on `host:port` if it does not listen yet).
   *
   * @returns the WebSocket URL clients connect to, and the port.
   * @throws GatewayInsecureError if an attached server listens on a non-loopback address
   *   with `auth: { mode: 'none' }`. [AUTH-1]
   */
  async listen(): Promise<{ url: string; port: number; host: string }> {
    if (this.#closing !== null) throw new ClosedError('gateway');
    if (this.#listening) throw new InvalidArgumentError('listen', 'twice', 'already listening');
    const o = this.#options;
    let server = o.server;
    if (server === undefined) {
      server =
        o.tls === undefined
          ? createHttpServer(this.#onRequest)
          : createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, this.#onRequest);
    }
    this.#server = server;
    if (!server.listening) {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(o.port ?? 0, this.#host, () => {
          server.off('error', fail);
          ok();
        });
      });
    }
    const address = server.address() as AddressInfo;
    if (o.auth.mode === 'none' && !isLoopback(address.address)) {
      if (this.#ownServer) server.close();
      throw new GatewayInsecureError(address.address);
    }
    server.on('upgrade', this.#onUpgrade);
    this.#listening = true;
    this.#heartbeat = setInterval(() => this.#beat(), o.heartbeatMs ?? 15_000);
    const secure = this.#ownServer ? o.tls !== undefined : 'setSecureContext' in server;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return {
      url: `${secure ? 'wss' : 'ws'}://${host}:${address.port}${this.path}`,
      port: address.port,
      host: address.address,
    };
  }

  /**
   * Append an event to the `events` stream and send it to every subscriber.
   *
   * @returns its sequence number.
   * @throws InvalidArgumentError for an empty type; TypeError if `data` is not serialisable
   *   (nothing is published then). [EVL-1]
   * @example
   * ```ts
   * gateway.publishEvent('converged', { r: 0.97, t: 412.5 });
   * ```
   */
  publishEvent(type: string, data: unknown): number {
    if (typeof type !== 'string' || type.length === 0 || type.length > 128) {
      throw new InvalidArgumentError('event type', type, 'must be a string of 1-128 characters');
    }
    const text = this.#log.append(type, data, Date.now());
    this.#stats.eventsPublished++;
    if (this.#eventSessions.size === 0) return this.#log.lastSeq;
    if (this.#batchSessions > 0) {
      this.#flush ??= setImmediate(() => this.#flushBatch()); // [GW-8]
      if (this.#batchSessions === this.#eventSessions.size) return this.#log.lastSeq;
    }
    // UTF-8 once for all subscribers: ws would encode the string again for every socket.
    const bytes = this.#eventSessions.size > 1 ? Buffer.from(text, 'utf8') : text;
    for (const s of this.#eventSessions) {
      if (s.catchingUp || s.batch) continue; // its pump / the batch flush sends it
      if (!s.corked) this.#cork(s);
      s.eventsSent++;
      this.#send(s, bytes);
    }
    return this.#log.lastSeq;
  }

  /** Hold `s`'s writes until the end of this turn [GW-10]. */
  #cork(s: Session): void {
    if (s.closed) return;
    s.corked = true;
    s.socket.cork();
    this.#corked.push(s);
    if (!this.#uncorking) {
      this.#uncorking = true;
      // after the code that is publishing now: its events go out together, and no later
      queueMicrotask(() => this.#uncork());
    }
  }

  #uncork(): void {
    this.#uncorking = false;
    const corked = this.#corked;
    this.#corked = [];
    for (const s of corked) {
      s.corked = false;
      s.socket.uncork();
    }
  }

  /**
   * Send batch sessions the events published since the last flush, several to a frame,
   * each frame encoded once for all of them; evicted ones (more than the replay buffer in
   * one turn) are announced as a gap. [GW-8] [GW-3]
   */
  #flushBatch(): void {
    this.#flush = null;
    const log = this.#log;
    const from = this.#flushFrom;
    const to = log.lastSeq;
    this.#flushFrom = to + 1;
    if (from > to) return;
    let shared: Array<string | Buffer> | null = null;
    for (const s of this.#eventSessions) {
      if (!s.batch || s.catchingUp || s.closed) continue;
      const start = Math.max(from, s.liveFrom);
      if (start > to) continue;
      const frames =
        start === from ? (shared ??= this.#batchFrames(from, to)) : this.#batchFrames(start, to);
      s.liveFrom = to + 1;
      s.eventsSent += to - Math.max(start, log.oldestSeq) + 1;
      for (const f of frames) this.#send(s, f);
    }
  }

  /** Frames carrying the logged events `from..to`: a gap for evicted ones, then batches. */
  #batchFrames(from: number, to: number): Array<string | Buffer> {
    const log = this.#log;
    const frames: Array<string | Buffer> = [];
    let seq = from;
    if (seq < log.oldestSeq) {
      frames.push(JSON.stringify({ type: 'gap', from: seq, to: log.oldestSeq - 1 }));
      seq = log.oldestSeq;
    }
    while (seq <= to) {
      const end = Math.min(to, seq + BATCH_MAX - 1);
      frames.push(Buffer.from(this.#batchText(seq, end), 'utf8'));
      seq = end + 1;
    }
    return frames;
  }

  /** `{type:'events', events:[...]}` of the held events `from..to`. */
  #batchText(from: number, to: number): string {
    const texts: string[] = [];
    for (let seq = from; seq <= to; seq++) texts.push(this.#log.get(seq)!);
    return `{"type":"events","events":[${texts.join(',')}]}`;
  }

  /**
   * Close every session with a close frame carrying `code` (default 1001, going away), stop
   * the timers, and close the server if the gateway created it. [GW-6] Idempotent.
   */
  close(code: number = CloseCode.GOING_AWAY, reason = 'gateway closing'): Promise<void> {
    this.#closing ??= this.#close(code, reason);
    return this.#closing;
  }

  async #close(code: number, reason: string): Promise<void> {
    this.#stopTicker();
    if (this.#flush !== null) clearImmediate(this.#flush);
    this.#flush = null;
    this.#uncork();
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
    const server = this.#server;
    server?.off('upgrade', this.#onUpgrade);
    const closed: Promise<void>[] = [];
    for (const s of this.#sessions) {
      closed.push(new Promise((ok) => s.ws.once('close', () => ok())));
      this.#endSession(s);
      s.ws.close(code, reason);
    }
    if (closed.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((ok) => {
        timer = setTimeout(ok, this.#options.closeTimeoutMs ?? 2000);
      });
      await Promise.race([Promise.all(closed), timeout]);
      clearTimeout(timer);
      for (const s of this.#sessions) s.ws.terminate();
    }
    this.#sessions.clear();
    this.#wss.close();
    if (server !== null && this.#ownServer && server.listening) {
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
    }
  }

  // ---- connections ------------------------------------------------------------------

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    if (url.pathname !== this.path) {
      // Another path: leave it to the server's other upgrade handlers, if it has any.
      if (this.#ownServer || this.#server?.listenerCount('upgrade') === 1) {
        refuse(socket, 404, 'Not Found', { code: 'not-found', message: 'no such path' });
      }
      return;
    }
    if (this.#closing !== null) {
      refuse(socket, 503, 'Service Unavailable', { message: 'gateway closing' });
      return;
    }
    if (this.#sessions.size + this.#pending.size >= this.#limits.maxConnections) {
      this.#stats.rejectedBusy++;
      refuse(socket, 503, 'Service Unavailable', { message: 'too many connections' });
      return;
    }
    // A socket that errors while its token is checked must not become an uncaught error.
    const onError = (): void => void socket.destroy();
    socket.on('error', onError);
    this.#pending.add(socket);
    this.#auth.authenticate(req).then(
      (principal) => {
        this.#pending.delete(socket);
        socket.off('error', onError);
        if (this.#closing !== null || socket.destroyed) {
          socket.destroy();
          return;
        }
        this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, principal, socket));
      },
      (error: unknown) => {
        this.#pending.delete(socket);
        socket.off('error', onError);
        this.#stats.rejectedUnauthorized++;
        const e =
          error instanceof CascadeError ? error : new UnauthorizedError('authentication failed');
        refuse(socket, 401, 'Unauthorized', { code: e.code, message: e.message });
      },
    );
  }

  #accept(ws: WebSocket, principal: Principal, socket: Duplex): void {
    if (this.#closing !== null) {
      // close() began while the handshake finished: it no longer sees this socket. [GW-6]
      ws.close(CloseCode.GOING_AWAY, 'gateway closing');
      return;
    }
    const l = this.#limits;
    const id = `${this.epoch.slice(0, 4)}-${this.#nextSession++}-${randomBytes(4).toString('hex')}`;
    const s = new Session(id, ws, principal, new TokenBucket(l.ratePerSec, l.burst), socket);
    this.#sessions.add(s);
    this.#stats.accepted++;
    ws.on('message', (data, isBinary) => this.#onMessage(s, data, isBinary));
    ws.on('pong', () => {
      s.pongPending = false;
    });
    // ws reports protocol violations (too big, bad frames) here, then closes the socket.
    ws.on('error', () => {});
    ws.on('close', () => {
      this.#endSession(s);
      this.#sessions.delete(s);
    });
    if (principal.expiresAt !== null) {
      const ms = Math.min(Math.max(principal.expiresAt - Date.now(), 0), 2_147_483_647);
      s.expiry = setTimeout(() => ws.close(CloseCode.UNAUTHORIZED, 'token expired'), ms);
    }
    this.#sendMessage(s, this.#hello(s));
  }

  #hello(s: Session): HelloMessage {
    const o = this.#options;
    const src = o.state;
    return {
      type: 'hello',
      protocol: PROTOCOL,
      session: s.id,
      epoch: this.epoch,
      role: s.principal.role,
      streams: this.streams,
      state:
        src === undefined
          ? null
          : {
              width: src.width,
              height: src.height,
              fps: this.fps,
              maxViewCells: this.#limits.maxViewCells,
            },
      events: {
        lastSeq: this.#log.lastSeq,
        oldestSeq: this.#log.oldestSeq,
        capacity: this.#log.capacity,
      },
      control: o.commands === undefined ? null : { commands: Object.keys(o.commands.schemas) },
      collab:
        o.connector === undefined
          ? null
          : { sub: [...s.principal.topics.sub], pub: [...s.principal.topics.pub] },
      limits: {
        maxPayload: this.#limits.maxPayload,
        ratePerSec: this.#limits.ratePerSec,
        burst: this.#limits.burst,
      },
      heartbeatMs: o.heartbeatMs ?? 15_000,
    };
  }

  /** Forget a session's subscriptions and timers (its socket is closing or closed). */
  #endSession(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    if (s.expiry !== null) clearTimeout(s.expiry);
    s.expiry = null;
    for (const sub of s.collab.values()) sub.unsubscribe();
    s.collab.clear();
    this.#leaveEvents(s);
    if (this.#stateSessions.delete(s) && this.#stateSessions.size === 0) this.#stopTicker();
    s.lastView = null;
  }

  #beat(): void {
    const misses = this.#options.heartbeatMisses ?? 2;
    for (const s of this.#sessions) {
      if (s.pongPending) {
        if (++s.missed >= misses) {
          this.#stats.heartbeatTimeouts++;
          this.#endSession(s);
          s.ws.terminate();
          continue;
        }
      } else {
        s.missed = 0;
      }
      s.pongPending = true;
      s.ws.ping();
    }
  }

  // ---- sending ------------------------------------------------------------------------

  /**
   * Send a text frame; close the session as a slow consumer past `maxBufferedBytes`. [GW-3]
   * A replay is not checked: it is bounded by the replay buffer, and closing a client for the
   * backlog it just asked for would make it ask again forever.
   */
  #send(s: Session, text: string | Buffer, check = true): void {
    if (s.closed || s.ws.readyState !== WebSocket.OPEN) return;
    s.ws.send(text, AS_TEXT);
    if (check && s.ws.bufferedAmount > this.#limits.maxBufferedBytes) {
      this.#stats.closedSlowConsumer++;
      this.#endSession(s);
      s.ws.close(CloseCode.SLOW_CONSUMER, 'slow consumer');
    }
  }

  #sendMessage(s: Session, message: ServerMessage): void {
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch {
      // A command result or collab payload that is not JSON: say so instead of throwing.
      text = JSON.stringify({
        type: 'error',
        code: ErrorCode.INVALID_ARGUMENT,
        message: `a ${message.type} message could not be serialised`,
      });
    }
    this.#send(s, text);
  }

  /** An error frame, dropped (and counted) when the client does not read. [GW-7] */
  #error(s: Session, code: ErrorCode, message: string, id?: string | number): void {
    if (s.ws.bufferedAmount > this.#limits.stateBufferedBytes) {
      s.errorsDropped++;
      this.#stats.errorsDropped++;
      return;
    }
    s.errorsSent++;
    this.#stats.errorsSent++;
    this.#sendMessage(s, { type: 'error', code, message, ...(id !== undefined && { id }) });
  }

  // ---- receiving ----------------------------------------------------------------------

  #onMessage(s: Session, data: RawData, isBinary: boolean): void {
    if (s.closed) return;
    s.messagesIn++;
    this.#stats.messagesIn++;
    try {
      if (!s.bucket.take()) {
        // [GW-1] refused unread; a client that keeps going is closed as a flood
        if (++s.strikes > this.#limits.floodStrikes) {
          this.#stats.closedRateLimited++;
          this.#endSession(s);
          s.ws.close(CloseCode.RATE_LIMITED, 'rate limit exceeded');
          return;
        }
        this.#error(s, ErrorCode.RATE_LIMITED, 'too many messages; slow down');
        return;
      }
      s.strikes = 0;
      if (isBinary) {
        this.#error(s, ErrorCode.BAD_JSON, 'binary messages are not accepted; send JSON text');
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(rawText(data));
      } catch {
        this.#error(s, ErrorCode.BAD_JSON, 'message is not valid JSON');
        return;
      }
      const type = (raw as { type?: unknown } | null)?.type;
      const id = idOf(raw);
      if (typeof type !== 'string' || !CLIENT_MESSAGE_TYPES.has(type)) {
        this.#error(
          s,
          ErrorCode.UNKNOWN_MESSAGE,
          `unknown message type ${JSON.stringify(type) ?? 'undefined'}`,
          id,
        );
        return;
      }
      const parsed = ClientMessage.safeParse(raw);
      if (!parsed.success) {
        this.#error(s, ErrorCode.INVALID_MESSAGE, z.prettifyError(parsed.error), id);
        return;
      }
      this.#dispatch(s, parsed.data);
    } catch (error) {
      // A bug of ours or of a handler: this session gets an error frame, nobody else notices.
      this.#stats.internalErrors++;
      this.#error(
        s,
        error instanceof CascadeError ? error.code : ErrorCode.INVALID_MESSAGE,
        error instanceof Error ? error.message : String(error),
      );
    }
  }

  #dispatch(s: Session, m: ClientMessage): void {
    switch (m.type) {
      case 'subscribe':
        for (const stream of m.streams) {
          if (stream === 'state' && this.#options.state === undefined) {
            this.#error(s, ErrorCode.UNKNOWN_STREAM, 'this gateway has no state stream');
            return;
          }
        }
        for (const stream of m.streams) {
          if (stream === 'events') {
            this.#joinEvents(s, m.batch === true);
            s.liveFrom = this.#log.lastSeq + 1; // live from now on [GW-8]
          } else if (!s.stateOn) {
            s.stateOn = true;
            s.deflate = m.deflate === true;
            s.needsKey = true;
            if (s.viewport === null) this.#setViewport(s, {});
            this.#stateSessions.add(s);
            this.#startTicker();
          }
        }
        this.#sendMessage(s, { type: 'subscribed', streams: m.streams });
        return;
      case 'unsubscribe':
        for (const stream of m.streams) {
          if (stream === 'events') this.#leaveEvents(s);
          else if (s.stateOn) {
            s.stateOn = false;
            s.lastView = null;
            this.#stateSessions.delete(s);
            if (this.#stateSessions.size === 0) this.#stopTicker();
          }
        }
        this.#sendMessage(s, { type: 'unsubscribed', streams: m.streams });
        return;
      case 'viewport':
        if (this.#options.state === undefined) {
          this.#error(s, ErrorCode.UNKNOWN_STREAM, 'this gateway has no state stream');
          return;
        }
        this.#setViewport(s, m);
        return;
      case 'resume':
        this.#resume(s, m.epoch, m.lastSeq, m.batch === true);
        return;
      case 'control':
        void this.#control(s, m.id, m.cmd, m.args);
        return;
      case 'collab-subscribe':
        this.#collabSubscribe(s, m.pattern);
        return;
      case 'collab-unsubscribe': {
        const sub = s.collab.get(m.pattern);
        if (sub !== undefined) {
          sub.unsubscribe();
          s.collab.delete(m.pattern);
        }
        this.#sendMessage(s, { type: 'collab-unsubscribed', pattern: m.pattern });
        return;
      }
      case 'collab-publish':
        this.#collabPublish(s, m.topic, m.payload, m.retain === true);
        return;
    }
  }

  // ---- events -------------------------------------------------------------------------

  /** Add `s` to the events stream, one event a frame or in batches [GW-8]. */
  #joinEvents(s: Session, batch: boolean): void {
    this.#leaveEvents(s);
    s.batch = batch;
    this.#eventSessions.add(s);
    if (batch) this.#batchSessions++;
  }

  #leaveEvents(s: Session): void {
    if (this.#eventSessions.delete(s) && s.batch) this.#batchSessions--;
  }

  /** Replay what the client missed, then subscribe it live, in one turn. [GW-3] */
  #resume(s: Session, epoch: string, lastSeq: number, batch: boolean): void {
    if (epoch !== this.epoch) {
      this.#sendMessage(s, {
        type: 'epoch-changed',
        epoch: this.epoch,
        lastSeq: this.#log.lastSeq,
      });
      this.#joinEvents(s, batch);
      s.liveFrom = this.#log.lastSeq + 1;
      return;
    }
    if (lastSeq > this.#log.lastSeq) {
      this.#error(
        s,
        ErrorCode.INVALID_MESSAGE,
        `lastSeq ${lastSeq} is ahead of this epoch's last event ${this.#log.lastSeq}`,
      );
      return;
    }
    // Catch up from the log at the pace the client reads; live events published meanwhile
    // are read from the log too, so the switch to live loses and repeats nothing. [GW-3]
    s.cursor = lastSeq + 1;
    s.resumeFrom = lastSeq + 1;
    s.replayed = 0;
    s.catchingUp = true;
    this.#joinEvents(s, batch);
    this.#pump(s);
  }

  /**
   * Send a catching-up session the logged events after its cursor while its socket holds
   * less than `stateBufferedBytes`; continue when the last one sent is flushed. Events
   * evicted before the cursor reached them are announced as a `gap`. [EVL-2]
   */
  #pump(s: Session): void {
    if (s.closed || !s.catchingUp) return;
    const log = this.#log;
    const limit = this.#limits.stateBufferedBytes;
    while (s.cursor <= log.lastSeq) {
      if (s.ws.bufferedAmount > limit) {
        // Re-armed when what is queued is flushed: a ping's callback fires once it, and so
        // everything before it, is handed to the kernel. No timer, no busy loop, no message
        // the client has to know about (it answers the ping like any other).
        s.ws.ping(undefined, undefined, () => this.#pump(s));
        return;
      }
      if (s.cursor < log.oldestSeq) {
        this.#sendMessage(s, { type: 'gap', from: s.cursor, to: log.oldestSeq - 1 });
        s.cursor = log.oldestSeq;
        continue;
      }
      // [GW-8] a batch session catches up several events a frame
      const end = s.batch ? Math.min(log.lastSeq, s.cursor + BATCH_MAX - 1) : s.cursor;
      const text = s.batch ? this.#batchText(s.cursor, end) : log.get(s.cursor)!;
      const n = end - s.cursor + 1;
      s.cursor = end + 1;
      s.replayed += n;
      s.eventsSent += n;
      this.#send(s, text, false);
    }
    s.catchingUp = false;
    s.liveFrom = log.lastSeq + 1; // [GW-8] the flush sends what comes next
    this.#sendMessage(s, {
      type: 'resumed',
      from: s.resumeFrom,
      to: log.lastSeq,
      replayed: s.replayed,
    });
  }

  // ---- control ------------------------------------------------------------------------

  async #control(s: Session, id: string | number, cmd: string, args: unknown): Promise<void> {
    const handler = this.#options.commands;
    const nack = (code: ErrorCode, message: string): void => {
      this.#stats.commandsRefused++;
      this.#sendMessage(s, { type: 'nack', id, code, message });
    };
    if (handler === undefined) {
      nack(ErrorCode.UNKNOWN_STREAM, 'this gateway has no control stream');
      return;
    }
    if (!maySteer(s.principal.role)) {
      nack(ErrorCode.FORBIDDEN, `role ${s.principal.role} may not send commands`);
      return;
    }
    if (!Object.hasOwn(handler.schemas, cmd)) {
      nack(ErrorCode.UNKNOWN_COMMAND, `unknown command ${JSON.stringify(cmd)}`);
      return;
    }
    const parsed = handler.schemas[cmd].safeParse(args ?? {});
    if (!parsed.success) {
      nack(ErrorCode.INVALID_COMMAND, `${cmd}: ${z.prettifyError(parsed.error)}`); // [CMD-1]
      return;
    }
    const ctx = { session: s.id, subject: s.principal.subject, role: s.principal.role };
    let result: unknown;
    try {
      result = await handler.apply(cmd, parsed.data, ctx);
    } catch (error) {
      nack(ErrorCode.COMMAND_FAILED, error instanceof Error ? error.message : String(error));
      return;
    }
    this.#stats.commandsApplied++;
    this.#sendMessage(s, { type: 'ack', id, result: result ?? null });
    try {
      this.publishEvent('command-applied', {
        id,
        cmd,
        args: parsed.data,
        result: result ?? null,
        by: ctx,
      }); // [GW-4]
    } catch {
      // A result that is not JSON: still say which command was applied.
      this.publishEvent('command-applied', { id, cmd, args: parsed.data, result: null, by: ctx });
    }
  }

  // ---- collab -------------------------------------------------------------------------

  #collabSubscribe(s: Session, pattern: string): void {
    const connector = this.#options.connector;
    if (connector === undefined) {
      this.#error(s, ErrorCode.UNKNOWN_STREAM, 'this gateway has no collab stream');
      return;
    }
    try {
      validatePattern(pattern);
    } catch (error) {
      this.#error(s, ErrorCode.INVALID_TOPIC, (error as Error).message);
      return;
    }
    if (!maySubscribe(s.principal.topics, pattern)) {
      this.#error(s, ErrorCode.FORBIDDEN, `subscribing to ${pattern} is not allowed`); // [GW-5]
      return;
    }
    if (s.collab.has(pattern)) {
      this.#sendMessage(s, { type: 'collab-subscribed', pattern });
      return;
    }
    if (s.collab.size >= this.#limits.maxCollabSubscriptions) {
      this.#error(
        s,
        ErrorCode.LIMIT_EXCEEDED,
        `at most ${this.#limits.maxCollabSubscriptions} collab subscriptions per session`,
      );
      return;
    }
    // Acknowledged first: retained messages may arrive inside subscribe() itself. [CON-4]
    this.#sendMessage(s, { type: 'collab-subscribed', pattern });
    const sub = connector.subscribe(pattern, (topic, payload) => {
      this.#sendMessage(s, { type: 'collab', topic, payload });
    });
    if (s.closed) sub.unsubscribe();
    else s.collab.set(pattern, sub);
  }

  #collabPublish(s: Session, topic: string, payload: unknown, retain: boolean): void {
    const connector = this.#options.connector;
    if (connector === undefined) {
      this.#error(s, ErrorCode.UNKNOWN_STREAM, 'this gateway has no collab stream');
      return;
    }
    try {
      validateTopic(topic);
    } catch (error) {
      this.#error(s, ErrorCode.INVALID_TOPIC, (error as Error).message);
      return;
    }
    if (!mayPublish(s.principal.topics, topic)) {
      this.#error(s, ErrorCode.FORBIDDEN, `publishing on ${topic} is not allowed`); // [GW-5]
      return;
    }
    let done: Promise<void>;
    try {
      done = connector.publish(topic, payload, { retain });
    } catch (error) {
      // A connector used before connect(): the gateway's owner's mistake, this client's error.
      const code = error instanceof CascadeError ? error.code : ErrorCode.PUBLISH_FAILED;
      this.#error(s, code, (error as Error).message);
      return;
    }
    done.catch((error: unknown) => {
      this.#error(
        s,
        ErrorCode.PUBLISH_FAILED,
        `publish on ${topic} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  // ---- state --------------------------------------------------------------------------

  #setViewport(
    s: Session,
    m: { x?: number; y?: number; w?: number; h?: number; cols?: number; rows?: number },
  ): void {
    const src = this.#options.state!;
    const W = src.width;
    const H = src.height;
    const x = m.x ?? 0;
    const y = m.y ?? 0;
    if (x >= W || y >= H) {
      this.#error(s, ErrorCode.INVALID_MESSAGE, `viewport origin ${x},${y} is outside ${W}x${H}`);
      return;
    }
    const w = Math.min(m.w ?? W - x, W - x);
    const h = Math.min(m.h ?? H - y, H - y);
    let cols = Math.min(m.cols ?? w, w);
    let rows = Math.min(m.rows ?? h, h);
    const max = this.#limits.maxViewCells;
    if (cols * rows > max) {
      if (m.cols !== undefined || m.rows !== undefined) {
        this.#error(
          s,
          ErrorCode.LIMIT_EXCEEDED,
          `viewport ${cols}x${rows} is more than ${max} cells`,
        );
        return;
      }
      // No resolution asked: the largest one within the limit, same aspect.
      const f = Math.sqrt(max / (cols * rows));
      cols = Math.max(1, Math.floor(cols * f));
      rows = Math.max(1, Math.floor(rows * f));
    }
    s.viewport = { x, y, w, h, cols, rows };
    s.viewKey = `${x},${y},${w},${h},${cols},${rows}`;
    s.needsKey = true;
  }

  #startTicker(): void {
    if (this.#ticker !== null || this.#closing !== null) return;
    this.#ticker = setInterval(() => this.#stateTick(), 1000 / this.fps);
  }

  #stopTicker(): void {
    if (this.#ticker !== null) clearInterval(this.#ticker);
    this.#ticker = null;
  }

  /** One state tick: read the source once, one view per distinct viewport. [GW-2] */
  #stateTick(): void {
    const src = this.#options.state!;
    const W = src.width;
    const H = src.height;
    if (W !== this.#gridW || H !== this.#gridH) {
      // The source changed size: every viewer starts again from its default view.
      this.#grid = new Uint8Array(W * H);
      this.#gridW = W;
      this.#gridH = H;
      if (this.#tick > 0) for (const s of this.#stateSessions) this.#setViewport(s, {});
    }
    try {
      src.snapshot(this.#grid);
    } catch {
      this.#stats.snapshotErrors++;
      return;
    }
    const tick = ++this.#tick;
    this.#stats.stateTicks++;
    const time = Date.now();
    const groups = new Map<string, ViewGroup>();
    const stateBuffered = this.#limits.stateBufferedBytes;
    for (const s of this.#stateSessions) {
      const vp = s.viewport;
      if (vp === null || s.closed) continue;
      if (s.inFlight || s.ws.bufferedAmount > stateBuffered) {
        s.framesSkipped++;
        this.#stats.stateFramesSkipped++;
        continue;
      }
      let g = groups.get(s.viewKey);
      if (g === undefined) {
        const view = new Uint8Array(vp.cols * vp.rows);
        downsampleMax(this.#grid, W, vp, view);
        g = { view, frames: new Map(), deflated: new Map() };
        groups.set(s.viewKey, g);
      }
      const base = s.needsKey || s.lastView === null ? -1 : s.lastTick;
      let frame = g.frames.get(base);
      if (frame === undefined) {
        frame =
          base === -1
            ? this.#encoder.encode(g.view, null, vp, tick, time)
            : this.#encoder.encode(g.view, s.lastView, vp, tick, time, base);
        g.frames.set(base, frame);
      }
      if (s.deflate) {
        let small = g.deflated.get(base);
        if (small === undefined) {
          small = deflateStateFrame(frame); // [GW-9] once per group and base
          this.#stats.stateFramesDeflated++;
          g.deflated.set(base, small);
        }
        frame = small;
      }
      // A group's view is made new each tick and never written after: every viewer of it
      // shares it as the base of its next delta instead of a copy of its own.
      s.lastView = g.view;
      s.lastTick = tick;
      s.needsKey = false;
      s.inFlight = true;
      s.framesSent++;
      s.stateBytesSent += frame.length;
      this.#stats.stateFramesSent++;
      this.#stats.stateBytesSent += frame.length;
      if (frame[0] === 1) {
        s.keyframes++;
        this.#stats.stateKeyframes++;
      }
      s.ws.send(frame, s.onSent);
    }
  }

  // ---- static files -------------------------------------------------------------------

  async #serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const dir = this.#options.staticDir;
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    if (url.pathname === this.path) {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n');
      return;
    }
    if (dir === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const root = resolve(dir);
    let file: string;
    try {
      file = resolve(root, `.${decodeURIComponent(url.pathname)}`);
    } catch {
      res.writeHead(400).end();
      return;
    }
    // Nothing outside the directory, whatever `..` or encoded slashes the path holds.
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    let info = await stat(file).catch(() => null);
    if (info?.isDirectory() === true) {
      file = resolve(file, 'index.html');
      info = await stat(file).catch(() => null);
    }
    if (info === null || !info.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }
}

function refuse(socket: Duplex, status: number, text: string, body: object): void {
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nConnection: close\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
  }
  // end() flushes the answer; destroy soon after in case the peer never closes its side.
  (socket as Socket).setTimeout?.(1000, () => socket.destroy());
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function idOf(raw: unknown): string | number | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}
