// eddy's informer SDK: a list+watch cache of one kind with event handlers and indexes.
export { SharedInformer, stripManagedFields } from './informer.ts';
export type {
  EventHandler,
  EventHandlerRegistration,
  InformerStats,
  Logger,
  SharedInformerOptions,
} from './informer.ts';
export { Store } from './store.ts';
export type { IndexFunc, Indexers, KeyFunc, ReplaceResult, StoreOptions } from './store.ts';
export { Backoff, defaultBackoffOptions } from './backoff.ts';
export type { BackoffOptions } from './backoff.ts';
export { systemClock } from './clock.ts';
export type { Clock } from './clock.ts';
export { InformerError, isExpired, statusCodeOf } from './errors.ts';
export type { InformerErrorReason } from './errors.ts';
