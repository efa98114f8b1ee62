// Public surface of eddy's controller SDK: work queue, rate limiters, controller loop, metrics.
export { systemClock, type Cancel, type Clock } from './clock.ts';
export { FakeClock, flushPromises } from './fake-clock.ts';
export { deferred, metricValue, type Deferred } from './testing.ts';
export { ControllerError, TerminalError, isTerminalError, type ControllerErrorReason } from './errors.ts';
export { noopLogger, type Logger } from './logger.ts';
export { parseKey, requestKey, type Request } from './request.ts';
export {
  BucketRateLimiter,
  DEFAULT_MAX_RETRY_DELAY_MS,
  DEFAULT_MIN_RETRY_DELAY_MS,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type ControllerRateLimiterOptions,
  type RateLimiter,
} from './rate-limiter.ts';
export { WorkQueue, type WorkQueueOptions } from './queue.ts';
export {
  RECONCILE_TIME_BUCKETS,
  RuntimeMetrics,
  WORKQUEUE_BUCKETS,
  noopQueueMetrics,
  type QueueMetrics,
  type ReconcileMetrics,
  type ReconcileResultLabel,
} from './metrics.ts';
export {
  Controller,
  type ControllerOptions,
  type ReconcileContext,
  type Reconciler,
  type Result,
} from './controller.ts';
