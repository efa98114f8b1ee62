// A read-only client for one registry host over the distribution API v2, on undici. Token auth
// from the WWW-Authenticate challenge (cached per scope until it expires) or Basic; bounded
// retries; every byte handed out as valid has been checked against its sha256 digest.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import type { RegistryCredentials } from './auth.ts';
import { parseAuthChallenges } from './auth.ts';
import { CheckedBlobBody } from './blob-body.ts';
import type { AuthChallenge } from './auth.ts';
import { OciError } from './errors.ts';
import { discard, header, nextLink, readBody, statusError, transportError } from './http.ts';
import type { Response } from './http.ts';
import { MANIFEST_ACCEPT, parseManifest } from './manifest.ts';
import type { Manifest } from './manifest.ts';
import { validateDigest, validateRepositoryPath, validateTag } from './reference.ts';
import { DEFAULT_RETRY, defaultSleep, withRetry } from './retry.ts';
import type { RetryPolicy, Sleep } from './retry.ts';

export interface RegistryOptions {
  /** host[:port] of the registry, as in the oci:// url. */
  host: string;
  /** Allow plain HTTP (tried after HTTPS) and, without a CA, skip TLS verification, as Flux does. */
  insecure?: boolean;
  /** PEM CA added to the system roots. */
  ca?: string;
  /** PEM client certificate and key for mutual TLS. */
  cert?: string;
  key?: string;
  credentials?: RegistryCredentials | undefined;
  /** Per request: time to response headers and between body chunks. Default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  retry?: Partial<RetryPolicy>;
  /** Largest manifest accepted; default 4 MiB. */
  maxManifestBytes?: number;
  /** `n` for tag listing pages; default 1000. */
  tagPageSize?: number;
  sleep?: Sleep;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface FetchedManifest {
  /** sha256 of the bytes, checked against Docker-Content-Digest and the requested digest. */
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
  manifest: Manifest;
}

export interface ManifestHead {
  digest: string | undefined;
  mediaType: string | undefined;
  size: number | undefined;
}

export interface BlobOptions extends CallOptions {
  maxBytes: number;
  /** The descriptor's size: any other length is a mismatch. */
  expectedSize?: number;
}

export interface DownloadedBlob {
  digest: string;
  size: number;
  path: string;
}

export interface ReadBlob<T> {
  digest: string;
  size: number;
  /** What the consumer made of the blob. */
  value: T;
}

interface Req extends CallOptions {
  method: 'GET' | 'HEAD';
  /** Origin-relative path and query. */
  path: string;
  repository: string;
  accept?: string;
  what: string;
  followRedirects?: boolean;
}

const MAX_TAG_PAGES = 10_000;
const MAX_REDIRECTS = 5;
const TOKEN_EXPIRY_MARGIN_MS = 10_000;

export class Registry {
  readonly host: string;
  private readonly insecure: boolean;
  private readonly credentials: RegistryCredentials | undefined;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly retry: RetryPolicy;
  private readonly maxManifestBytes: number;
  private readonly tagPageSize: number;
  private readonly sleep: Sleep;
  private readonly agent: Agent;
  private readonly tokens = new Map<string, { value: string; expiresAt: number }>();
  private basicKnown = false;
  private origin: Promise<string> | undefined;

  constructor(options: RegistryOptions) {
    this.host = options.host.toLowerCase();
    this.insecure = options.insecure ?? false;
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'eddy-source-controller';
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.maxManifestBytes = options.maxManifestBytes ?? 4 * 1024 * 1024;
    this.tagPageSize = options.tagPageSize ?? 1000;
    this.sleep = options.sleep ?? defaultSleep;
    if ((options.cert === undefined) !== (options.key === undefined)) {
      throw new OciError('InvalidCredentials', 'a client certificate needs both cert and key');
    }
    this.agent = new Agent({
      allowH2: false,
      keepAliveTimeout: 30_000,
      connect: {
        ...(options.ca !== undefined ? { ca: [...rootCertificates, options.ca] } : {}),
        ...(options.cert !== undefined ? { cert: options.cert, key: options.key } : {}),
        // Flux: insecure without a CA also skips certificate verification (crane compatibility).
        ...(this.insecure && options.ca === undefined ? { rejectUnauthorized: false } : {}),
      },
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Every tag of the repository, following `Link: <…>; rel="next"` pages. */
  async listTags(repository: string, opts: CallOptions = {}): Promise<string[]> {
    validateRepositoryPath(repository);
    const tags: string[] = [];
    const seen = new Set<string>();
    let next: string | undefined = `/v2/${repository}/tags/list?n=${this.tagPageSize}`;
    while (next !== undefined) {
      if (seen.has(next) || seen.size >= MAX_TAG_PAGES) throw new OciError('Protocol', `tag list of ${repository} does not end`);
      seen.add(next);
      const path: string = next;
      const page = await withRetry(() => this.tagPage(repository, path, opts), this.retry, this.sleep, opts.signal);
      tags.push(...page.tags);
      next = page.next;
    }
    return tags;
  }

  /** The manifest or index for a tag or digest; its digest is computed from the bytes. */
  async getManifest(repository: string, reference: string, opts: CallOptions = {}): Promise<FetchedManifest> {
    const byDigest = validateManifestReference(repository, reference);
    const what = `GET manifest ${repository}${byDigest ? '@' : ':'}${reference} from ${this.host}`;
    return withRetry(
      async () => {
        const res = await this.authorized({ ...opts, method: 'GET', path: `/v2/${repository}/manifests/${reference}`, repository, accept: MANIFEST_ACCEPT, what });
        const bytes = await readBody(res, this.maxManifestBytes, what);
        const digest = sha256(bytes);
        if (byDigest && digest !== reference) throw new OciError('DigestMismatch', `${what}: content has digest ${digest}`);
        const announced = header(res, 'docker-content-digest');
        if (announced?.startsWith('sha256:') && announced !== digest) {
          throw new OciError('DigestMismatch', `${what}: Docker-Content-Digest ${announced} does not match the content's ${digest}`);
        }
        const manifest = parseManifest(bytes, header(res, 'content-type'));
        return { digest, mediaType: manifest.mediaType, size: bytes.length, bytes, manifest };
      },
      this.retry,
      this.sleep,
      opts.signal,
    );
  }

  /** HEAD of a manifest: what the registry says its digest is, without downloading it. */
  async headManifest(repository: string, reference: string, opts: CallOptions = {}): Promise<ManifestHead> {
    validateManifestReference(repository, reference);
    const what = `HEAD manifest ${repository}:${reference} from ${this.host}`;
    return withRetry(
      async () => {
        const res = await this.authorized({ ...opts, method: 'HEAD', path: `/v2/${repository}/manifests/${reference}`, repository, accept: MANIFEST_ACCEPT, what });
        await res.body.dump();
        const digest = header(res, 'docker-content-digest');
        const size = Number(header(res, 'content-length'));
        return {
          digest: digest !== undefined && /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : undefined,
          mediaType: header(res, 'content-type')?.split(';')[0]?.trim(),
          size: Number.isFinite(size) ? size : undefined,
        };
      },
      this.retry,
      this.sleep,
      opts.signal,
    );
  }

  /** A whole blob in memory, verified; for small blobs (configs, signature payloads). */
  async getBlob(repository: string, digest: string, opts: BlobOptions): Promise<Buffer> {
    return (await this.readBlob(repository, digest, opts, collect)).value;
  }

  /**
   * Streams a blob to `path` through sha256. It is written to a temporary sibling and renamed
   * only once verified, so `path` never holds unverified bytes.
   */
  async downloadBlob(repository: string, digest: string, path: string, opts: BlobOptions): Promise<DownloadedBlob> {
    return withRetry(
      async () => {
        const partial = `${path}.${randomBytes(6).toString('hex')}.partial`;
        // A failed write is retried like a failed read, as any trouble moving the bytes.
        const write = (chunks: AsyncIterable<Buffer>) =>
          fs.writeFile(partial, chunks, { flag: 'wx', mode: 0o600 }).catch((err: unknown) => Promise.reject(transportError(err, this.blobWhat(repository, digest))));
        try {
          const { size } = await this.readBlobOnce(repository, digest, opts, write);
          await fs.rename(partial, path);
          return { digest, size, path };
        } catch (err) {
          await fs.rm(partial, { force: true });
          throw err;
        }
      },
      this.retry,
      this.sleep,
      opts.signal,
    );
  }

  /**
   * Streams a blob into `consume` as it arrives (no staging file); every attempt starts over. The
   * value is returned only once the whole blob matched its size and digest, and when the consumer
   * fails on a blob that is itself cut, too long or another one, the blob's error is thrown.
   */
  async readBlob<T>(repository: string, digest: string, opts: BlobOptions, consume: (chunks: AsyncIterable<Buffer>) => Promise<T>): Promise<ReadBlob<T>> {
    return withRetry(() => this.readBlobOnce(repository, digest, opts, consume), this.retry, this.sleep, opts.signal);
  }

  private async tagPage(repository: string, path: string, opts: CallOptions): Promise<{ tags: string[]; next: string | undefined }> {
    const what = `list tags of ${repository} on ${this.host}`;
    const res = await this.authorized({ ...opts, method: 'GET', path, repository, accept: 'application/json', what });
    const body = await readBody(res, this.maxManifestBytes, what);
    let tags: unknown;
    try {
      tags = (JSON.parse(body.toString('utf8')) as { tags?: unknown }).tags;
    } catch (err) {
      throw new OciError('Protocol', `${what}: answer is not JSON`, { cause: err });
    }
    if (tags !== null && tags !== undefined && !(Array.isArray(tags) && tags.every((t) => typeof t === 'string'))) {
      throw new OciError('Protocol', `${what}: 'tags' is not a list of strings`);
    }
    const origin = await this.resolveOrigin();
    const next = nextLink(header(res, 'link'), new URL(path, origin));
    if (next !== undefined && next.origin !== origin) throw new OciError('Protocol', `${what}: next page is on another host`);
    return { tags: (tags) ?? [], next: next ? next.pathname + next.search : undefined };
  }

  /** One GET of a blob into `consume`, checked as it streams (see CheckedBlobBody). */
  private async readBlobOnce<T>(repository: string, digest: string, opts: BlobOptions, consume: (chunks: AsyncIterable<Buffer>) => Promise<T>): Promise<ReadBlob<T>> {
    const body = await this.openBlob(repository, digest, opts);
    let value: T;
    try {
      value = await consume(body.chunks());
    } catch (err) {
      throw (await body.failure()) ?? err;
    }
    await body.drain();
    return { digest, size: body.size, value };
  }

  private async openBlob(repository: string, digest: string, opts: BlobOptions): Promise<CheckedBlobBody> {
    validateRepositoryPath(repository);
    validateDigest(digest);
    const what = this.blobWhat(repository, digest);
    const res = await this.authorized({ ...opts, method: 'GET', path: `/v2/${repository}/blobs/${digest}`, repository, what, followRedirects: true });
    const declared = Number(header(res, 'content-length'));
    const limit = Math.min(opts.maxBytes, opts.expectedSize ?? Infinity);
    if (Number.isFinite(declared) && declared > limit) {
      discard(res);
      if (declared > opts.maxBytes) throw new OciError('TooLarge', `${what}: ${declared} bytes is more than the limit of ${opts.maxBytes}`);
      throw new OciError('DigestMismatch', `${what}: ${declared} bytes, the descriptor says ${opts.expectedSize}`);
    }
    return new CheckedBlobBody(res, what, digest, opts);
  }

  private blobWhat(repository: string, digest: string): string {
    return `GET blob ${digest} from ${this.host}/${repository}`;
  }

  /** Sends with the cached authorization; on 401 answers the challenge once and resends. */
  private async authorized(req: Req): Promise<Response> {
    const scope = `repository:${req.repository}:pull`;
    const url = new URL(req.path, await this.resolveOrigin());
    let res = await this.send(url, req, this.cachedAuthorization(scope));
    if (res.statusCode === 401) {
      const challenge = header(res, 'www-authenticate') ?? '';
      await res.body.dump();
      this.tokens.delete(scope);
      const authorization = await this.answerChallenge(challenge, scope, req);
      res = await this.send(url, req, authorization);
      if (res.statusCode === 401) {
        await res.body.dump();
        throw new OciError('Unauthorized', `${req.what}: HTTP 401: the registry refused the ${this.credentials ? 'credentials' : 'anonymous access'}`, { status: 401 });
      }
    }
    if (req.followRedirects) res = await this.followRedirects(res, url, req);
    if (res.statusCode >= 300) throw await statusError(res, req.what);
    return res;
  }

  /** Blob GETs may be redirected to storage; credentials never follow to another origin. */
  private async followRedirects(first: Response, url: URL, req: Req): Promise<Response> {
    let res = first;
    let current = url;
    for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400; hops++) {
      const location = header(res, 'location');
      await res.body.dump();
      if (location === undefined || hops >= MAX_REDIRECTS) throw new OciError('Protocol', `${req.what}: bad redirect (HTTP ${res.statusCode})`);
      const target = new URL(location, current);
      if (target.protocol !== 'https:' && !(target.protocol === 'http:' && (this.insecure || current.protocol === 'http:'))) {
        throw new OciError('Protocol', `${req.what}: refusing redirect to ${target.protocol}`);
      }
      const sameOrigin = target.origin === url.origin;
      res = await this.send(target, req, sameOrigin ? this.cachedAuthorization(`repository:${req.repository}:pull`) : undefined);
      current = target;
    }
    return res;
  }

  private async send(url: URL, req: Req, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (req.accept !== undefined) headers.accept = req.accept;
    if (authorization !== undefined) headers.authorization = authorization;
    try {
      return await request(url, {
        method: req.method,
        headers,
        dispatcher: this.agent,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(req.signal ? { signal: req.signal } : {}),
      });
    } catch (err) {
      // The client outlives a reconcile: an insecure registry that stopped answering on the
      // origin found earlier is probed again next time (it may have moved to or from TLS).
      if (this.insecure) this.origin = undefined;
      throw transportError(err, req.what);
    }
  }

  private cachedAuthorization(scope: string): string | undefined {
    const creds = this.credentials;
    if (creds?.kind === 'registryToken') return `Bearer ${creds.token}`;
    const token = this.tokens.get(scope);
    if (token && token.expiresAt > Date.now()) return `Bearer ${token.value}`;
    if (this.basicKnown && creds?.kind === 'basic') return basicHeader(creds.username, creds.password);
    return undefined;
  }

  private async answerChallenge(headerValue: string, scope: string, req: Req): Promise<string> {
    const challenges = parseAuthChallenges(headerValue);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) return `Bearer ${await this.fetchToken(bearer, scope, req)}`;
    const creds = this.credentials;
    if (challenges.some((c) => c.scheme === 'basic') && creds?.kind === 'basic') {
      this.basicKnown = true;
      return basicHeader(creds.username, creds.password);
    }
    const why = creds ? 'the credentials do not fit its challenge' : 'no credentials were given';
    throw new OciError('Unauthorized', `${req.what}: HTTP 401: authentication required and ${why}`, { status: 401 });
  }

  /** Token from the challenge's realm (anonymous, Basic, or an OAuth2 refresh token), cached per scope. */
  private async fetchToken(challenge: AuthChallenge, scope: string, req: Req): Promise<string> {
    const realm = parseRealm(challenge.params.realm, req.what);
    const creds = this.credentials;
    if (creds && realm.protocol === 'http:' && !this.insecure) {
      throw new OciError('Protocol', `${req.what}: token realm ${realm.host} is plain HTTP; refusing to send credentials there`);
    }
    const what = `token request to ${realm.host} for ${req.repository}`;
    const tokenRequest = this.tokenRequest(realm, challenge, scope); // sets realm's query
    let res: Response;
    try {
      res = await request(realm, { ...tokenRequest, dispatcher: this.agent, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, ...(req.signal ? { signal: req.signal } : {}) });
    } catch (err) {
      throw transportError(err, what);
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      await res.body.dump();
      throw new OciError('Unauthorized', `${what}: HTTP ${res.statusCode}: the token service refused the ${creds ? 'credentials' : 'anonymous request'}`, { status: 401 });
    }
    if (res.statusCode >= 300) throw await statusError(res, what);
    return this.cacheToken(scope, await readBody(res, 1024 * 1024, what), what);
  }

  /** GET with Basic (or anonymous), or an OAuth2 refresh-token POST for an identity token. */
  private tokenRequest(realm: URL, challenge: AuthChallenge, scope: string): { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string } {
    const creds = this.credentials;
    const service = challenge.params.service;
    const tokenScope = challenge.params.scope ?? scope;
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: 'application/json' };
    if (creds?.kind === 'identityToken') {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.token, client_id: 'eddy', scope: tokenScope });
      if (service !== undefined) form.set('service', service);
      headers['content-type'] = 'application/x-www-form-urlencoded';
      return { method: 'POST', headers, body: form.toString() };
    }
    if (service !== undefined) realm.searchParams.set('service', service);
    realm.searchParams.set('scope', tokenScope);
    if (creds?.kind === 'basic') headers.authorization = basicHeader(creds.username, creds.password);
    return { method: 'GET', headers };
  }

  private cacheToken(scope: string, body: Buffer, what: string): string {
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      throw new OciError('Protocol', `${what}: answer is not JSON`); // no cause: the body may hold a token
    }
    const token = typeof parsed.token === 'string' && parsed.token !== '' ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token === '') throw new OciError('Protocol', `${what}: answer has no token`);
    // The distribution spec's default lifetime is 60 s; refresh a little early.
    const lifetimeMs = (typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60) * 1000;
    const now = Date.now();
    // A pooled client meets many repositories: expired tokens go before a new one is kept.
    for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k);
    this.tokens.set(scope, { value: token, expiresAt: now + Math.max(0, lifetimeMs - TOKEN_EXPIRY_MARGIN_MS) });
    return token;
  }

  /** https://host, or with `insecure` whichever of https and http answers (HTTPS first, as Flux). */
  private resolveOrigin(): Promise<string> {
    // probeOrigin never rejects; a transport error later forgets the origin (send).
    this.origin ??= this.insecure ? this.probeOrigin() : Promise.resolve(`https://${this.host}`);
    return this.origin;
  }

  private async probeOrigin(): Promise<string> {
    try {
      const res = await request(`https://${this.host}/v2/`, {
        method: 'GET',
        headers: { 'user-agent': this.userAgent },
        dispatcher: this.agent,
        headersTimeout: Math.min(this.timeoutMs, 5_000),
        bodyTimeout: Math.min(this.timeoutMs, 5_000),
      });
      await res.body.dump();
      return `https://${this.host}`;
    } catch {
      return `http://${this.host}`;
    }
  }
}

/** Validates repository and tag-or-digest; true when the reference is a digest. */
function validateManifestReference(repository: string, reference: string): boolean {
  validateRepositoryPath(repository);
  if (reference.includes(':')) {
    validateDigest(reference);
    return true;
  }
  validateTag(reference);
  return false;
}

function parseRealm(realm: string | undefined, what: string): URL {
  let url: URL | undefined;
  try {
    url = realm ? new URL(realm) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new OciError('Protocol', `${what}: bearer challenge has no usable realm`);
  }
  return url;
}

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
