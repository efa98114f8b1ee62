// The consumer side (kustomize and helm controllers): download an artifact, verify its digest,
// extract it safely. Like Flux's fetcher (fluxcd/pkg http/fetch), 5xx and network failures are
// retried with backoff and 404 is a typed NotFound the caller turns into a requeue; unlike it,
// symlinks inside the artifact are extracted (Flux drops them) when they stay inside dest.
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import { newHash, parseDigest } from './digest.ts';
import { deadline } from '../runtime/deadline.ts';
import { ArtifactError, redactUrl } from './errors.ts';
import { extractTarGz, type ExtractResult } from './extract.ts';

export interface FetchArtifactOptions {
  url: string;
  /** `sha256:<hex>` (sha384 and sha512 also accepted). */
  digest: string;
  /** Absent or empty directory to extract into; left empty on failure. */
  dest: string;
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
  /** Where the download is staged; default os.tmpdir(). */
  tmpDir?: string;
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
  const expected = parseDigest(options.digest);
  const tmp = await fs.mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'eddy-fetch-'));
  const file = path.join(tmp, 'artifact.tar.gz');
  try {
    const { digest, size, attempts } = await downloadWithRetries(options, file, expected.algorithm);
    if (digest !== `${expected.algorithm}:${expected.hex}`) {
      throw new ArtifactError('DigestMismatch', `artifact from ${redactUrl(options.url)} has digest ${digest}, expected ${options.digest}`);
    }
    const extracted = await extractTarGz(createReadStream(file), options.dest, {
      maxUntarBytes: options.maxUntarBytes ?? 100 * MiB,
      maxFiles: options.maxFiles ?? 100_000,
    });
    return { ...extracted, digest, size, attempts };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

interface Downloaded {
  digest: string;
  size: number;
  attempts: number;
}

async function downloadWithRetries(options: FetchArtifactOptions, file: string, algorithm: ReturnType<typeof parseDigest>['algorithm']): Promise<Downloaded> {
  const retries = options.retries ?? 9;
  const initial = options.backoff?.initialMs ?? 500;
  const max = options.backoff?.maxMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return { ...(await downloadOnce(options, file, algorithm)), attempts: attempt };
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

async function downloadOnce(options: FetchArtifactOptions, file: string, algorithm: ReturnType<typeof parseDigest>['algorithm']): Promise<{ digest: string; size: number }> {
  const { signal, clear } = deadline(options.timeoutMs ?? 60_000, options.signal);
  try {
    return await download(options, file, algorithm, signal);
  } finally {
    clear();
  }
}

async function download(options: FetchArtifactOptions, file: string, algorithm: ReturnType<typeof parseDigest>['algorithm'], signal: AbortSignal): Promise<{ digest: string; size: number }> {
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
  const hash = newHash(algorithm);
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      size += chunk.length;
      if (size > limit) {
        done(new ArtifactError('TooLarge', `artifact at ${where} is over the download limit of ${limit} bytes`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(res.body, meter, createWriteStream(file));
  } catch (err) {
    if (err instanceof ArtifactError) throw err;
    throw networkError(`downloading ${where} failed`, err, options.signal);
  }
  return { digest: `${algorithm}:${hash.digest('hex')}`, size };
}

/** Network trouble is retried unless the caller itself aborted. */
function networkError(message: string, cause: unknown, callerSignal: AbortSignal | undefined): Error {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  const error = new ArtifactError('Network', `${message}${detail}`, { cause });
  return callerSignal?.aborted === true ? error : new RetryableError(error);
}
