// source.toolkit.fluxcd.io/v1 types and CRDs.
export * from './bucket.ts';
export * from './externalartifact.ts';
export * from './gitrepository.ts';
export * from './group.ts';
export * from './ocirepository.ts';
