// The consumer side (kustomize and helm controllers): download an artifact, verify its digest,
// extract it safely. Like Flux's fetcher (fluxcd/pkg http/fetch), 5xx and network failures are
// retried with backoff and 404 is a typed NotFound the caller turns into a requeue; unlike it,
// symlinks inside the artifact are extracted (Flux drops them) when they stay inside dest.
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import { newHash, parseDigest } from './digest.ts';
import { deadline } from '../runtime/deadline.ts';
import { ArtifactError, redactUrl } from './errors.ts';
import { extractTarGz, type ExtractLimits, type ExtractResult } from './extract.ts';
import { extractTarGzToTree, type ArtifactTree } from './tree.ts';

export interface FetchArtifactOptions extends FetchOptions {
  /** Absent or empty directory to extract into; left empty on failure. */
  dest: string;
  /** Where the download is staged; default os.tmpdir(). */
  tmpDir?: string;
}

export interface FetchOptions {
  url: string;
  /** `sha256:<hex>` (sha384 and sha512 also accepted). */
  digest: string;
  /** Compressed bytes; default 100 MiB. */
  maxDownloadBytes?: number;
  /** Uncompressed bytes; default 100 MiB (Flux's DefaultMaxUntarSize). */
  maxUntarBytes?: number;
  /** Entries; default 100 000. */
  maxFiles?: number;
  /** Extra attempts after a network error or 5xx; default 9 (Flux's --http-retry). */
  retries?: number;
  /** Per attempt, headers and body; default 60 s. */
  timeoutMs?: number;
  /** Delay before the first retry, doubled per retry up to maxMs; default 500 ms and 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export interface FetchArtifactResult extends ExtractResult {
  digest: string;
  /** Compressed bytes downloaded. */
  size: number;
  /** Attempts made (1 when the first succeeded). */
  attempts: number;
}

const MiB = 1024 * 1024;

export async function fetchArtifact(options: FetchArtifactOptions): Promise<FetchArtifactResult> {
  const tmp = await fs.mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'eddy-fetch-'));
  const file = path.join(tmp, 'artifact.tar.gz');
  try {
    const { digest, size, attempts } = await downloadWithRetries(options, async (body) => {
      await pipeline(body, createWriteStream(file));
    });
    const extracted = await extractTarGz(createReadStream(file), options.dest, limitsOf(options));
    return { ...extracted, digest, size, attempts };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The same download, extracted into memory as it arrives (no staging file, no directory): for
 * consumers that only read the artifact. The tree is returned only once the digest matched.
 */
export async function fetchArtifactTree(options: FetchOptions): Promise<FetchArtifactResult & { tree: ArtifactTree }> {
  const { digest, size, attempts, value } = await downloadWithRetries(options, (body) => extractTarGzToTree(body, limitsOf(options)));
  return { ...value, digest, size, attempts };
}

/**
 * An artifact of this process's own storage read from its file instead of over HTTP (the
 * kustomize controller running beside the source controller): the same limits, digest check and
 * in-memory extraction, without a request to serve and to make. A missing file is NotFound.
 */
export async function readArtifactTree(options: Omit<FetchOptions, 'retries' | 'backoff' | 'dispatcher' | 'timeoutMs'> & { file: string }): Promise<FetchArtifactResult & { tree: ArtifactTree }> {
  const expected = parseDigest(options.digest);
  const where = redactUrl(options.url);
  const file = await fs.open(options.file, 'r').catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactError('NotFound', `artifact not found at ${where}`);
    throw new ArtifactError('Network', `reading ${where}: ${(err as Error).message}`, { cause: err });
  });
  const meter = new Meter(expected.algorithm, options.maxDownloadBytes ?? 100 * MiB, where);
  // The stream closes the file when it ends or is destroyed.
  const input = file.createReadStream({ ...(options.signal ? { signal: options.signal } : {}) });
  input.once('error', (err) => meter.destroy(err));
  const value = await extractTarGzToTree(input.pipe(meter), limitsOf(options));
  const digest = meter.digest();
  assertDigest(digest, options);
  return { ...value, digest, size: meter.size, attempts: 1 };
}

/** The bytes read must be the artifact the source named. */
function assertDigest(actual: string, options: Pick<FetchOptions, 'url' | 'digest'>): void {
  const expected = parseDigest(options.digest);
  if (actual !== `${expected.algorithm}:${expected.hex}`) {
    throw new ArtifactError('DigestMismatch', `artifact from ${redactUrl(options.url)} has digest ${actual}, expected ${options.digest}`);
  }
}

const limitsOf = (options: Pick<FetchOptions, 'maxUntarBytes' | 'maxFiles'>): ExtractLimits => ({ maxUntarBytes: options.maxUntarBytes ?? 100 * MiB, maxFiles: options.maxFiles ?? 100_000 });

interface Downloaded<T> {
  digest: string;
  size: number;
  attempts: number;
  value: T;
}

/** Downloads with retries; `consume` reads the body (metered and hashed) and the digest is checked after it. */
async function downloadWithRetries<T>(options: FetchOptions, consume: (body: Readable) => Promise<T>): Promise<Downloaded<T>> {
  const expected = parseDigest(options.digest);
  const retries = options.retries ?? 9;
  const initial = options.backoff?.initialMs ?? 500;
  const max = options.backoff?.maxMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      const got = await downloadOnce(options, expected.algorithm, consume);
      assertDigest(got.digest, options);
      return { ...got, attempts: attempt };
    } catch (err) {
      const retryable = err instanceof RetryableError;
      if (!retryable || attempt > retries || options.signal?.aborted === true) throw retryable ? err.error : err;
      await sleep(Math.min(max, initial * 2 ** (attempt - 1)), undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}

/** Marks a failure worth another attempt. */
class RetryableError extends Error {
  readonly error: ArtifactError;
  constructor(error: ArtifactError) {
    super(error.message);
    this.error = error;
  }
}

async function downloadOnce<T>(options: FetchOptions, algorithm: Algorithm, consume: (body: Readable) => Promise<T>): Promise<Omit<Downloaded<T>, 'attempts'>> {
  const { signal, clear } = deadline(options.timeoutMs ?? 60_000, options.signal);
  try {
    return await download(options, algorithm, signal, consume);
  } finally {
    clear();
  }
}

type Algorithm = ReturnType<typeof parseDigest>['algorithm'];

async function download<T>(options: FetchOptions, algorithm: Algorithm, signal: AbortSignal, consume: (body: Readable) => Promise<T>): Promise<Omit<Downloaded<T>, 'attempts'>> {
  const where = redactUrl(options.url);
  const limit = options.maxDownloadBytes ?? 100 * MiB;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(options.url, { method: 'GET', signal, ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}) });
  } catch (err) {
    throw networkError(`cannot download ${where}`, err, options.signal);
  }
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => undefined);
    if (res.statusCode === 404) throw new ArtifactError('NotFound', `artifact not found at ${where}`);
    const error = new ArtifactError('Network', `downloading ${where}: HTTP ${res.statusCode}`);
    throw res.statusCode >= 500 ? new RetryableError(error) : error;
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    await res.body.dump().catch(() => undefined);
    throw new ArtifactError('TooLarge', `artifact at ${where} is ${declared} bytes, over the limit of ${limit}`);
  }
  const meter = new Meter(algorithm, limit, where);
  // A body that fails midway is the network's fault (retried), whatever the consumer makes of the cut.
  let bodyFailed: unknown;
  res.body.once('error', (err: unknown) => {
    bodyFailed ??= err;
    meter.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  let value: T;
  try {
    // Anything the consumer leaves unread shows as a digest mismatch, never as a silent success.
    value = await consume(res.body.pipe(meter));
  } catch (err) {
    res.body.destroy();
    if (bodyFailed !== undefined) throw networkError(`downloading ${where} failed`, bodyFailed, options.signal);
    if (err instanceof ArtifactError) throw err;
    throw networkError(`downloading ${where} failed`, err, options.signal);
  }
  if (bodyFailed !== undefined) throw networkError(`downloading ${where} failed`, bodyFailed, options.signal);
  return { digest: meter.digest(), size: meter.size, value };
}

/** Passes bytes through, hashing and counting them; past `limit` it fails with TooLarge. */
class Meter extends Transform {
  readonly #hash;
  readonly #algorithm: Algorithm;
  size = 0;

  constructor(algorithm: Algorithm, limit: number, where: string) {
    const hash = newHash(algorithm);
    super({
      transform: (chunk: Buffer, _enc, done: TransformCallback) => {
        this.size += chunk.length;
        if (this.size > limit) {
          done(new ArtifactError('TooLarge', `artifact at ${where} is over the download limit of ${limit} bytes`));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    this.#hash = hash;
    this.#algorithm = algorithm;
  }

  digest(): string {
    return `${this.#algorithm}:${this.#hash.digest('hex')}`;
  }
}

/** Network trouble is retried unless the caller itself aborted. */
function networkError(message: string, cause: unknown, callerSignal: AbortSignal | undefined): Error {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  const error = new ArtifactError('Network', `${message}${detail}`, { cause });
  return callerSignal?.aborted === true ? error : new RetryableError(error);
}
