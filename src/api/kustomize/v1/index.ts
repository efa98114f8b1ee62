// kustomize.toolkit.fluxcd.io/v1 types and CRD.
export * from './group.ts';
export * from './kustomization.ts';
