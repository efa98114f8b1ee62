// Bucket source client (S3-compatible `generic` provider): listing, Flux's index revision,
// ignore rules and bounded, path-safe downloads.
export { BucketClient, fetchIndex, listObjects, type BucketConnection, type FetchIndexOptions, type ListOptions } from './client.ts';
export type { DownloadOptions, DownloadResult } from './download.ts';
export {
  AuthenticationFailed, BucketError, BucketNotFound, BucketOperationFailed, IllegalPath, InvalidEndpoint, TooLarge, Unreachable,
  type BucketErrorReason,
} from './errors.ts';
export { ignoreRules, SOURCE_IGNORE_KEY, type IgnoreRules } from './ignore-rules.ts';
export { compareKeys, formatIndex, indexRevision, trimEtag, type ObjectIndex } from './index-digest.ts';
export { keyToPath } from './key-path.ts';
export type { BucketIndex, BucketObject } from './types.ts';
