// HTTP plumbing for the registry client: bounded body reads, HTTP status → typed error,
// transport failure → typed error (TLS apart from the rest), and Link header pagination.
import type { Dispatcher } from 'undici';
import { errors as undiciErrors } from 'undici';
import { OciError } from './errors.ts';
import type { OciErrorReason } from './errors.ts';
import { parseRetryAfter } from './retry.ts';

export type Response = Dispatcher.ResponseData;

export function header(res: Response, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Drops a response body we will not read; undici reports the abort as an error, so catch it. */
export function discard(res: Response): void {
  res.body.on('error', () => undefined);
  res.body.destroy();
}

/** Reads the whole body, refusing more than `max` bytes (by Content-Length or as it streams). */
export async function readBody(res: Response, max: number, what: string): Promise<Buffer> {
  const declared = Number(header(res, 'content-length'));
  if (Number.isFinite(declared) && declared > max) {
    discard(res);
    throw new OciError('TooLarge', `${what}: ${declared} bytes is more than the limit of ${max}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > max) throw new OciError('TooLarge', `${what}: more than the limit of ${max} bytes`);
      chunks.push(chunk);
    }
  } catch (err) {
    discard(res);
    throw transportError(err, what);
  }
  return Buffer.concat(chunks);
}

const BY_STATUS: Record<number, OciErrorReason> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 429: 'TooManyRequests' };

/** A typed error for a non-2xx answer; reads (a bounded part of) the registry's error body. */
export async function statusError(res: Response, what: string): Promise<OciError> {
  let detail = '';
  try {
    detail = registryErrorDetail((await readBody(res, 16 * 1024, what)).toString('utf8'));
  } catch {
    // the status alone is enough
  }
  const status = res.statusCode;
  const reason: OciErrorReason = BY_STATUS[status] ?? (status >= 500 ? 'Server' : 'Protocol');
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after']) : undefined;
  return new OciError(reason, `${what}: HTTP ${status}${detail ? `: ${detail}` : ''}`, {
    status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** `CODE: message` from a distribution error body `{"errors":[{code,message}]}`, else a short text. */
function registryErrorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = body.errors?.[0];
    if (first) return [first.code, first.message].filter((s) => typeof s === 'string' && s !== '').join(': ').slice(0, 300);
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|UNABLE_TO_|CERT_|SELF_SIGNED|DEPTH_ZERO|EPROTO$|HOSTNAME_MISMATCH)/;

function errorCode(err: unknown): string {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR')) return code;
  }
  return '';
}

/** Network-level failures; message built from error codes, never from request headers. */
export function transportError(err: unknown, what: string): OciError {
  if (err instanceof OciError) return err;
  const code = errorCode(err);
  if (TLS_CODE.test(code)) return new OciError('TLS', `${what}: TLS failure (${code})`, { cause: err });
  if (err instanceof undiciErrors.RequestAbortedError || (err instanceof Error && err.name === 'AbortError')) {
    return new OciError('Network', `${what}: aborted`, { cause: err });
  }
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new OciError('Network', `${what}: timed out`, { cause: err });
  }
  const detail = code || (err instanceof Error ? err.message.slice(0, 200) : String(err));
  return new OciError('Network', `${what}: ${detail}`, { cause: err });
}

/** The rel="next" target of a Link header, resolved against `base`. */
export function nextLink(linkHeader: string | undefined, base: URL): URL | undefined {
  if (linkHeader === undefined) return undefined;
  for (const part of linkHeader.split(',')) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel\s*=\s*"?next"?\s*(?:;|$)/i.test(m[2] ?? '')) return new URL(m[1] ?? '', base);
  }
  return undefined;
}
