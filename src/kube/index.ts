// eddy/kube: the Kubernetes client of eddy's SDK.
export { KubeClient, type ApplyOptions, type ClientOptions, type DeleteOptions, type PatchOptions, type PatchType, type ReadOptions, type WriteOptions } from './client.ts';
export { Credentials, type ConnectionOptions } from './config.ts';
export {
  ApiError, NoKindMatchError, TransportError, isAlreadyExists, isConflict, isForbidden, isGone, isInvalid, isNotFound, isTooManyRequests,
  type ApiErrorReason,
} from './errors.ts';
export { RESTMapper, resourcePath, type ResourceMapping } from './rest-mapper.ts';
export { TokenBucket } from './rate-limit.ts';
export { Transport, type Impersonation, type TransportOptions } from './transport.ts';
export * from './types.ts';
