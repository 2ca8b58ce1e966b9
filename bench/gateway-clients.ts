/**
 * The client side of bench/gateway.ts, run in its own process (forked with tsx) so the
 * clients' work does not share the server's event loop. Raw `ws` clients only: state frames
 * are read by their header bytes, not by the gateway's decoder. Driven by IPC messages
 * `{ op, ... }`, each answered with one reply.
 */
import { WebSocket } from 'ws';

interface Conn {
  ws: WebSocket;
  events: number;
  frames: number;
  frameBytes: number;
  keyframes: number;
  ages: number[];
  viewer: boolean;
  onJson: ((m: { type: string; [k: string]: unknown }) => void) | null;
}

const now = (): number => performance.timeOrigin + performance.now();
let conns: Conn[] = [];
let latencies = new Float64Array(0);
let latencyCount = 0;
let expectEvents = 0;
let eventsDone: (() => void) | null = null;
let doneConns = 0;
let firstRecv = 0;
let lastRecv = 0;

function percentile(sorted: ArrayLike<number>, p: number, n = sorted.length): number {
  if (n === 0) return NaN;
  return sorted[Math.min(n - 1, Math.floor((p / 100) * n))];
}

function onMessage(c: Conn, data: Buffer, isBinary: boolean): void {
  const t = now();
  if (isBinary) {
    // Header: byte 0 type, f64 at 16 the source's read time. [state-frame.ts]
    c.frames++;
    c.frameBytes += data.length;
    if (data[0] === 1) c.keyframes++;
    c.ages.push(t - data.readDoubleLE(16));
    return;
  }
  const text = data.toString('utf8');
  // Events are the hot path: read seq/time without parsing every message fully.
  if (text.startsWith('{"type":"event"')) {
    const m = JSON.parse(text) as { data: { t: number } };
    recordEvent(c, t, m.data.t);
    return;
  }
  if (text.startsWith('{"type":"events"')) {
    // a batch [GW-8]: each event counts, its latency from its own publish time. The load
    // generator shares the cores with the server, so it reads each event's `"t":` with a scan
    // rather than JSON.parse (the bench's events carry data {t} and no other "t" key).
    for (let at = text.indexOf('"t":'); at !== -1; at = text.indexOf('"t":', at + 4)) {
      recordEvent(c, t, Number.parseFloat(text.slice(at + 4, at + 30)));
    }
    return;
  }
  const m = JSON.parse(text) as { type: string; t?: number; [k: string]: unknown };
  if (m.type === 'peer-event') {
    recordEvent(c, t, m.t!);
    return;
  }
  c.onJson?.(m);
}

function recordEvent(c: Conn, t: number, sent: number): void {
  if (firstRecv === 0) firstRecv = t;
  lastRecv = t;
  if (latencyCount < latencies.length) latencies[latencyCount++] = t - sent;
  if (++c.events === expectEvents) {
    if (++doneConns === conns.length) eventsDone?.();
  }
}

async function connect(url: string, n: number, raw: boolean): Promise<object> {
  const times: number[] = [];
  let failures = 0;
  const one = (): Promise<void> =>
    new Promise((ok) => {
      const t0 = now();
      const ws = new WebSocket(url, raw ? [] : ['cascade.gateway.v1'], {
        perMessageDeflate: false,
      });
      const c: Conn = {
        ws,
        events: 0,
        frames: 0,
        frameBytes: 0,
        keyframes: 0,
        ages: [],
        viewer: false,
        onJson: null,
      };
      const ready = (): void => {
        times.push(now() - t0);
        conns.push(c);
        c.onJson = null;
        ok();
      };
      ws.on('message', (d: Buffer, isBinary) => onMessage(c, d, isBinary));
      ws.on('error', () => {
        failures++;
        ok();
      });
      if (raw) ws.once('open', ready);
      else c.onJson = (m) => (m.type === 'hello' ? ready() : undefined);
    });
  // A few hundred handshakes at a time: a burst of thousands only measures the accept queue.
  const batch = 200;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, one));
  }
  times.sort((a, b) => a - b);
  return {
    connected: conns.length,
    failures,
    connectP50: percentile(times, 50),
    connectP99: percentile(times, 99),
  };
}

/**
 * Open `n` more connections at `rate` per second, each on its own schedule (not in bursts),
 * while the others stay open; the time from each start to its `hello`; then close them.
 */
async function connectPaced(url: string, n: number, rate: number): Promise<object> {
  const times: number[] = [];
  const opened: WebSocket[] = [];
  let failures = 0;
  const t0 = now();
  const all: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 1) await new Promise((ok) => setTimeout(ok, wait));
    all.push(
      new Promise((ok) => {
        const start = now();
        const ws = new WebSocket(url, ['cascade.gateway.v1'], { perMessageDeflate: false });
        opened.push(ws);
        ws.once('message', () => {
          times.push(now() - start); // the first message is the hello
          ok();
        });
        ws.on('error', () => {
          failures++;
          ok();
        });
      }),
    );
  }
  await Promise.all(all);
  const seconds = (now() - t0) / 1000;
  await Promise.all(
    opened.map(
      (ws) =>
        new Promise<void>((ok) => {
          if (ws.readyState === WebSocket.CLOSED) ok();
          else {
            ws.once('close', () => ok());
            ws.close();
          }
        }),
    ),
  );
  times.sort((a, b) => a - b);
  return {
    opened: times.length,
    failures,
    ratePerSec: n / seconds,
    connectP50: percentile(times, 50),
    connectP99: percentile(times, 99),
  };
}

function request(c: Conn, message: object, reply: string): Promise<{ [k: string]: unknown }> {
  return new Promise((ok) => {
    c.onJson = (m) => {
      if (m.type === reply || m.type === 'error' || m.type === 'nack') {
        c.onJson = null;
        ok(m);
      }
    };
    c.ws.send(JSON.stringify(message));
  });
}

async function handle(msg: { op: string; [k: string]: unknown }): Promise<object> {
  switch (msg.op) {
    case 'connect':
      return connect(msg.url as string, msg.n as number, msg.raw === true);
    case 'connect-paced':
      return connectPaced(msg.url as string, msg.n as number, msg.rate as number);
    case 'subscribe-events':
      await Promise.all(
        conns.map((c) =>
          request(
            c,
            { type: 'subscribe', streams: ['events'], ...(msg.batch === true && { batch: true }) },
            'subscribed',
          ),
        ),
      );
      return { subscribed: conns.length };
    case 'unsubscribe-events':
      await Promise.all(
        conns.map((c) => request(c, { type: 'unsubscribe', streams: ['events'] }, 'unsubscribed')),
      );
      return {};
    case 'expect-events': {
      expectEvents = msg.count as number;
      doneConns = 0;
      firstRecv = 0;
      lastRecv = 0;
      for (const c of conns) c.events = 0;
      latencies = new Float64Array(Math.min(conns.length * expectEvents, 4_000_000));
      latencyCount = 0;
      const done = new Promise<void>((ok) => (eventsDone = ok));
      process.send!({ op: 'ready' });
      const timeout = new Promise<void>((ok) => setTimeout(ok, msg.timeoutMs as number));
      await Promise.race([done, timeout]);
      eventsDone = null;
      const delivered = conns.reduce((s, c) => s + c.events, 0);
      const lat = latencies.subarray(0, latencyCount).sort();
      return {
        delivered,
        expected: conns.length * expectEvents,
        firstRecv,
        lastRecv,
        latencyP50: percentile(lat, 50),
        latencyP99: percentile(lat, 99),
      };
    }
    case 'state': {
      const viewers = conns.slice(0, msg.viewers as number);
      for (const c of viewers) {
        c.frames = 0;
        c.frameBytes = 0;
        c.keyframes = 0;
        c.ages = [];
        c.ws.send(JSON.stringify({ type: 'viewport', cols: msg.view, rows: msg.view }));
      }
      await Promise.all(
        viewers.map((c) => request(c, { type: 'subscribe', streams: ['state'] }, 'subscribed')),
      );
      const t0 = now();
      await new Promise((ok) => setTimeout(ok, (msg.seconds as number) * 1000));
      const seconds = (now() - t0) / 1000;
      await Promise.all(
        viewers.map((c) => request(c, { type: 'unsubscribe', streams: ['state'] }, 'unsubscribed')),
      );
      const fps = viewers.map((c) => c.frames / seconds).sort((a, b) => a - b);
      const ages = viewers.flatMap((c) => c.ages).sort((a, b) => a - b);
      const frames = viewers.reduce((s, c) => s + c.frames, 0);
      const bytes = viewers.reduce((s, c) => s + c.frameBytes, 0);
      const keys = viewers.reduce((s, c) => s + c.keyframes, 0);
      return {
        fpsP50: percentile(fps, 50),
        fpsMin: fps[0],
        ageP50: percentile(ages, 50),
        ageP99: percentile(ages, 99),
        bytesPerFrame: frames === 0 ? 0 : bytes / frames,
        keyframes: keys,
        frames,
      };
    }
    case 'control': {
      const c = conns[0];
      const rtt: number[] = [];
      let refused = 0;
      const count = msg.count as number;
      // as many first, unmeasured: the first hundreds run before the JIT has compiled the path
      for (let i = -count; i < count; i++) {
        const t0 = now();
        const r = await request(
          c,
          { type: 'control', id: i, cmd: 'speed', args: { x: 1 + (Math.abs(i) % 10) } },
          'ack',
        );
        if (i < 0) continue;
        if (r.type !== 'ack') refused++;
        rtt.push(now() - t0);
      }
      rtt.sort((a, b) => a - b);
      return { ackP50: percentile(rtt, 50), ackP99: percentile(rtt, 99), refused };
    }
    case 'close-all': {
      await Promise.all(
        conns.map(
          (c) =>
            new Promise<void>((ok) => {
              if (c.ws.readyState === WebSocket.CLOSED) ok();
              else {
                c.ws.once('close', () => ok());
                c.ws.close();
              }
            }),
        ),
      );
      conns = [];
      return {};
    }
    default:
      throw new Error(`unknown op ${msg.op}`);
  }
}

process.on('message', (msg: { op: string; [k: string]: unknown }) => {
  handle(msg).then(
    (result) => process.send!({ op: 'done', result }),
    (error: unknown) => process.send!({ op: 'failed', error: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
