import { join } from 'node:path';
import { API_VERSION } from '../../api/source/v1/group.ts';
import type { Bucket } from '../../api/source/v1/bucket.ts';
import { BucketClient, BucketError } from '../../sources/bucket/index.ts';
import { FetchError, type FetchContext, type FetchResult, type SourceKind } from './source-kind.ts';

const MAX_BUCKET_BYTES = 1024 * 1024 * 1024;

/**
 * Flux's reasons: every failure of the bucket calls — credentials the server refuses included —
 * is BucketOperationFailed; AuthenticationFailed is kept for an unusable Secret (read before).
 */
function fetchError(err: unknown): FetchError {
  if (err instanceof FetchError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FetchError('BucketOperationFailed', message, { cause: err, stalling: err instanceof BucketError && err.reason === 'InvalidEndpoint' });
}

async function clientFor(obj: Bucket, ctx: FetchContext): Promise<BucketClient> {
  const { spec } = obj;
  const keys = spec.secretRef ? await ctx.secret(spec.secretRef.name) : {};
  const certs = spec.certSecretRef ? await ctx.secret(spec.certSecretRef.name) : {};
  return new BucketClient({
    endpoint: spec.endpoint, bucketName: spec.bucketName, insecure: spec.insecure ?? false, timeoutMs: ctx.timeoutMs,
    ...(spec.region ? { region: spec.region } : {}),
    ...(keys['accesskey'] ? { accessKey: keys['accesskey'] } : {}),
    ...(keys['secretkey'] ? { secretKey: keys['secretkey'] } : {}),
    ...(certs['ca.crt'] ? { ca: certs['ca.crt'] } : {}),
  });
}

async function fetchBucket(obj: Bucket, ctx: FetchContext): Promise<FetchResult> {
  const { spec } = obj;
  if ((spec.provider ?? 'generic') !== 'generic') throw new FetchError('BucketOperationFailed', `provider ${spec.provider ?? ''} is not supported yet: only generic`, { stalling: true });
  const client = await clientFor(obj, ctx).catch((err: unknown) => Promise.reject(fetchError(err)));
  try {
    // Listing gives the revision (a digest of key → ETag): unchanged objects are not downloaded.
    const index = await client.fetchIndex({ ...(spec.prefix ? { prefix: spec.prefix } : {}), ...(spec.ignore ? { ignore: spec.ignore } : {}) });
    if (ctx.inputsUnchanged && ctx.current?.revision === index.revision) return { kind: 'unchanged', revision: index.revision };
    const dir = join(await ctx.tmpDir(), 'objects');
    const got = await client.download(index, dir, { maxTotalBytes: MAX_BUCKET_BYTES });
    return { kind: 'dir', dir, revision: got.revision, filter: false };
  } catch (err) {
    throw fetchError(err);
  } finally {
    client.close();
  }
}

export const bucketKind: SourceKind<Bucket> = {
  ref: { apiVersion: API_VERSION, kind: 'Bucket' },
  storageKind: 'bucket',
  url: (o) => `${o.spec.endpoint}/${o.spec.bucketName}`,
  observedInputs: (o) => ({ observedIgnore: o.spec.ignore }),
  fetch: fetchBucket,
  latestLink: true,
  storedMessage: (revision) => `stored artifact: revision '${revision}'`,
};
