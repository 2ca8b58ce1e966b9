/**
 * The gateway layer (`cascade/gateway`): a WebSocket server that streams a grid's state,
 * events, control commands and collaborative pub/sub to browsers and tools. It depends on
 * the runtime and messaging layers only; docs/gateway.md describes the protocol.
 */
export type {
  GatewayLimits,
  GatewayOptions,
  GatewayStats,
  SessionStats,
  StateSource,
} from './gateway.js';
export { Gateway } from './gateway.js';
export type { AuthOptions, JwtAuth, NoAuth, Principal, TopicAcl } from './auth.js';
export {
  Authenticator,
  GatewayInsecureError,
  UnauthorizedError,
  isLoopback,
  mayPublish,
  maySubscribe,
  maySteer,
  patternCovers,
} from './auth.js';
export type { CommandContext, CommandHandler, CommandSpec } from './commands.js';
export {
  constraintCommandSchemas,
  constraintCommands,
  defineCommands,
  simulationCommands,
} from './commands.js';
export type { EventRange } from './event-log.js';
export { EventLog } from './event-log.js';
export type {
  HelloMessage,
  Role,
  ServerMessage,
  StateStreamInfo,
  StreamName,
  SubscribableStream,
} from './protocol.js';
export {
  CLIENT_MESSAGE_TYPES,
  ClientMessage,
  CloseCode,
  PROTOCOL,
  ROLES,
  SUBSCRIBABLE,
} from './protocol.js';
export type { StateFrameHeader, Viewport } from './state-frame.js';
export {
  STATE_FLAG_DEFLATE,
  deflateStateFrame,
  inflateStateFrame,
  STATE_FRAME_VERSION,
  STATE_HEADER_BYTES,
  StateFrameDecoder,
  StateFrameEncoder,
  StateFrameType,
  downsampleMax,
  readStateFrameHeader,
} from './state-frame.js';
export { TokenBucket } from './token-bucket.js';
