/**
 * Cascade: the public surface a user builds with, name by name. Everything else lives in the
 * layer subpaths (`cascade/spec`, `cascade/graph`, `cascade/runtime`, `cascade/messaging`,
 * `cascade/observatory`, `cascade/gateway`, `cascade/providers`): the parts a layer is made of (solver, executor,
 * timer queue, topic trie, renderer, ...) that a test or a tool may reach for but a workflow
 * does not. `api/cascade.api.md` lists this file's names with their kinds and signatures;
 * `npm test` fails when it is stale (`npm run api:update` rewrites it).
 */

// Errors: every error Cascade throws is a CascadeError with a stable `code` (docs/errors.md).
export {
  CancelledError,
  CascadeError,
  ClosedError,
  ErrorCode,
  InvalidArgumentError,
  InvalidMetricsLogError,
  InvalidTopicError,
  ProtocolError,
  ShardFailedError,
  SubscribeRefusedError,
  BackendError,
} from './errors.js';

// Tasks: declare work as lazy calls, with policies (docs/engine.md).
export { task } from './spec/task.js';
export type {
  LazyArg,
  LazyArgs,
  MapSpec,
  TaskFactory,
  TaskOptions,
  TaskResult,
} from './spec/task.js';
export { LazyResult, isLazyResult } from './spec/lazy-result.js';
export type { CachePolicy, Constraints, RetryPolicy } from './spec/policies.js';

// Resources: declared once, injected into the tasks that name them.
export { inject, resource } from './spec/resource.js';
export type {
  ResourceContext,
  ResourceDef,
  ResourceFactory,
  ResourceScope,
  TaskContext,
} from './spec/resource.js';

// Inputs, plans and pictures, control flow (docs/authoring.md).
export { param, env, InputError } from './spec/input.js';
export type { InputDef, InputOptions, InputType } from './spec/input.js';
export { overrideResource } from './spec/resource.js';
export type { ResourceOverride } from './spec/resource.js';
export { router, jump, selectJump, bind, Jump, END } from './spec/router.js';
export type { RouterOptions, RouterState } from './spec/router.js';
export { subflow } from './spec/subflow.js';
export { dryRun } from './graph/plan.js';
export type { Plan, PlanTask } from './graph/plan.js';
export { visualize } from './graph/visualize.js';
export type { GraphFormat, VisualizeOptions } from './graph/visualize.js';
export { sequence, pipeline, compose } from './graph/compose.js';
export { graphToJSON, graphFromJSON, TaskRegistry } from './graph/graph-json.js';
export type { GraphJSON } from './graph/graph-json.js';
export { createCli } from './cli/create-cli.js';
export type { CreateCliOptions, WorkflowCli, CliOutput } from './cli/create-cli.js';

// Providers: shell, http, files, templates and waits as tasks; cache and state backends
// (docs/providers.md).
export {
  shell,
  http,
  readFile,
  writeFile,
  template,
  wait,
  ProcessFailedError,
  TimeoutError,
  HttpStatusError,
  FileCache,
  RedisCache,
  RedisStateStore,
} from './providers/index.js';
export type {
  ShellOptions,
  ShellResult,
  HttpOptions,
  HttpResponse,
  ReadFileOptions,
  WriteFileOptions,
  FileCacheOptions,
  RedisCacheOptions,
  RedisStateStoreOptions,
} from './providers/index.js';

// Agents: a task that continues itself (VM mode) and parks on a channel or a deadline.
export { TailCall, tailCall } from './spec/tail-call.js';
export type { TailCallable } from './spec/tail-call.js';
export { Wait, waitFor, waitUntil } from './spec/wait.js';
export type { WaitClock, WaitSource } from './spec/wait.js';

// Running: the engine, its events, the memory cache and shared resource limits.
export { Engine } from './runtime/engine.js';
export type { EngineOptions, RunOptions, SpawnOptions } from './runtime/engine.js';
export { EventBus } from './runtime/event-bus.js';
export type { EventBusOptions, Unsubscribe } from './runtime/event-bus.js';
export type {
  EngineEvent,
  EngineEventType,
  ResourceAcquired,
  ResourceReleased,
  RunFinished,
  RunStarted,
  RunStatus,
  TaskBlocked,
  TaskExecutionFinished,
  TaskExecutionStarted,
  TaskRetrying,
  TaskSkipped,
} from './runtime/events.js';
export { MemoryCache } from './runtime/cache.js';
export { MISS } from './runtime/cache.js';
export type { CacheBackend } from './runtime/cache.js';
export { MemoryStateStore } from './runtime/state-store.js';
export type { StateStore } from './runtime/state-store.js';
export { ResourceManager } from './runtime/resource-manager.js';
export { Scheduler } from './runtime/scheduler.js';
export type { ClockKind, SchedulerOptions, SchedulerStats } from './runtime/scheduler.js';
export type { Clock, Rng } from './runtime/clock.js';

// Constraints: the control plane's pause / concurrency / rate limits on a scope (docs/control.md).
export { ConstraintSet } from './runtime/constraint-set.js';
export type { ConstraintEvent, ConstraintSetOptions } from './runtime/constraint-set.js';
export { InvalidConstraintError } from './runtime/constraint.js';
export type { Constraint, ConstraintKind, ConstraintScope } from './runtime/constraint.js';
export type { ControlCommand } from './runtime/control-command.js';

// Messaging: connectors with MQTT topic semantics, the in-process bus, channels, MQTT
// (docs/messaging.md).
export { NotConnectedError } from './messaging/connector.js';
export type {
  Connector,
  MessageHandler,
  MessagingEvent,
  PublishOptions,
  QoS,
  Subscription,
} from './messaging/connector.js';
export { topicMatches } from './messaging/topic.js';
export { LocalBroker } from './messaging/local-broker.js';
export type { LocalBrokerOptions } from './messaging/local-broker.js';
export { LocalBus } from './messaging/local-bus.js';
export type { LocalBusOptions } from './messaging/local-bus.js';
export { DirectChannel, EMPTY, TIMED_OUT } from './messaging/direct-channel.js';
export type {
  ChannelStats,
  DirectChannelOptions,
  OverflowPolicy,
  RecvOptions,
} from './messaging/direct-channel.js';
export { IpcUplinkConnector, bridgeUplink } from './messaging/ipc-uplink.js';
export type { BridgeOptions, IpcUplinkOptions, UplinkBridge } from './messaging/ipc-uplink.js';
export {
  MqttConnectError,
  MqttConnector,
  OfflineBufferFullError,
} from './messaging/mqtt-connector.js';
export type { MqttConnectorOptions, MqttConnectorStats } from './messaging/mqtt-connector.js';
export { ControlClient } from './messaging/control-client.js';
export type { ControlStatus, RunEvent } from './messaging/control-client.js';

// Gateway: a run's state, events and control over WebSocket (docs/gateway.md).
export { Gateway } from './gateway/gateway.js';
export type {
  GatewayLimits,
  GatewayOptions,
  GatewayStats,
  StateSource,
} from './gateway/gateway.js';
export { GatewayInsecureError, UnauthorizedError } from './gateway/auth.js';
export type { AuthOptions, Principal, TopicAcl } from './gateway/auth.js';
export { constraintCommands, defineCommands, simulationCommands } from './gateway/commands.js';
export type { CommandContext, CommandHandler, CommandSpec } from './gateway/commands.js';

// The firefly experiment: the entry points a user calls (docs/fireflies.md).
export { FireflyExperiment } from './observatory/experiments/firefly-experiment.js';
export type {
  FireflyExperimentOptions,
  FireflyStats,
} from './observatory/experiments/firefly-experiment.js';
export { runFireflies } from './observatory/experiments/firefly-run.js';
export type {
  FireflyRunOptions,
  FireflyRunSummary,
} from './observatory/experiments/firefly-run.js';
export { ShardedFireflies, roundBreakdown } from './observatory/experiments/firefly-shards.js';
export type {
  ShardedFirefliesOptions,
  RoundBreakdown,
} from './observatory/experiments/firefly-shards.js';

// Reports: a metrics log read back, plotted and analysed (docs/plots.md).
export { parseMetricsLog } from './observatory/report/metrics-log.js';
export type { MetricPoint, MetricsRun } from './observatory/report/metrics-log.js';
export { plotRuns } from './observatory/report/plot-report.js';
export type { PlotFormat, PlotOptions } from './observatory/report/plot-report.js';
export { analyzeMetricsLog } from './observatory/report/log-analysis.js';
export type { Correlation, LogAnalysis, MetricSummary } from './observatory/report/log-analysis.js';
export { formatLogAnalysis } from './observatory/report/analysis-table.js';
