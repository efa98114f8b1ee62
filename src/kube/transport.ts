import { createSecureContext } from 'node:tls';
import { Agent, type Dispatcher, errors as undiciErrors, request } from 'undici';
import type { Readable } from 'node:stream';
import type { Credentials, RequestAuth } from './config.ts';
import { ApiError, TransportError } from './errors.ts';
import { TokenBucket } from './rate-limit.ts';
import type { Status } from './types.ts';

export interface Impersonation {
  user: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface TransportOptions {
  qps?: number;
  burst?: number;
  userAgent?: string;
  /**
   * Connections per origin for ordinary requests (default 32; 0: unlimited). Watches have a
   * pool of their own, so an open watch never takes a request's place.
   */
  connections?: number;
  timeoutMs?: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  impersonate?: Impersonation;
  /** A client-side rate limiter of the caller's own instead of the transport's. */
  limiter?: TokenBucket;
}

/**
 * Requests in flight at once beyond which they queue for a connection. HTTP/1.1 needs one
 * connection per request in flight; unbounded, a burst of events opened ~100 TLS connections
 * (each with its buffers, and a handshake for the API server). client-go multiplexes one HTTP/2
 * connection instead, which undici cannot do for us (see allowH2 below).
 */
const DEFAULT_CONNECTIONS = 32;

/** HTTP to the API server on undici keep-alive pools; bodies stay raw JSON. */
export class Transport {
  readonly credentials: Credentials;
  private readonly limiter: TokenBucket;
  private readonly opts: Required<Pick<TransportOptions, 'userAgent' | 'connections' | 'timeoutMs'>>;
  private agents: { requests: Agent; watches: Agent } | undefined;
  /** The client identity the agents were built for (compared per request, so no string is built). */
  private agentIdentity: Pick<RequestAuth, 'cert' | 'key'> = {};

  /** The QPS and burst this transport was configured with (for limiters of its callers). */
  readonly rate: { qps: number; burst: number };

  constructor(credentials: Credentials, opts: TransportOptions = {}) {
    this.rate = { qps: opts.qps ?? 50, burst: opts.burst ?? 300 };
    this.credentials = credentials;
    this.limiter = new TokenBucket(this.rate.qps, this.rate.burst);
    this.opts = { userAgent: opts.userAgent ?? 'eddy', connections: opts.connections ?? DEFAULT_CONNECTIONS, timeoutMs: opts.timeoutMs ?? 30_000 };
  }

  /** JSON request/response; a non-2xx answer becomes an ApiError carrying the server's Status. */
  async json<T>(req: HttpRequest): Promise<T> {
    const res = await this.send(req, req.timeoutMs ?? this.opts.timeoutMs, 'requests');
    const text = await res.body.text();
    if (res.statusCode >= 300) throw apiError(res.statusCode, text, res.headers);
    return JSON.parse(text) as T;
  }

  /** A streaming response (watch): the caller reads and closes the body. No overall timeout. */
  async stream(req: HttpRequest): Promise<Readable> {
    const res = await this.send(req, 0, 'watches');
    if (res.statusCode >= 300) throw apiError(res.statusCode, await res.body.text(), res.headers);
    return res.body;
  }

  async close(): Promise<void> {
    await Promise.all([this.agents?.requests.close(), this.agents?.watches.close()]);
  }

  private async send(req: HttpRequest, timeoutMs: number, pool: 'requests' | 'watches'): Promise<Dispatcher.ResponseData> {
    await (req.limiter ?? this.limiter).acquire(req.signal);
    const auth = await this.credentials.forRequest();
    const url = new URL(this.credentials.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    try {
      return await request(url, {
        method: req.method,
        dispatcher: this.dispatchers(auth)[pool],
        headers: this.headers(req, auth),
        ...(req.body !== undefined ? { body: typeof req.body === 'string' ? req.body : JSON.stringify(req.body) } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      throw transportError(err, `${req.method} ${req.path}`);
    }
  }

  /** Flat header list: repeated Impersonate-Group headers must each survive. */
  private headers(req: HttpRequest, auth: RequestAuth): string[] {
    const h = ['user-agent', this.opts.userAgent, 'accept', req.accept ?? 'application/json'];
    if (auth.authorization) h.push('authorization', auth.authorization);
    if (req.body !== undefined) h.push('content-type', req.contentType ?? 'application/json');
    const imp = req.impersonate;
    if (imp) {
      h.push('impersonate-user', imp.user);
      for (const g of imp.groups ?? []) h.push('impersonate-group', g);
      if (imp.uid) h.push('impersonate-uid', imp.uid);
      for (const [k, vs] of Object.entries(imp.extra ?? {})) for (const v of vs) h.push(`impersonate-extra-${encodeURIComponent(k)}`, v);
    }
    return h;
  }

  /**
   * Two pools per TLS identity (requests, bounded; watches, one connection each), rebuilt only
   * if an exec plugin rotates the client certificate.
   */
  private dispatchers(auth: RequestAuth): { requests: Agent; watches: Agent } {
    if (!this.agents || auth.cert !== this.agentIdentity.cert || auth.key !== this.agentIdentity.key) {
      const old = this.agents;
      // One TLS context for every connection: without it each new socket parses the CA and the
      // client key again (measured in CPU profiles of 1,000 reconciles).
      const secureContext = createSecureContext({
        ...(auth.ca ? { ca: auth.ca } : {}),
        ...(auth.cert ? { cert: auth.cert } : {}),
        ...(auth.key ? { key: auth.key } : {}),
      });
      const agent = (connections: number) => new Agent({
        ...(connections > 0 ? { connections } : {}),
        // HTTP/1.1 only: undici's HTTP/2 path joins repeated headers into one, which turns
        // Impersonate-Group: a, Impersonate-Group: b into a single group "a, b".
        allowH2: false,
        keepAliveTimeout: 30_000,
        connect: {
          secureContext,
          ...(auth.rejectUnauthorized !== undefined ? { rejectUnauthorized: auth.rejectUnauthorized } : {}),
          ...(auth.servername ? { servername: auth.servername } : {}),
        },
      });
      this.agents = { requests: agent(this.opts.connections), watches: agent(0) };
      this.agentIdentity = { cert: auth.cert, key: auth.key };
      void old?.requests.close();
      void old?.watches.close();
    }
    return this.agents;
  }
}

function apiError(code: number, text: string, headers: Dispatcher.ResponseData['headers']): ApiError {
  let status: Status;
  try {
    const parsed = JSON.parse(text) as Partial<Status>;
    status = parsed.kind === 'Status' ? (parsed as Status) : { kind: 'Status', apiVersion: 'v1', code, message: text.slice(0, 1000) };
  } catch {
    status = { kind: 'Status', apiVersion: 'v1', code, message: text.slice(0, 1000) || `HTTP ${code}` };
  }
  const retryAfter = headers['retry-after'];
  return new ApiError(code, status, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
}

function transportError(err: unknown, what: string): Error {
  if (err instanceof undiciErrors.RequestAbortedError || (err instanceof Error && err.name === 'AbortError')) {
    return new TransportError('Aborted', `${what}: aborted`, err);
  }
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new TransportError('Timeout', `${what}: timed out`, err);
  }
  return new TransportError('ConnectionFailed', `${what}: ${err instanceof Error ? err.message : String(err)}`, err);
}
