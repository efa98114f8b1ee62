// The options kustomize-controller passes to the manager, as data the controller can use as is.
import type { ApplyOptions } from './manager-apply.ts';
import { defaultApplyOptions } from './manager-apply.ts';

const KS = 'kustomize.toolkit.fluxcd.io';

/** Apply options of a Kustomization (force from `spec.force`). */
export function kustomizeApplyOptions(controllerName: string, force = false): ApplyOptions {
  return {
    ...defaultApplyOptions(),
    force,
    forceSelector: { [`${KS}/force`]: 'Enabled' },
    exclusions: { [`${KS}/ssa`]: 'Ignore', [`${KS}/reconcile`]: 'disabled' },
    ifNotPresentSelector: { [`${KS}/ssa`]: 'IfNotPresent' },
    cleanup: {
      annotations: ['kubectl.kubernetes.io/last-applied-configuration', `${KS}/checksum`, 'fluxcd.io/sync-checksum'],
      labels: ['fluxcd.io/sync-gc-mark'],
      fieldManagers: [
        { name: 'kubectl', operation: 'Apply' }, // kubectl apply --server-side --force-conflicts
        { name: 'kubectl', operation: 'Update' }, // kubectl apply (client-side), edit, patch, scale …
        { name: 'before-first-apply', operation: 'Update' },
        { name: controllerName, operation: 'Update' },
      ],
      exclusions: { [`${KS}/ssa`]: 'Merge' },
    },
  };
}
