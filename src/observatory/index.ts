/**
 * The observatory layer: the firefly experiment (topology, agents, monitor, kernel), the
 * terminal view and live loop, the metrics log and the diagnostics.
 */
export { TorusTopology } from './model/topology.js';
export { ConvergenceMonitor } from './monitors/convergence-monitor.js';
export type { OrderSample } from './monitors/convergence-monitor.js';
export { FireflyTelemetry } from './model/firefly-telemetry.js';
export {
  resolveModelParams,
  DEFAULT_PERIOD_MS,
  DEFAULT_NUDGE_MS,
  DEFAULT_JITTER_MS,
} from './model/firefly-params.js';
export type { FireflyModelParams } from './model/firefly-params.js';
export { FireflyKernel } from './experiments/firefly-kernel.js';
export {
  FIREFLY_GROUP,
  FIREFLY_STEP_SCOPES,
  FireflyExperiment,
} from './experiments/firefly-experiment.js';
export type { FireflyExperimentOptions, FireflyStats } from './experiments/firefly-experiment.js';
export { runFireflies, nextSpeed } from './experiments/firefly-run.js';
export { ShardedFireflies, roundBreakdown } from './experiments/firefly-shards.js';
export { stepLimitsOf } from './experiments/shard-plan.js';
export type { StepLimits } from './experiments/shard-plan.js';
export type { ShardedFirefliesOptions, RoundBreakdown } from './experiments/firefly-shards.js';
export { MqttShardCoordinator } from './experiments/mqtt-shard-coordinator.js';
export type { MqttShardCoordinatorOptions } from './experiments/mqtt-shard-coordinator.js';
export { runMqttShard } from './experiments/mqtt-shard.js';
export type { MqttShardOptions, MqttShardResult } from './experiments/mqtt-shard.js';
export type { FireflyRunTarget, OrderSampleHandler } from './experiments/firefly-run-target.js';
export { PulseExchange, type PulseSink } from './model/pulse-exchange.js';
export { PaceMeter, LimitedSpans, LAG_THRESHOLD_WALL_MS } from './metrics/pace-meter.js';
export type { PacedRun, PaceNow, PaceSummary } from './metrics/pace-meter.js';
export type {
  FireflyRunOptions,
  FireflyRunSummary,
  FireflyPaceSummary,
} from './experiments/firefly-run.js';
export { fireflyAgent, fireflyStep, FLASH_TOPIC } from './agents/firefly-agent.js';
export type { FireflyWorld, FlashMessage } from './agents/firefly-agent.js';
export * from './render/index.js';
export * from './metrics/index.js';
export * from './live/index.js';
export {
  SyntheticGridSource,
  runRendererDiag,
  validateSyntheticOptions,
} from './diagnostics/renderer-diag.js';
export type { RendererDiagOptions, RendererDiagResult } from './diagnostics/renderer-diag.js';
export { profileWork, topSelfTime } from './diagnostics/cpu-profile.js';
export type { SelfTimeRow } from './diagnostics/cpu-profile.js';
export type {
  FireflyRunControl,
  FireflyRunObserver,
  FireflyRunSample,
} from './experiments/firefly-run-observer.js';
export * from './report/index.js';
export { FireflySession } from './experiments/firefly-session.js';
export type {
  FireflySessionOptions,
  FireflySessionSummary,
} from './experiments/firefly-session.js';
