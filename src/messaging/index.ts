/**
 * The messaging layer (docs/messaging.md): the Connector contract with MQTT topic semantics, the
 * in-process broker and its LocalBus connector, DirectChannel inboxes, the worker uplink, and
 * the MQTT connector with the brokers it is tested against (embedded Aedes, Mosquitto).
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
export type { EncodedPayload, PayloadCodec } from './payload-codec.js';
export { jsonCodec } from './payload-codec.js';
export type { MqttConnectorOptions, MqttConnectorStats } from './mqtt-connector.js';
export { MqttConnector, MqttConnectError, OfflineBufferFullError } from './mqtt-connector.js';
export type { EmbeddedBrokerOptions } from './embedded-broker.js';
export { EmbeddedBroker } from './embedded-broker.js';
export type { MosquittoOptions } from './mosquitto-process.js';
export { MosquittoProcess, freePort } from './mosquitto-process.js';
export type { ControlStatus, RunEvent } from './control-client.js';
export {
  ControlClient,
  DEFAULT_CONTROL_PORT,
  DEFAULT_CONTROL_URL,
  RUNS_PREFIX,
  connectMqtt,
} from './control-client.js';
