// A forward HTTP proxy for tests, as a corporate proxy behaves: absolute-URI requests are
// forwarded (bodies streamed both ways), CONNECT opens a TCP tunnel (for https://), and with
// `auth` every request needs `Proxy-Authorization: Basic` or gets 407 with a challenge. It
// records what went through it, so a test can prove a client used the proxy.
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

export interface HttpProxyOptions {
  /** Basic credentials the proxy demands. */
  auth?: { username: string; password: string };
}

export interface HttpProxy {
  /** http://127.0.0.1:PORT — the `address` of a proxy Secret. */
  url: string;
  port: number;
  /** Requests forwarded (and tunnels opened) per target `host:port`; refused ones not counted. */
  count(host: string): number;
  /** `GET http://host/path` or `CONNECT host:port` of every request forwarded, in order. */
  log: string[];
  /** Requests answered 407. */
  refused(): number;
  stop(): Promise<void>;
}

// Hop-by-hop headers stay with the hop; `expect` too: node already answered 100-continue.
const HOP = ['connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect'];
const CHALLENGE = 'Basic realm="eddy-test-proxy"';

const forwardHeaders = (headers: IncomingHttpHeaders): IncomingHttpHeaders => Object.fromEntries(Object.entries(headers).filter(([h]) => !HOP.includes(h)));

export async function startHttpProxy(options: HttpProxyOptions = {}): Promise<HttpProxy> {
  const counts = new Map<string, number>();
  const log: string[] = [];
  const tunnels = new Set<Duplex>();
  let refused = 0;
  const expected = options.auth ? Buffer.from(`Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`) : undefined;
  const authorized = (req: IncomingMessage): boolean => {
    if (expected === undefined) return true;
    const got = Buffer.from(req.headers['proxy-authorization'] ?? '');
    const ok = got.length === expected.length && timingSafeEqual(got, expected);
    if (!ok) refused++;
    return ok;
  };
  const record = (host: string, line: string): void => {
    counts.set(host, (counts.get(host) ?? 0) + 1);
    log.push(line);
  };

  const server = http.createServer((req, res) => {
    const target = URL.parse(req.url ?? '');
    if (target?.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('a proxy needs an absolute http:// URI\n');
      return;
    }
    if (!authorized(req)) {
      res.writeHead(407, { 'proxy-authenticate': CHALLENGE, 'content-type': 'text/plain' }).end('proxy authentication required\n');
      return;
    }
    record(target.host, `${req.method ?? ''} ${target.href}`);
    const upstream = http.request(
      { host: target.hostname, port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers: forwardHeaders(req.headers) },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, forwardHeaders(answer.headers));
        answer.pipe(res);
      },
    );
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    tunnels.add(client);
    client.on('error', () => client.destroy()).on('close', () => tunnels.delete(client));
    if (!authorized(req)) {
      client.end(`HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: ${CHALLENGE}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const target = new URL(`http://${req.url ?? ''}`);
    record(target.host, `CONNECT ${target.host}`);
    tunnel(client, target, head, tunnels);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    port,
    count: (host) => counts.get(host) ?? 0,
    log,
    refused: () => refused,
    stop: () => new Promise<void>((resolve) => {
      for (const s of tunnels) s.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Answers a CONNECT once the target accepts, then pipes bytes both ways (TLS stays end to end). */
function tunnel(client: Duplex, target: URL, head: Buffer, sockets: Set<Duplex>): void {
  let open = false;
  const upstream = net.connect(Number(target.port || 443), target.hostname, () => {
    open = true;
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  sockets.add(upstream);
  upstream.on('error', () => (open ? client.destroy() : client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n')));
  upstream.on('close', () => {
    sockets.delete(upstream);
    client.end();
  });
  client.on('close', () => upstream.destroy());
}
