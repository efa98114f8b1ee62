// kustomize.toolkit.fluxcd.io/v1: the group of the Kustomization kind.
export const GROUP = 'kustomize.toolkit.fluxcd.io';
export const VERSION = 'v1';
export const API_VERSION = 'kustomize.toolkit.fluxcd.io/v1';
export const KUSTOMIZATION_KIND = 'Kustomization';
/** Labels written on every applied object, naming the Kustomization that owns it. */
export const OWNER_NAME_LABEL = `${GROUP}/name`;
export const OWNER_NAMESPACE_LABEL = `${GROUP}/namespace`;
/** Annotations users put on objects in their repositories. */
export const SSA_ANNOTATION = `${GROUP}/ssa`;
export const FORCE_ANNOTATION = `${GROUP}/force`;
export const PRUNE_ANNOTATION = `${GROUP}/prune`;
export const RECONCILE_ANNOTATION = `${GROUP}/reconcile`;
export const SUBSTITUTE_ANNOTATION = `${GROUP}/substitute`;
