// Public surface of eddy's status toolkit: conditions, summarize, status patcher, finalizers, kstatus.
export {
  compareConditionTypes,
  ConditionType,
  ConditionWriter,
  formatTime,
  get,
  getConditions,
  getMessage,
  getReason,
  has,
  isFalse,
  isReady,
  isReconciling,
  isStalled,
  isTrue,
  isUnknown,
  markFalse,
  markReconciling,
  markStalled,
  markTrue,
  markUnknown,
  Reason,
  remove,
  set,
  setConditions,
} from './conditions.ts';
export type { Clock, Condition, ConditionInput, ConditionStatus, ReconcilingReason } from './conditions.ts';
export { computeSummary, summarize } from './summarize.ts';
export type { SummarizeSpec } from './summarize.ts';
export { applyMergePatch, createMergePatch } from './merge-patch.ts';
export { httpCodeOf, StatusPatcher, StatusPatchError } from './patcher.ts';
export type { ObjectGetter, PatchOptions, StatusPatcherOptions, StatusPatchErrorReason, StatusWriter } from './patcher.ts';
export { addFinalizer, FluxFinalizer, hasFinalizer, removeFinalizer } from './finalizers.ts';
export type { FinalizerChange, JsonPatchOp } from './finalizers.ts';
export { computeStatus, podScheduleWindowMs } from './kstatus.ts';
export type { ComputeStatusOptions, KStatus, KStatusResult } from './kstatus.ts';
