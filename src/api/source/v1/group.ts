// source.toolkit.fluxcd.io/v1: the group every source kind lives in.
export const GROUP = 'source.toolkit.fluxcd.io';
export const VERSION = 'v1';
export const API_VERSION = 'source.toolkit.fluxcd.io/v1';
/** As Flux's markers: `kubectl get fluxcd-sources` (and `all`) lists every source. */
export const SOURCE_CATEGORIES = ['all', 'fluxcd', 'fluxcd-sources'];
/** Flux marks Git and OCI source CRDs so kustomize-controller never substitutes variables in them. */
export const NO_SUBSTITUTE = { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' };
