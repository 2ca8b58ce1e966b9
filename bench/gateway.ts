/**
 * Gateway benchmark: `npx tsx bench/gateway.ts [options]` (`--help` lists them). The gateway
 * runs here; its clients, raw `ws` WebSockets, run in a child process (bench/gateway-clients.ts)
 * so they do not share the server's event loop. Phases, in order: connect N clients, control
 * round trips, events broadcast to all N, state frames to V viewers, and the same broadcast
 * through a plain `ws` server as a peer. Also measures, without sockets, what delta encoding
 * of state frames saves on synthetic flashing grids.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocketServer, type WebSocket } from 'ws';
import { numberOption, parseBenchArgs, type BenchUsage } from './args.js';
import {
  Gateway,
  StateFrameEncoder,
  defineCommands,
  downsampleMax,
  simulationCommands,
  type StateSource,
  type Viewport,
} from '../src/gateway/index.js';

const usage: BenchUsage = {
  script: 'bench/gateway.ts',
  about:
    'Connects N raw ws clients (child process) to a Gateway on 127.0.0.1 and measures connect\n' +
    'time, server memory per connection, control ack round trips, events delivered per second\n' +
    'across all N with latency, state frames per second per viewer and frame age; then the same\n' +
    'broadcast through a plain ws server. Also the size of delta vs key state frames on\n' +
    'synthetic flashing grids. Prints the parameters, the machine and a table.',
  options: [
    ['--connections <n>', 'clients held open (default 2000)'],
    ['--events <n>', 'events broadcast to every client (default 200)'],
    ['--viewers <n>', 'clients subscribed to the state stream (default 50)'],
    ['--grid <n>', 'state source side: an n x n grid (default 1000)'],
    ['--view <n>', 'viewers ask for an n x n view of the whole grid (default 200)'],
    ['--fps <n>', 'state ticks per second (default 30)'],
    ['--seconds <n>', 'how long the viewers watch (default 3)'],
    [
      '--commands <n>',
      'control commands sent one after another, after as many unmeasured to warm up (default 300)',
    ],
    ['--connect-rate <n>', 'paced connects per second while the others stay open (default 500)'],
    ['--paced <n>', 'connections opened at --connect-rate (default 1000)'],
    ['--event-rate <n>', 'sustained phase: events per second to every client (default 50)'],
    ['--event-tick <ms>', 'sustained phase: events are published every this many ms (default 200)'],
    ['--event-seconds <n>', 'sustained phase: how long it publishes (default 5)'],
    ['--json', 'print the result as JSON'],
  ],
};

const values = parseBenchArgs(usage, {
  options: {
    connections: { type: 'string' },
    events: { type: 'string' },
    viewers: { type: 'string' },
    grid: { type: 'string' },
    view: { type: 'string' },
    fps: { type: 'string' },
    seconds: { type: 'string' },
    commands: { type: 'string' },
    'connect-rate': { type: 'string' },
    paced: { type: 'string' },
    'event-rate': { type: 'string' },
    'event-tick': { type: 'string' },
    'event-seconds': { type: 'string' },
    json: { type: 'boolean' },
  },
});
const int = (option: string, text: string | undefined, dflt: number): number =>
  text === undefined ? dflt : numberOption(usage, option, text, { integer: true, min: 1 });
const params = {
  connections: int('--connections', values.connections, 2000),
  events: int('--events', values.events, 200),
  viewers: int('--viewers', values.viewers, 50),
  grid: int('--grid', values.grid, 1000),
  view: int('--view', values.view, 200),
  fps: int('--fps', values.fps, 30),
  seconds: int('--seconds', values.seconds, 3),
  commands: int('--commands', values.commands, 300),
  connectRate: int('--connect-rate', values['connect-rate'], 500),
  paced: int('--paced', values.paced, 1000),
  eventRate: int('--event-rate', values['event-rate'], 50),
  eventTickMs: int('--event-tick', values['event-tick'], 200),
  eventSeconds: int('--event-seconds', values['event-seconds'], 5),
};
params.viewers = Math.min(params.viewers, params.connections);
params.view = Math.min(params.view, params.grid);
const json = values.json === true;
const log = (line: string): void => {
  if (!json) process.stderr.write(`${line}\n`);
};

function ulimit(flag: string): string {
  try {
    return execFileSync('/bin/sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  openFilesSoft: ulimit('-n'),
  openFilesHard: ulimit('-Hn'),
};

// ---- synthetic flashing grid ----------------------------------------------------------

/**
 * A grid of flashing cells: each frame a share `p` of the cells flashes (255) and every lit
 * cell fades by 64 a frame (a flash stays visible for 4 frames), like a firefly view at 30 fps.
 */
function flashingGrid(side: number, p: number, seed = 7) {
  const grid = new Uint8Array(side * side);
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const step = (): void => {
    for (let i = 0; i < grid.length; i++) if (grid[i] !== 0) grid[i] = Math.max(0, grid[i] - 64);
    const flashes = Math.round(grid.length * p);
    for (let k = 0; k < flashes; k++) grid[Math.floor(rand() * grid.length)] = 255;
  };
  return { grid, step };
}

interface CodecRow {
  flashShare: number;
  view: string;
  keyBytes: number;
  deltaBytes: number;
  saving: number;
}

function codecBench(): CodecRow[] {
  const rows: CodecRow[] = [];
  const side = params.grid;
  for (const p of [0.001, 0.01, 0.05, 0.2]) {
    for (const out of [side, params.view]) {
      const { grid, step } = flashingGrid(side, p);
      const vp: Viewport = { x: 0, y: 0, w: side, h: side, cols: out, rows: out };
      const enc = new StateFrameEncoder();
      let prev = new Uint8Array(out * out);
      let view = new Uint8Array(out * out);
      for (let i = 0; i < 10; i++) step(); // past the start-up: a steady flashing state
      downsampleMax(grid, side, vp, prev);
      let deltaBytes = 0;
      const frames = 30;
      for (let f = 0; f < frames; f++) {
        step();
        downsampleMax(grid, side, vp, view);
        deltaBytes += enc.encode(view, prev, vp, f + 2, 0, f + 1).length;
        [prev, view] = [view, prev];
      }
      const keyBytes = 40 + out * out;
      rows.push({
        flashShare: p,
        view: `${out}x${out}`,
        keyBytes,
        deltaBytes: Math.round(deltaBytes / frames),
        saving: keyBytes / (deltaBytes / frames),
      });
    }
  }
  return rows;
}

// ---- the clients' process -------------------------------------------------------------

class Clients {
  #child: ChildProcess;
  constructor() {
    this.#child = fork(new URL('./gateway-clients.ts', import.meta.url), {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }
  /** Send an op; `onReady` runs when the child says it is ready (events phases). */
  call<T>(msg: object, onReady?: () => void): Promise<T> {
    return new Promise((ok, fail) => {
      const listener = (m: { op: string; result?: T; error?: string }): void => {
        if (m.op === 'ready') onReady?.();
        else {
          this.#child.off('message', listener);
          if (m.op === 'done') ok(m.result!);
          else fail(new Error(m.error));
        }
      };
      this.#child.on('message', listener);
      this.#child.send(msg);
    });
  }
  stop(): void {
    this.#child.disconnect();
  }
}

// A full collection before each memory reading, without asking for --expose-gc on the command line.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

async function settle(): Promise<{ heap: number; rss: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((ok) => setTimeout(ok, 50));
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

/** Publish `count` events to everyone, a few at a time so the sockets get flushed. */
async function broadcast(count: number, send: (seq: number) => void): Promise<void> {
  for (let i = 1; i <= count; i++) {
    send(i);
    if (i % 5 === 0) await new Promise((ok) => setImmediate(ok));
  }
}

const wall = (): number => performance.timeOrigin + performance.now();

/**
 * Publish `count` events at `rate` per second, in ticks of `tickMs`: each tick sends the
 * events due by then, so a client gets them in one batched frame per tick.
 */
async function publishPaced(
  count: number,
  rate: number,
  tickMs: number,
  send: () => void,
): Promise<void> {
  const start = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    for (; sent < due; sent++) send();
    const next = start + (Math.ceil((performance.now() - start) / tickMs) || 1) * tickMs;
    await new Promise((ok) => setTimeout(ok, Math.max(0, next - performance.now())));
  }
}

interface EventsResult {
  delivered: number;
  expected: number;
  firstRecv: number;
  lastRecv: number;
  latencyP50: number;
  latencyP99: number;
}

async function main(): Promise<void> {
  log(`gateway bench: ${JSON.stringify(params)}`);
  log(`machine: ${JSON.stringify(machine)}`);
  const codec = codecBench();

  const { grid, step } = flashingGrid(params.grid, 0.01);
  const source: StateSource = {
    width: params.grid,
    height: params.grid,
    snapshot(out) {
      step();
      out.set(grid);
    },
  };
  let speed = 1;
  const gateway = new Gateway({
    auth: { mode: 'none' },
    state: source,
    fps: params.fps,
    commands: defineCommands({
      speed: { args: simulationCommands.speed, run: ({ x }) => (speed = x) },
    }),
    limits: { ratePerSec: 1e6, burst: 1e6, maxConnections: params.connections + params.paced + 10 },
    heartbeatMs: 30_000,
  });
  const base = await settle();
  const { url } = await gateway.listen();
  const clients = new Clients();
  try {
    log(`connecting ${params.connections} clients...`);
    const conn = await clients.call<{
      connected: number;
      failures: number;
      connectP50: number;
      connectP99: number;
    }>({ op: 'connect', url, n: params.connections });
    const held = await settle();
    const perConnection = {
      heapBytes: (held.heap - base.heap) / conn.connected,
      rssBytes: (held.rss - base.rss) / conn.connected,
    };

    log(`paced connects: ${params.paced} at ${params.connectRate}/s...`);
    const paced = await clients.call<{
      opened: number;
      failures: number;
      ratePerSec: number;
      connectP50: number;
      connectP99: number;
    }>({ op: 'connect-paced', url, n: params.paced, rate: params.connectRate });

    log(`control: ${params.commands} commands...`);
    const control = await clients.call<{ ackP50: number; ackP99: number; refused: number }>({
      op: 'control',
      count: params.commands,
    });

    // one event a frame, then batched [GW-8], the same events to the same clients
    const eventsPhase = async (batch: boolean) => {
      log(`events${batch ? ' (batched)' : ''}: ${params.events} to ${conn.connected} clients...`);
      await clients.call({ op: 'subscribe-events', batch });
      let t0 = 0;
      const ev = await clients.call<EventsResult>(
        { op: 'expect-events', count: params.events, timeoutMs: 60_000 },
        () => {
          t0 = wall();
          void broadcast(params.events, () => {
            gateway.publishEvent('bench', { t: wall() });
          });
        },
      );
      await clients.call({ op: 'unsubscribe-events' });
      return { ...ev, perSec: ev.delivered / ((ev.lastRecv - t0) / 1000) };
    };
    const events = await eventsPhase(false);
    const batched = await eventsPhase(true);

    // Sustained: a steady rate to everyone, batched, the way a live run publishes; what the
    // throughput-with-latency target asks (a burst measures throughput, its latency is queueing).
    const sustainedCount = Math.max(1, Math.round(params.eventRate * params.eventSeconds));
    log(
      `events (sustained): ${params.eventRate}/s to ${conn.connected} clients every ${params.eventTickMs} ms for ${params.eventSeconds} s...`,
    );
    /** The clients' view of `publish` called at the sustained rate, in its ticks. */
    const sustainedPhase = async (
      publish: () => void,
    ): Promise<EventsResult & { perSec: number }> => {
      let t0 = 0;
      const r = await clients.call<EventsResult>(
        {
          op: 'expect-events',
          count: sustainedCount,
          timeoutMs: params.eventSeconds * 1000 + 60_000,
        },
        () => {
          t0 = wall();
          void publishPaced(sustainedCount, params.eventRate, params.eventTickMs, publish);
        },
      );
      return { ...r, perSec: r.delivered / ((r.lastRecv - t0) / 1000) };
    };
    await clients.call({ op: 'subscribe-events', batch: true });
    const sustained = await sustainedPhase(() => gateway.publishEvent('bench', { t: wall() }));
    await clients.call({ op: 'unsubscribe-events' });

    log(`state: ${params.viewers} viewers for ${params.seconds} s...`);
    const state = await clients.call<{
      fpsP50: number;
      fpsMin: number;
      ageP50: number;
      ageP99: number;
      bytesPerFrame: number;
      keyframes: number;
      frames: number;
    }>({ op: 'state', viewers: params.viewers, view: params.view, seconds: params.seconds });
    const gs = gateway.stats;
    await clients.call({ op: 'close-all' });
    await gateway.close();

    log(`peer: plain ws broadcast to ${params.connections} clients...`);
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise((ok) => wss.once('listening', ok));
    const peerUrl = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws) => {
      sockets.push(ws);
      ws.send('{"type":"hello"}'); // what a paced connect waits for, as from the gateway
    });
    await clients.call({ op: 'connect', url: peerUrl, n: params.connections, raw: true });
    let p0 = 0;
    const pv = await clients.call<EventsResult>(
      { op: 'expect-events', count: params.events, timeoutMs: 60_000 },
      () => {
        p0 = wall();
        void broadcast(params.events, (seq) => {
          // The same shape and size as a gateway event, serialised once like the gateway does.
          const text = JSON.stringify({ type: 'peer-event', seq, t: wall() });
          for (const ws of sockets) ws.send(text);
        });
      },
    );
    const peer = { ...pv, perSec: pv.delivered / ((pv.lastRecv - p0) / 1000) };
    // The sustained phase through the plain ws server: the same rate and ticks, each tick's
    // events in one frame serialised once and sent to every socket (what the gateway's batch
    // flush does, with nothing else): the floor of the sustained latency on this machine.
    log(
      `peer: sustained ${params.eventRate}/s to ${params.connections} clients every ${params.eventTickMs} ms for ${params.eventSeconds} s...`,
    );
    let peerSeq = 0;
    let tickEvents: string[] = [];
    let tickFlush: NodeJS.Immediate | null = null;
    const flushTick = (): void => {
      tickFlush = null;
      const frame = Buffer.from(`{"type":"events","events":[${tickEvents.join(',')}]}`, 'utf8');
      tickEvents = [];
      for (const ws of sockets) ws.send(frame, { binary: false });
    };
    const peerSustained = await sustainedPhase(() => {
      const event = { type: 'event', seq: ++peerSeq, event: 'bench', time: wall() };
      tickEvents.push(JSON.stringify({ ...event, data: { t: event.time } }));
      tickFlush ??= setImmediate(flushTick);
    });
    // the peer of the control round trip: a plain ws server that parses each command and
    // answers an ack, every connection still open (the floor of a round trip here)
    for (const ws of sockets) {
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString('utf8')) as { id: number };
        ws.send(JSON.stringify({ type: 'ack', id: m.id, result: null }));
      });
    }
    log(`peer: ${params.commands} commands answered by a plain ws echo...`);
    const peerControl = await clients.call<{ ackP50: number; ackP99: number; refused: number }>({
      op: 'control',
      count: params.commands,
    });
    log(`peer: paced connects: ${params.paced} at ${params.connectRate}/s to a plain ws server...`);
    const peerPaced = await clients.call<{ connectP50: number; connectP99: number }>({
      op: 'connect-paced',
      url: peerUrl,
      n: params.paced,
      rate: params.connectRate,
    });
    await clients.call({ op: 'close-all' });
    await new Promise((ok) => wss.close(ok));

    const result = {
      params,
      machine,
      connections: { ...conn, perConnection },
      paced,
      control,
      events,
      batched,
      sustained,
      peer,
      peerSustained,
      peerControl,
      peerPaced,
      state: { ...state, skipped: gs.stateFramesSkipped, ticks: gs.stateTicks },
      codec,
      speedApplied: speed,
    };
    if (json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
    const k = (n: number): string => Math.round(n).toLocaleString('en-US');
    const sustainedCell = (r: EventsResult & { perSec: number }): string =>
      `${k(r.perSec)}/s, p50 / p99 ${f(r.latencyP50)} / ${f(r.latencyP99)} ms`;
    const lines = [
      `parameters: ${Object.entries(params)
        .map(([a, b]) => `${a}=${b}`)
        .join(' ')}`,
      `machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, open files ${machine.openFilesSoft} soft / ${machine.openFilesHard} hard per process`,
      '',
      'metric                                   gateway                gateway, batched       plain ws peer',
      `connections held                         ${k(conn.connected).padEnd(46)}${k(pv.expected / params.events)}`,
      `connect p50 / p99 (ms)                   ${`${f(conn.connectP50)} / ${f(conn.connectP99)}`.padEnd(46)}-`,
      `${`connect p50 / p99 (ms), paced ${k(paced.ratePerSec)}/s`.padEnd(41)}${`${f(paced.connectP50)} / ${f(paced.connectP99)}`.padEnd(46)}${f(peerPaced.connectP50)} / ${f(peerPaced.connectP99)}`,
      `server heap / rss per connection (KiB)   ${`${f(perConnection.heapBytes / 1024)} / ${f(perConnection.rssBytes / 1024)}`.padEnd(46)}-`,
      `events delivered/s (all clients)         ${k(events.perSec).padEnd(23)}${k(batched.perSec).padEnd(23)}${k(peer.perSec)}`,
      `event latency p50 / p99 (ms)             ${`${f(events.latencyP50)} / ${f(events.latencyP99)}`.padEnd(23)}${`${f(batched.latencyP50)} / ${f(batched.latencyP99)}`.padEnd(23)}${f(peer.latencyP50)} / ${f(peer.latencyP99)}`,
      `events delivered / expected              ${`${k(events.delivered)} / ${k(events.expected)}`.padEnd(23)}${`${k(batched.delivered)} / ${k(batched.expected)}`.padEnd(23)}${k(peer.delivered)} / ${k(peer.expected)}`,
      `${`events sustained (${params.eventRate}/s a client)`.padEnd(41)}${sustainedCell(sustained).padEnd(46)}${sustainedCell(peerSustained)}`,
      `control ack p50 / p99 (ms)               ${`${f(control.ackP50, 2)} / ${f(control.ackP99, 2)}`.padEnd(46)}${f(peerControl.ackP50, 2)} / ${f(peerControl.ackP99, 2)} (echo)`,
      `state fps per viewer p50 (min)           ${f(state.fpsP50)} (${f(state.fpsMin)}) of ${params.fps}, ${params.viewers} viewers`,
      `state frame age p50 / p99 (ms)           ${f(state.ageP50)} / ${f(state.ageP99)}`,
      `state bytes per frame (avg)              ${k(state.bytesPerFrame)} (${params.view}x${params.view} key = ${k(40 + params.view ** 2)}), ${state.keyframes} keyframes of ${k(state.frames)}`,
      `state frames skipped (conflated)         ${k(gs.stateFramesSkipped)}`,
      '',
      `delta vs keyframe on a ${params.grid}x${params.grid} flashing grid (30 frames, flash visible 4 frames):`,
      'flashing per frame   view         key bytes    delta bytes (avg)   key/delta',
      ...codec.map(
        (r) =>
          `${`${(r.flashShare * 100).toFixed(1)} %`.padEnd(21)}${r.view.padEnd(13)}${k(r.keyBytes).padEnd(13)}${k(r.deltaBytes).padEnd(20)}${f(r.saving)}x`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    clients.stop();
    await gateway.close();
  }
}

await main();
