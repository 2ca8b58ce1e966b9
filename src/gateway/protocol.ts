/**
 * The gateway's wire protocol, `cascade.gateway.v1` (docs/gateway.md has the full reference).
 *
 * Client -> server messages are JSON text: they are few and small (a subscription, a
 * command), and JSON is readable in the browser's network panel and with any WebSocket tool,
 * which matters more here than bytes. Server -> client control messages and events are JSON
 * too; only state frames, the bulk of the traffic, are binary (state-frame.ts).
 *
 * Invariants:
 * - [PROTO-1] Every client message is validated against {@link ClientMessage} before it is
 *   acted on; a message that fails is answered with an `error` frame and changes nothing.
 * - [PROTO-2] The protocol name changes with any incompatible change; a client that offers
 *   WebSocket subprotocols must offer {@link PROTOCOL}.
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors.js';

/** The protocol name and version, offered as the WebSocket subprotocol and sent in `hello`. */
export const PROTOCOL = 'cascade.gateway.v1';

/**
 * WebSocket close codes the gateway uses. 1000-2999 are the standard ones; 4000-4999 are the
 * application's, numbered after the HTTP status they resemble.
 */
export const CloseCode = {
  /** `close()` with no code: the gateway is shutting down; reconnect later. */
  GOING_AWAY: 1001,
  /** A message larger than `limits.maxPayload` (sent by the ws library itself). */
  MESSAGE_TOO_BIG: 1009,
  /** The session's token expired while connected; reconnect with a new one. */
  UNAUTHORIZED: 4401,
  /** The client kept sending after its rate limit was exhausted (a flood). */
  RATE_LIMITED: 4429,
  /**
   * The client read too slowly: more than `limits.maxBufferedBytes` waited in its socket.
   * Events are not dropped for it; it reconnects and resumes from its last sequence number.
   */
  SLOW_CONSUMER: 4503,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Roles a token may carry, from least to most allowed. */
export const ROLES = ['viewer', 'control', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Streams a client subscribes to with `subscribe` / `unsubscribe`. */
export const SUBSCRIBABLE = ['state', 'events'] as const;
export type SubscribableStream = (typeof SUBSCRIBABLE)[number];

/** Every stream a gateway may serve (listed in `hello`). */
export type StreamName = SubscribableStream | 'control' | 'collab';

const streamList = z.array(z.enum(SUBSCRIBABLE)).min(1).max(SUBSCRIBABLE.length);
const cell = z.number().int().min(0).max(0xffffffff);
const size = z.number().int().min(1).max(0xffff);
const commandId = z.union([z.string().min(1).max(128), z.number().int()]);

/** `{type:'subscribe', streams}` */
export const SubscribeMessage = z.strictObject({
  type: z.literal('subscribe'),
  streams: streamList,
  /** Events may arrive several to a frame, as `{type:'events', events:[...]}` [GW-8]. */
  batch: z.boolean().optional(),
  /** State frames may arrive deflate-raw compressed (flag bit 0) [SF-4] [GW-9]. */
  deflate: z.boolean().optional(),
});
/** `{type:'unsubscribe', streams}` */
export const UnsubscribeMessage = z.strictObject({
  type: z.literal('unsubscribe'),
  streams: streamList,
});
/**
 * `{type:'viewport', x?, y?, w?, h?, cols?, rows?}`: the region of the source grid to receive
 * and the resolution; omitted fields default to the whole grid at full resolution (capped by
 * `limits.maxViewCells`). The next state frame is a keyframe.
 */
export const ViewportMessage = z.strictObject({
  type: z.literal('viewport'),
  x: cell.optional(),
  y: cell.optional(),
  w: cell.min(1).optional(),
  h: cell.min(1).optional(),
  cols: size.optional(),
  rows: size.optional(),
});
/**
 * `{type:'resume', epoch, lastSeq}`: subscribe to `events` and first receive every event
 * after `lastSeq` of that epoch (a `gap` for those no longer buffered, `epoch-changed` if the
 * gateway is another instance).
 */
export const ResumeMessage = z.strictObject({
  type: z.literal('resume'),
  epoch: z.string().min(1).max(64),
  lastSeq: z.number().int().min(0),
  /** As in `subscribe` [GW-8]. */
  batch: z.boolean().optional(),
});
/** `{type:'control', id, cmd, args?}`: answered by `ack` or `nack` with the same id. */
export const ControlMessage = z.strictObject({
  type: z.literal('control'),
  id: commandId,
  cmd: z.string().min(1).max(64),
  args: z.unknown().optional(),
});
/** `{type:'collab-subscribe', pattern}`: MQTT pattern, checked against the token's ACL. */
export const CollabSubscribeMessage = z.strictObject({
  type: z.literal('collab-subscribe'),
  pattern: z.string().min(1).max(1024),
});
/** `{type:'collab-unsubscribe', pattern}` */
export const CollabUnsubscribeMessage = z.strictObject({
  type: z.literal('collab-unsubscribe'),
  pattern: z.string().min(1).max(1024),
});
/** `{type:'collab-publish', topic, payload, retain?}` */
export const CollabPublishMessage = z.strictObject({
  type: z.literal('collab-publish'),
  topic: z.string().min(1).max(1024),
  payload: z.unknown(),
  retain: z.boolean().optional(),
});

/** Every client message, discriminated by `type`. [PROTO-1] */
export const ClientMessage = z.discriminatedUnion('type', [
  SubscribeMessage,
  UnsubscribeMessage,
  ViewportMessage,
  ResumeMessage,
  ControlMessage,
  CollabSubscribeMessage,
  CollabUnsubscribeMessage,
  CollabPublishMessage,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** The `type` values a client may send. */
export const CLIENT_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'subscribe',
  'unsubscribe',
  'viewport',
  'resume',
  'control',
  'collab-subscribe',
  'collab-unsubscribe',
  'collab-publish',
]);

/** What `hello` says about the state stream. */
export interface StateStreamInfo {
  width: number;
  height: number;
  fps: number;
  /** Largest `cols * rows` a viewport may ask for. */
  maxViewCells: number;
}

/** The first message of every session. */
export interface HelloMessage {
  type: 'hello';
  protocol: typeof PROTOCOL;
  session: string;
  /** Random per Gateway instance; event sequence numbers are only meaningful within one. */
  epoch: string;
  role: Role;
  streams: StreamName[];
  state: StateStreamInfo | null;
  events: { lastSeq: number; oldestSeq: number; capacity: number };
  control: { commands: string[] } | null;
  collab: { sub: string[]; pub: string[] } | null;
  limits: { maxPayload: number; ratePerSec: number; burst: number };
  heartbeatMs: number;
}

/** Server -> client JSON messages. */
export type ServerMessage =
  | HelloMessage
  | { type: 'subscribed'; streams: SubscribableStream[] }
  | { type: 'unsubscribed'; streams: SubscribableStream[] }
  | { type: 'event'; seq: number; event: string; time: number; data: unknown }
  | {
      type: 'events';
      events: Array<{ type: 'event'; seq: number; event: string; time: number; data: unknown }>;
    }
  | { type: 'gap'; from: number; to: number }
  | { type: 'epoch-changed'; epoch: string; lastSeq: number }
  | { type: 'resumed'; from: number; to: number; replayed: number }
  | { type: 'ack'; id: string | number; result: unknown }
  | { type: 'nack'; id: string | number; code: ErrorCode; message: string }
  | { type: 'collab-subscribed'; pattern: string }
  | { type: 'collab-unsubscribed'; pattern: string }
  | { type: 'collab'; topic: string; payload: unknown }
  | { type: 'error'; code: ErrorCode; message: string; id?: string | number };
