/**
 * The page's side of the gateway (protocol `cascade.gateway.v1`, docs/gateway.md): one
 * WebSocket to `/ws` that subscribes to the state stream, follows the events stream by
 * (epoch, seq), sends control commands and reconnects on its own.
 *
 * Invariants:
 * - [WEB-1] Every event is handed on at most once, in seq order: replayed events at or below
 *   the last seq seen are dropped.
 * - [WEB-2] After a drop, the connection retries with backoff (250 ms doubling to 3 s) and
 *   resumes the events stream from (epoch, last seq): the server replays what was missed, or
 *   says `gap` for what it no longer holds. A server with another epoch (restarted) is
 *   reported as an epoch change, and the new epoch's events are followed from its first.
 */
import { StateFrameDecoder } from '../src/gateway/state-frame.js';
import type { StateFrameHeader } from '../src/gateway/state-frame.js';

/** Where the connection is. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

/** An event of the events stream. */
export interface GatewayEvent {
  seq: number;
  event: string;
  time: number;
  data: Record<string, unknown>;
}

/** What the page hears from the connection. */
export interface ConnectionHandlers {
  state(state: ConnectionState, detail: string): void;
  frame(cells: Uint8Array, header: StateFrameHeader): void;
  event(e: GatewayEvent): void;
  gap(from: number, to: number): void;
  epochChanged(from: string, to: string): void;
  reply(r: { kind: 'ack' | 'nack'; id: number; text: string }): void;
  hello(info: { width: number; height: number; commands: string[] }): void;
}

/** The viewport asked of the server. */
export interface ViewRequest {
  x: number;
  y: number;
  w: number;
  h: number;
  cols: number;
  rows: number;
}

type Msg = { type: string } & Record<string, unknown>;

/**
 * A self-reconnecting gateway client for the page.
 *
 * @example
 * ```ts
 * const c = new GatewayConnection(`ws://${location.host}/ws`, handlers);
 * c.command('pause');
 * ```
 */
export class GatewayConnection {
  readonly #url: string;
  readonly #on: ConnectionHandlers;
  #ws: WebSocket | null = null;
  #decoder = new StateFrameDecoder();
  #epoch: string | null = null;
  #lastSeq = 0;
  #attempt = 0;
  #nextId = 1;
  #view: ViewRequest | null = null;
  readonly #pending = new Map<number, string>();

  constructor(url: string, handlers: ConnectionHandlers) {
    this.#url = url;
    this.#on = handlers;
    this.#connect();
  }

  /** The last event seq seen. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Ask for a region of the grid at a resolution (kept and sent again after a reconnect). */
  setView(view: ViewRequest): void {
    this.#view = view;
    this.#send({ type: 'viewport', ...view });
  }

  /** Send a control command; returns its id (the ack or nack carries it), or -1 offline. */
  command(cmd: string, args: Record<string, unknown> = {}): number {
    if (this.#ws?.readyState !== WebSocket.OPEN) return -1;
    const id = this.#nextId++;
    this.#pending.set(id, cmd);
    this.#send({ type: 'control', id, cmd, args });
    return id;
  }

  #send(message: unknown): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  #connect(): void {
    this.#on.state(
      this.#attempt === 0 ? 'connecting' : 'reconnecting',
      `attempt ${this.#attempt + 1}`,
    );
    const ws = new WebSocket(this.#url, ['cascade.gateway.v1']);
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    ws.onmessage = (m: MessageEvent<ArrayBuffer | string>) => {
      if (typeof m.data !== 'string') this.#onFrame(new Uint8Array(m.data));
      else this.#onMessage(JSON.parse(m.data) as Msg);
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#attempt++;
      const delay = Math.min(3000, 250 * 2 ** Math.min(4, this.#attempt - 1));
      this.#on.state('reconnecting', `server gone; retrying in ${(delay / 1000).toFixed(1)} s`);
      setTimeout(() => this.#connect(), delay);
    };
  }

  #onFrame(frame: Uint8Array): void {
    try {
      const { header, cells } = this.#decoder.apply(frame);
      this.#on.frame(cells, header);
    } catch {
      // a delta against a view we do not hold (after a viewport change): the next keyframe
      // repairs it; ask for one by sending the viewport again
      this.#decoder = new StateFrameDecoder();
      if (this.#view !== null) this.#send({ type: 'viewport', ...this.#view });
    }
  }

  #onMessage(m: Msg): void {
    switch (m.type) {
      case 'hello':
        this.#onHello(m);
        break;
      case 'event':
        this.#onEvent(m as unknown as GatewayEvent);
        break;
      case 'events':
        for (const e of m.events as GatewayEvent[]) this.#onEvent(e);
        break;
      case 'gap':
        this.#on.gap(m.from as number, m.to as number);
        this.#lastSeq = Math.max(this.#lastSeq, m.to as number);
        break;
      case 'epoch-changed':
        this.#switchEpoch(m.epoch as string);
        break;
      case 'ack':
      case 'nack': {
        const id = m.id as number;
        const cmd = this.#pending.get(id) ?? '?';
        this.#pending.delete(id);
        const text =
          m.type === 'ack'
            ? `ack #${id} ${cmd}${m.result === null || m.result === undefined ? '' : ` ${JSON.stringify(m.result)}`}`
            : `nack #${id} ${cmd}: ${String(m.message)} [${String(m.code)}]`;
        this.#on.reply({ kind: m.type, id, text });
        break;
      }
      default:
        break; // subscribed, resumed, error: nothing to show
    }
  }

  #onHello(m: Msg): void {
    const epoch = m.epoch as string;
    const state = m.state as { width: number; height: number } | null;
    const control = m.control as { commands: string[] } | null;
    this.#attempt = 0;
    this.#decoder = new StateFrameDecoder();
    this.#on.state('open', `session ${String(m.session)}`);
    this.#on.hello({
      width: state?.width ?? 0,
      height: state?.height ?? 0,
      commands: control?.commands ?? [],
    });
    if (this.#epoch !== null && this.#epoch !== epoch) this.#switchEpoch(epoch);
    this.#epoch = epoch;
    // [WEB-2] the events from our last seq (0 the first time: the run's history still held)
    this.#send({ type: 'resume', epoch, lastSeq: this.#lastSeq });
    if (state !== null) {
      this.#send({ type: 'subscribe', streams: ['state'] });
      if (this.#view !== null) this.#send({ type: 'viewport', ...this.#view });
    }
  }

  #switchEpoch(epoch: string): void {
    if (this.#epoch === epoch) return;
    this.#on.epochChanged(this.#epoch ?? '-', epoch);
    this.#epoch = epoch;
    this.#lastSeq = 0;
  }

  #onEvent(e: GatewayEvent): void {
    if (e.seq <= this.#lastSeq) return; // [WEB-1]
    this.#lastSeq = e.seq;
    this.#on.event(e);
  }
}
