// eddy/ssa: the server-side-apply resource manager.
export { ChangeSet, changeSetEntry, fmtObjMetadata, objMetadataOf, typeRefOf, type Action, type ChangeSetEntry, type ObjMetadata } from './changeset.ts';
export { cleanupPatch, mergeFieldSets, transferFieldManagers, type CleanupOptions, type FieldManager, type JsonPatchOp } from './cleanup.ts';
export type { Owner } from './context.ts';
export { ApplyError, DeleteError, WaitError, scrubMessage, type ApplyErrorReason, type DeleteErrorReason, type ObjectStatus, type WaitErrorReason } from './errors.ts';
export { kustomizeApplyOptions } from './flux-defaults.ts';
export { defaultApplyOptions, isImmutableError, type ApplyOptions } from './manager-apply.ts';
export { defaultDeleteOptions, type DeleteOptions } from './manager-delete.ts';
export { defaultDiffOptions, maskSecretPair, type DiffOptions, type DiffResult } from './manager-diff.ts';
export { defaultWaitOptions, type WaitOptions } from './manager-wait.ts';
export { ResourceManager, type ResourceManagerOptions } from './manager.ts';
export { hasDrifted, jsonEqual, prepareForDiff, anyInMetadata } from './normalize.ts';
export { FIRST_KINDS, LAST_KINDS, compareMeta, isClusterDefinition, sortObjects, splitStages } from './sort.ts';
