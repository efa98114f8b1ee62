// A minimal path-style S3 client for tests (bucket create/list, object put/get/list) with
// SigV4 signing; enough to seed and inspect the S3 test server.
import { HttpStatusError, httpRequest } from './http-client.ts';
import type { HttpResponse } from './http-client.ts';
import { signRequest, uriEncode } from './sigv4.ts';
import type { AwsCredentials } from './sigv4.ts';

export interface S3Access {
  /** http(s)://127.0.0.1:PORT */
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
  /** PEM of the endpoint's CA. */
  ca?: string | undefined;
}

export interface S3Object {
  key: string;
  size: number;
  etag: string;
}

export interface S3RequestOptions {
  /** Object key (encoded per segment here). */
  key?: string;
  query?: Record<string, string>;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** 'iam' etc. for non-S3 calls on the same endpoint. */
  service?: string;
}

/** A signed request to `/<bucket>/<key>?query`; the path and query go out in canonical form. */
export async function s3Request(access: S3Access, method: string, bucket: string, options: S3RequestOptions = {}): Promise<HttpResponse> {
  let pathname = bucket === '' ? '/' : `/${uriEncode(bucket)}`;
  if (options.key !== undefined) pathname += `/${options.key.split('/').map(uriEncode).join('/')}`;
  const query = Object.entries(options.query ?? {})
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    .sort()
    .join('&');
  const url = new URL(`${access.endpoint}${pathname}${query === '' ? '' : `?${query}`}`);
  const headers = signRequest({
    method,
    url,
    headers: options.headers,
    body: options.body,
    region: access.region,
    service: options.service ?? 's3',
    credentials: access.credentials,
  });
  return httpRequest(url, { method, headers, body: options.body, ca: access.ca });
}

export async function createBucket(access: S3Access, bucket: string): Promise<void> {
  // Outside us-east-1 S3 wants the region in the body.
  const body = access.region === 'us-east-1'
    ? undefined
    : `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${access.region}</LocationConstraint></CreateBucketConfiguration>`;
  expectOk(await s3Request(access, 'PUT', bucket, { body }), `create bucket ${bucket}`);
}

export async function putObject(
  access: S3Access,
  bucket: string,
  key: string,
  body: string | Buffer,
  contentType = 'application/octet-stream',
): Promise<string> {
  const res = await s3Request(access, 'PUT', bucket, { key, body, headers: { 'content-type': contentType } });
  expectOk(res, `put s3://${bucket}/${key}`);
  return String(res.headers.etag ?? '');
}

export async function getObject(access: S3Access, bucket: string, key: string): Promise<Buffer> {
  const res = await s3Request(access, 'GET', bucket, { key });
  expectOk(res, `get s3://${bucket}/${key}`);
  return res.body;
}

/** ListObjectsV2, following continuation tokens. */
export async function listObjects(access: S3Access, bucket: string, prefix?: string): Promise<S3Object[]> {
  const objects: S3Object[] = [];
  let token: string | undefined;
  do {
    const query: Record<string, string> = { 'list-type': '2' };
    if (prefix !== undefined) query.prefix = prefix;
    if (token !== undefined) query['continuation-token'] = token;
    const res = await s3Request(access, 'GET', bucket, { query });
    expectOk(res, `list s3://${bucket}`);
    const xml = res.text();
    for (const [, contents = ''] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
      objects.push({
        key: xmlText(tag(contents, 'Key')),
        size: Number(tag(contents, 'Size')),
        etag: xmlText(tag(contents, 'ETag')),
      });
    }
    token = tag(xml, 'IsTruncated') === 'true' ? xmlText(tag(xml, 'NextContinuationToken')) : undefined;
  } while (token !== undefined);
  return objects;
}

export async function listBuckets(access: S3Access): Promise<string[]> {
  const res = await s3Request(access, 'GET', '');
  expectOk(res, 'list buckets');
  return [...res.text().matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => xmlText(m[1] ?? ''));
}

export function tag(xml: string, name: string): string {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? '';
}

function xmlText(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x?[0-9a-f]+;/gi, (e) => String.fromCodePoint(Number(e.startsWith('&#x') ? `0x${e.slice(3, -1)}` : e.slice(2, -1))))
    .replace(/&amp;/g, '&');
}

function expectOk(res: HttpResponse, what: string): void {
  if (res.status < 200 || res.status > 299) throw new HttpStatusError(what, res);
}
