// eddy/runtime: the controller runtime of eddy's SDK. Condition helpers with short generic
// names (get, set, markTrue, …) are grouped under `conditions`.
export * from './queue/index.ts';
export * from './manager/index.ts';
export { SharedInformer, Store, stripManagedFields, InformerError, isExpired } from './informer/index.ts';
export type { EventHandler, EventHandlerRegistration, InformerStats, SharedInformerOptions, IndexFunc, Indexers } from './informer/index.ts';
export { LeaderElector, type LeaderElectionOptions } from './leader/election.ts';
export { DurationError, formatDuration, parseDuration } from './duration.ts';
export * as conditions from './status/conditions.ts';
export { ConditionType, Reason, type Condition } from './status/conditions.ts';
export { computeSummary, summarize, type SummarizeSpec } from './status/summarize.ts';
export { StatusPatcher, StatusPatchError, type StatusWriter, type StatusPatcherOptions, type PatchOptions as StatusPatchOptions } from './status/patcher.ts';
export { addFinalizer, FluxFinalizer, hasFinalizer, removeFinalizer } from './status/finalizers.ts';
export { computeStatus, type KStatus, type KStatusResult } from './status/kstatus.ts';
export { createMergePatch, applyMergePatch } from './status/merge-patch.ts';
export * from './events/index.ts';
export { createLogger, isLogLevel, ObserveServer, ObserveServerError, reconcileDurationHistogram } from './observe/index.ts';
export type { LogEncoding, LogLevel, LoggerOptions, Check } from './observe/index.ts';
