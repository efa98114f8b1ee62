// Public surface of eddy's observability: logging, probe/metrics server, Flux metrics.
export { createLogger, formatConsoleLine, isLogLevel } from './logging.ts';
export type { LogEncoding, Logger, LoggerOptions, LogLevel } from './logging.ts';
export { ObserveServer, ObserveServerError, parseListenAddress } from './server.ts';
export type { Check, ObserveServerErrorReason, ObserveServerOptions } from './server.ts';
export { reconcileDurationBuckets, reconcileDurationHistogram, reconcileDurationMetricName } from './metrics.ts';
export { SeriesHistogram } from './series-histogram.ts';
export type { ReconcileDurationHistogram, ReconcileDurationLabels } from './metrics.ts';
