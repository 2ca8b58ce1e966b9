/**
 * A test client of the gateway: a real `ws` WebSocket that queues every message it gets, so
 * a test can wait for the next message of a kind.
 */
import { WebSocket, type ClientOptions } from 'ws';
import type { HelloMessage } from '../../src/gateway/index.js';
import { PROTOCOL } from '../../src/gateway/index.js';

// Messages are read loosely in tests: each assertion names the fields it checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

interface Waiter {
  pred: (m: Msg) => boolean;
  ok: (m: Msg) => void;
}

export class TestClient {
  readonly ws: WebSocket;
  /** Unconsumed JSON messages, in arrival order. */
  readonly inbox: Msg[] = [];
  /** Every binary message, in arrival order. */
  readonly frames: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  hello!: HelloMessage;
  #waiters: Waiter[] = [];
  #frameWaiters: Array<() => void> = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        this.frames.push(data);
        for (const w of this.#frameWaiters.splice(0)) w();
        return;
      }
      const m = JSON.parse(data.toString('utf8')) as Msg;
      const i = this.#waiters.findIndex((w) => w.pred(m));
      if (i >= 0) this.#waiters.splice(i, 1)[0].ok(m);
      else this.inbox.push(m);
    });
    this.closed = new Promise((ok) =>
      ws.on('close', (code, reason) => ok({ code, reason: reason.toString() })),
    );
  }

  /** Connect and wait for `hello`. */
  static async open(
    url: string,
    options: ClientOptions & { token?: string; protocols?: string[] } = {},
  ): Promise<TestClient> {
    const { token, protocols, ...rest } = options;
    const ws = new WebSocket(url, protocols ?? [PROTOCOL], {
      ...rest,
      headers: {
        ...rest.headers,
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
    });
    const c = new TestClient(ws);
    const hello = c.next((m) => m.type === 'hello', 5000);
    await new Promise<void>((ok, fail) => {
      ws.once('open', () => ok());
      ws.once('error', fail);
    });
    c.hello = (await hello) as HelloMessage;
    return c;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first queued or future JSON message matching `pred`, consumed. */
  next(pred: (m: Msg) => boolean, timeoutMs = 3000): Promise<Msg> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((ok, fail) => {
      const w: Waiter = {
        pred,
        ok: (m) => {
          clearTimeout(timer);
          ok(m);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        fail(
          new Error(
            `no matching message within ${timeoutMs} ms; inbox: ${JSON.stringify(this.inbox).slice(0, 500)}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** The next message of `type`. */
  nextOf(type: string, timeoutMs?: number): Promise<Msg> {
    return this.next((m) => m.type === type, timeoutMs);
  }

  /** Wait until at least `n` binary frames have arrived. */
  async waitFrames(n: number, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.frames.length} of ${n} frames`);
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, 50);
        this.#frameWaiters.push(() => {
          clearTimeout(t);
          ok();
        });
      });
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
