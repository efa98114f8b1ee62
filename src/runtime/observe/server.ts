// Probe and metrics endpoints as controller-runtime serves them: /healthz and /readyz run
// named checks registered at run time (200 "ok", or 500 listing what failed; `?verbose` lists
// all, `?exclude=name` skips one, `/readyz/<name>` runs one), /metrics renders a prom-client
// Registry. One server per process; nothing here is module-global.
import { http } from '../node-http.ts';
import { metricsText } from './exposition.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A probe: resolves when healthy; throws (or rejects) with the reason when not. */
export type Check = () => void | Promise<void>;

export interface ObserveServerOptions {
  /** Served at /metrics; without it /metrics is 404. */
  registry?: Registry;
  /** A check that takes longer fails (a hung dependency must not hang the probe). Default 5 s. */
  checkTimeoutMs?: number;
}

export type ObserveServerErrorReason = 'InvalidAddress' | 'InvalidCheckName' | 'AlreadyStarted' | 'ListenFailed' | 'DuplicateCheck';

export class ObserveServerError extends Error {
  readonly reason: ObserveServerErrorReason;

  constructor(reason: ObserveServerErrorReason, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'ObserveServerError';
    this.reason = reason;
  }
}

type Probe = 'healthz' | 'readyz';

/** `:8080` (all interfaces), `127.0.0.1:0`, `[::1]:9440`, `localhost:8080`. */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ObserveServerError('InvalidAddress', `invalid listen address "${addr}": want host:port or :port`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

function formatAddress(a: AddressInfo): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

interface CheckOutcome {
  name: string;
  error?: string;
}

export class ObserveServer {
  readonly #checks: Record<Probe, Map<string, Check>> = { healthz: new Map(), readyz: new Map() };
  readonly #registry: Registry | undefined;
  readonly #timeoutMs: number;
  #server: Server | undefined;

  constructor(opts: ObserveServerOptions = {}) {
    this.#registry = opts.registry;
    this.#timeoutMs = opts.checkTimeoutMs ?? 5_000;
  }

  addHealthCheck(name: string, check: Check): void {
    this.#add('healthz', name, check);
  }

  addReadyCheck(name: string, check: Check): void {
    this.#add('readyz', name, check);
  }

  removeCheck(name: string): void {
    this.#checks.healthz.delete(name);
    this.#checks.readyz.delete(name);
  }

  #add(probe: Probe, name: string, check: Check): void {
    if (!/^[\w.-]+$/.test(name)) throw new ObserveServerError('InvalidCheckName', `invalid check name "${name}"`);
    if (this.#checks[probe].has(name)) throw new ObserveServerError('DuplicateCheck', `${probe} check "${name}" is already registered`);
    this.#checks[probe].set(name, check);
  }

  /** Listens; resolves to the bound `host:port` (useful with port 0). */
  async start(addr: string): Promise<string> {
    if (this.#server) throw new ObserveServerError('AlreadyStarted', 'observe server is already started');
    const { host, port } = parseListenAddress(addr);
    const server = http.createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`internal server error: ${err instanceof Error ? err.message : String(err)}\n`);
      });
    });
    this.#server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.#server = undefined;
      throw new ObserveServerError('ListenFailed', `cannot listen on ${addr}`, { cause: err });
    }
    return formatAddress(server.address() as AddressInfo);
  }

  /** Stops listening and closes open (keep-alive) connections. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const [, first, second, ...extra] = url.pathname.split('/');
    if ((first === 'healthz' || first === 'readyz') && extra.length === 0) {
      await this.#probe(first, second, url.searchParams, res);
    } else if (first === 'metrics' && second === undefined && this.#registry) {
      const chunks = await metricsText(this.#registry);
      res.writeHead(200, { 'content-type': this.#registry.contentType });
      for (const chunk of chunks) res.write(chunk);
      res.end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
    }
  }

  async #run(name: string, check: Check): Promise<CheckOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.#timeoutMs}ms`)), this.#timeoutMs);
    });
    try {
      await Promise.race([Promise.resolve().then(check), timeout]);
      return { name };
    } catch (err) {
      return { name, error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  async #probe(probe: Probe, only: string | undefined, query: URLSearchParams, res: ServerResponse): Promise<void> {
    const text = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' };
    const checks = this.#checks[probe];
    if (only !== undefined && only !== '') {
      const check = checks.get(only);
      if (!check) return void res.writeHead(404, text).end('404 page not found\n');
      const outcome = await this.#run(only, check);
      if (outcome.error === undefined) return void res.writeHead(200, text).end('ok');
      return void res.writeHead(500, text).end(`internal server error: ${outcome.error}\n`);
    }
    const excluded = new Set(query.getAll('exclude'));
    const selected = [...checks].filter(([name]) => !excluded.has(name)).sort(([a], [b]) => (a < b ? -1 : 1));
    const outcomes = await Promise.all(selected.map(([name, check]) => this.#run(name, check)));
    const failing = outcomes.filter((o) => o.error !== undefined);
    if (failing.length === 0 && !query.has('verbose')) return void res.writeHead(200, text).end('ok');
    // The reason stays in the logs of whoever registered the check; probes can be public.
    const lines = outcomes.map((o) => (o.error === undefined ? `[+]${o.name} ok` : `[-]${o.name} failed: reason withheld`));
    const verdict = failing.length === 0 ? `${probe} check passed` : `${probe} check failed`;
    res.writeHead(failing.length === 0 ? 200 : 500, text).end(`${[...lines, verdict].join('\n')}\n`);
  }
}
