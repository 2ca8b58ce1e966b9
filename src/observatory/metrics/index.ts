/** Metrics: the JSONL MetricsAggregator and the bounded percentile reservoir. */
export {
  MetricsAggregator,
  type MetricsAggregatorOptions,
  type MetricsLine,
  type MetricStats,
} from './metrics-aggregator.js';
export { medianOf, percentileOf, SampleReservoir } from './sample-reservoir.js';
