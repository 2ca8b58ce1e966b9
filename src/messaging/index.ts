/**
 * The messaging layer (DESIGN.md §3): the Connector contract with MQTT topic semantics, the
 * in-process broker and its LocalBus connector, DirectChannel inboxes, and the worker uplink.
 */
export type {
  Connector,
  MessageHandler,
  MessagingEvent,
  PublishOptions,
  QoS,
  Subscription,
} from './connector.js';
export { NotConnectedError } from './connector.js';
export { validateTopic, validatePattern, topicMatches } from './topic.js';
export { TopicTrie } from './topic-trie.js';
export { RetainedStore, isEmptyPayload } from './retained-store.js';
export type { LocalBrokerOptions } from './local-broker.js';
export {
  LocalBroker,
  BrokerSubscription,
  getDefaultBroker,
  setDefaultBroker,
} from './local-broker.js';
export type { LocalBusOptions } from './local-bus.js';
export { LocalBus } from './local-bus.js';
export type {
  ChannelProbe,
  ChannelStats,
  DirectChannelOptions,
  OverflowPolicy,
  RecvOptions,
} from './direct-channel.js';
export { DirectChannel, EMPTY, TIMED_OUT } from './direct-channel.js';
export type {
  BridgeOptions,
  BridgeStats,
  IpcUplinkOptions,
  UplinkBridge,
  UplinkStats,
} from './ipc-uplink.js';
export { IpcUplinkConnector, bridgeUplink } from './ipc-uplink.js';
