/**
 * The firefly model's parts that agents, monitors, experiments and shards share: parameters,
 * topology, telemetry and the pulse exchange. Nothing here imports the layers that use it.
 */
export { TorusTopology } from './topology.js';
export {
  resolveModelParams,
  DEFAULT_JITTER_MS,
  DEFAULT_NUDGE_MS,
  DEFAULT_PERIOD_MS,
  type FireflyModelParams,
} from './firefly-params.js';
export { FireflyTelemetry } from './firefly-telemetry.js';
export { PulseExchange, type PulseSink, type TickVisitor } from './pulse-exchange.js';
