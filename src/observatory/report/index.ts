/**
 * Pictures and figures of a run: metrics logs read back (`parseMetricsLog`), plotted as SVG,
 * HTML or terminal charts (`plotRuns`, `cascade plot`) and summarised with correlations
 * (`analyzeMetricsLog`, `cascade analyze`).
 */
export { parseMetricsLog, metricNames } from './metrics-log.js';
export type { MetricPoint, MetricsRun } from './metrics-log.js';
export { analyzeMetricsLog, pearson, CORRELATED } from './log-analysis.js';
export type { LogAnalysis, MetricSummary, Correlation } from './log-analysis.js';
export { formatLogAnalysis } from './analysis-table.js';
export { plotRuns, selectMetrics } from './plot-report.js';
export type { PlotFormat, PlotOptions } from './plot-report.js';
export { renderChartGroup, svgDocument, escapeXml, xExtent, RUN_COLORS } from './svg-chart.js';
export type { ChartSeries, ChartSpec } from './svg-chart.js';
export { renderTextChart } from './text-chart.js';
export type { TextChartSpec } from './text-chart.js';
export { formatTick, linearScale, niceTicks } from './chart-scale.js';
