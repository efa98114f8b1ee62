// A small HTTP(S) client on node:http/https: unlike the global fetch it takes a custom CA
// per request without pulling in undici as a dependency.
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** PEM of a CA to trust (instead of the system roots) for https URLs. */
  ca?: string;
  /** Basic auth credentials, sent on every request. */
  basicAuth?: { username: string; password: string };
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json(): unknown;
}

export class HttpStatusError extends Error {
  readonly status: number;
  readonly body: string;

  constructor(what: string, response: HttpResponse) {
    super(`${what}: HTTP ${response.status}: ${response.text().slice(0, 2000)}`);
    this.name = 'HttpStatusError';
    this.status = response.status;
    this.body = response.text();
  }
}

export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export async function httpRequest(url: string | URL, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...options.headers };
  if (options.basicAuth) headers.authorization = basicAuthHeader(options.basicAuth.username, options.basicAuth.password);
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  const requestOptions: https.RequestOptions = {
    method: options.method ?? 'GET',
    headers,
    timeout: options.timeoutMs ?? 30_000,
    agent: false,
  };
  if (target.protocol === 'https:' && options.ca !== undefined) requestOptions.ca = options.ca;
  const send = target.protocol === 'https:' ? https.request : http.request;
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = send(target, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text: () => body.toString('utf8'),
          json: () => JSON.parse(body.toString('utf8')) as unknown,
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout requesting ${target.href}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
