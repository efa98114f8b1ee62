// Shared plumbing for the Node-based test servers (git over HTTP, Helm repo): listen on a free
// loopback port, optional TLS, optional basic/bearer authentication.
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CertFiles } from './tls.ts';

export type HttpAuth =
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string };

export interface ListeningServer {
  port: number;
  /** http(s)://127.0.0.1:PORT, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

export async function listen(handler: RequestListener, tls?: CertFiles): Promise<ListeningServer> {
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Clients keep connections alive; don't wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

/** True when the request is authorized; otherwise it has answered 401 and returns false. */
export function authorize(req: IncomingMessage, res: ServerResponse, auth: HttpAuth | undefined): boolean {
  if (auth === undefined) return true;
  const header = req.headers.authorization ?? '';
  let ok = false;
  if (auth.type === 'basic' && header.startsWith('Basic ')) {
    ok = same(Buffer.from(header.slice(6), 'base64').toString('utf8'), `${auth.username}:${auth.password}`);
  } else if (auth.type === 'bearer' && header.startsWith('Bearer ')) {
    ok = same(header.slice(7), auth.token);
  }
  if (!ok) {
    const challenge = auth.type === 'basic' ? 'Basic realm="eddy-test"' : 'Bearer realm="eddy-test"';
    res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'text/plain' });
    res.end('unauthorized\n');
  }
  return ok;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
