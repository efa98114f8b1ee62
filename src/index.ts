// eddy's SDK root; prefer the subpaths `eddy/kube` and `eddy/runtime`.
export * as kube from './kube/index.ts';
export * as runtime from './runtime/index.ts';
