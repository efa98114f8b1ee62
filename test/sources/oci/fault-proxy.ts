// A node:http proxy in front of a plain-HTTP registry that injects faults (status answers such
// as 429/500, a flipped byte in a response body, cut connections) and can play a token-auth
// gateway (Bearer challenges + a /token endpoint checking Basic credentials), which the
// htpasswd-only test registry cannot.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { listen } from '../../tools/http-server.ts';

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'flipByte' }
  | { kind: 'cut' }
  /** Headers and the first half of the body, then the connection is cut. */
  | { kind: 'cutBody' }
  /**
   * Serve tags/list pages per `n` and `last` with a Link header, as distribution v3 and most
   * hosted registries do: Debian's docker-registry 2.8 ignores `n` and returns every tag.
   */
  | { kind: 'paginateTags' };

export interface TokenGateway {
  username: string;
  password: string;
  /** expires_in of issued tokens, seconds. */
  expiresIn?: number;
}

export interface FaultProxy {
  /** 127.0.0.1:PORT */
  host: string;
  /** "METHOD path" of every request seen, token requests included. */
  log: string[];
  /** Decide a fault per request (undefined: forward). */
  setRule(rule: ((req: IncomingMessage) => Fault | undefined) | undefined): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(targetHost: string, gateway?: TokenGateway): Promise<FaultProxy> {
  const [targetName, targetPort] = targetHost.split(':');
  const log: string[] = [];
  const tokens = new Set<string>();
  let rule: ((req: IncomingMessage) => Fault | undefined) | undefined;
  let selfHost = '';
  const server = await listen((req, res) => {
    log.push(`${req.method ?? ''} ${req.url ?? ''}`);
    if (gateway && !gatewayAllows(req, res)) return;
    const fault = rule?.(req);
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '{"errors":[{"code":"INJECTED","message":"injected fault"}]}');
      return;
    }
    if (fault?.kind === 'cut') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'paginateTags') {
      paginate(req, res);
      return;
    }
    forward(req, res, targetHost, tamperOf(fault));
  });
  selfHost = `127.0.0.1:${server.port}`;

  function paginate(req: IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://proxy');
    http.get({ host: targetName, port: Number(targetPort), path: url.pathname }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string; tags: string[] };
        const n = Number(url.searchParams.get('n') ?? '100');
        const last = url.searchParams.get('last');
        const rest = body.tags.sort().filter((t) => last === null || t > last);
        const page = rest.slice(0, n);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (rest.length > n) headers.link = `<${url.pathname}?last=${page[page.length - 1]}&n=${n}>; rel="next"`;
        res.writeHead(200, headers).end(JSON.stringify({ name: body.name, tags: page }));
      });
    }).on('error', () => res.destroy());
  }

  /** Token gateway: /token issues tokens for good Basic credentials; /v2/ needs a token. */
  function gatewayAllows(req: IncomingMessage, res: http.ServerResponse): boolean {
    const g = gateway!;
    const auth = req.headers.authorization ?? '';
    if ((req.url ?? '').startsWith('/token')) {
      const expected = `Basic ${Buffer.from(`${g.username}:${g.password}`).toString('base64')}`;
      if (!same(auth, expected)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"incorrect username or password"}');
        return false;
      }
      const token = randomBytes(16).toString('hex');
      tokens.add(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: g.expiresIn ?? 300 }));
      return false;
    }
    if (auth.startsWith('Bearer ') && tokens.has(auth.slice(7))) return true;
    const repo = /^\/v2\/(.+?)\/(?:tags|manifests|blobs)\//.exec(req.url ?? '')?.[1];
    const scope = repo ? `,scope="repository:${repo}:pull"` : '';
    res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${selfHost}/token",service="fault-proxy"${scope}`, 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    return false;
  }

  return {
    host: selfHost,
    log,
    setRule: (r) => (rule = r),
    stop: () => server.close(),
  };
}

function tamperOf(fault: Fault | undefined): 'flipByte' | 'cutBody' | undefined {
  return fault?.kind === 'flipByte' || fault?.kind === 'cutBody' ? fault.kind : undefined;
}

/** Passes the request to the registry, optionally flipping one byte in the middle of the answer or cutting it there. */
function forward(req: IncomingMessage, res: http.ServerResponse, targetHost: string, tamper: 'flipByte' | 'cutBody' | undefined): void {
  const [targetName, targetPort] = targetHost.split(':');
  const headers = { ...req.headers, host: targetHost };
  delete headers.authorization; // the registry behind is open
  const upstream = http.request({ host: targetName, port: Number(targetPort), method: req.method, path: req.url, headers }, (up) => {
    if (tamper === undefined) {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    up.on('data', (c: Buffer) => chunks.push(c));
    up.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (tamper === 'cutBody') {
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
        return;
      }
      if (body.length > 0) body[Math.floor(body.length / 2)]! ^= 0xff;
      res.end(body);
    });
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
