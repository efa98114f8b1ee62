// Read-only HTTP file server for the storage root, in place of Flux's http.FileServer: GET and
// HEAD of regular files only. Unlike Go's FileServer it lists no directories, hides dot-files
// (temp files mid-write), refuses '..' and encoded separators, never follows a symlink out of the
// root, and sends the artifact digest as ETag so consumers can revalidate cheaply.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { http } from '../runtime/node-http.ts';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isInside } from './build.ts';

export interface ArtifactServerOptions {
  root: string;
  /** How long stop() lets in-flight downloads finish before cutting them (Flux: 5 s). */
  shutdownGraceMs?: number;
}

const DIGEST_NAMED = /^([0-9a-f]{64})\./;
const ETAG_CACHE_LIMIT = 1024;

export class ArtifactServer {
  readonly #options: ArtifactServerOptions;
  readonly #server: Server;
  /** ETags of files not named by their digest, keyed by path and identity (inode, size, mtime). */
  readonly #etags = new Map<string, string>();
  #root = '';

  constructor(options: ArtifactServerOptions) {
    this.#options = options;
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) send(res, 500);
        else res.destroy();
      });
    });
  }

  /** Listens on `host:port` (`:9090` means every interface; port 0 picks one); returns the bound `host:port`. */
  async start(addr: string): Promise<string> {
    this.#root = await fs.realpath(this.#options.root);
    const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
    if (!match) throw new TypeError(`invalid listen address '${addr}'`);
    const host = match[1] ?? match[2] ?? '';
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(Number(match[3]), host === '' ? undefined : host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const bound = this.#server.address() as AddressInfo;
    return bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  }

  async stop(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const timer = setTimeout(() => this.#server.closeAllConnections(), this.#options.shutdownGraceMs ?? 5000);
    await closed;
    clearTimeout(timer);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405);
    }
    const segments = requestSegments(req.url ?? '');
    if (segments === undefined) return send(res, 400);
    if (segments.length === 0 || segments.some((s) => s.startsWith('.'))) return send(res, 404);
    const real = await fs.realpath(path.join(this.#root, ...segments)).catch(() => undefined);
    if (real === undefined || !isInside(this.#root, real) || real === this.#root) return send(res, 404);
    const handle = await fs.open(real, 'r').catch(() => undefined);
    if (handle === undefined) return send(res, 404);
    try {
      const st = await handle.stat();
      if (!st.isFile()) return send(res, 404);
      const etag = await this.#etag(real, st, handle);
      const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000);
      res.setHeader('ETag', etag);
      res.setHeader('Last-Modified', lastModified.toUTCString());
      if (notModified(req, etag, lastModified)) return send(res, 304);
      res.setHeader('Content-Type', contentType(real));
      res.setHeader('Content-Length', st.size);
      res.statusCode = 200;
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      await pipeline(handle.createReadStream({ autoClose: false }), res);
    } finally {
      await handle.close();
    }
  }

  async #etag(file: string, st: { ino: number; size: number; mtimeMs: number }, handle: fs.FileHandle): Promise<string> {
    const named = DIGEST_NAMED.exec(path.basename(file));
    if (named) return `"sha256:${named[1]}"`;
    const key = `${file}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
    const cached = this.#etags.get(key);
    if (cached !== undefined) return cached;
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false, start: 0 }) as AsyncIterable<Buffer>) hash.update(chunk);
    const etag = `"sha256:${hash.digest('hex')}"`;
    if (this.#etags.size >= ETAG_CACHE_LIMIT) this.#etags.clear();
    this.#etags.set(key, etag);
    return etag;
  }
}

/** Decoded path segments, or undefined for a malformed or hostile path (encoded '/', '\', NUL, '..'). */
export function requestSegments(url: string): string[] | undefined {
  if (!url.startsWith('/')) return undefined;
  const rawPath = url.split(/[?#]/, 1)[0] ?? '';
  const out: string[] = [];
  for (const raw of rawPath.slice(1).split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '..' || segment === '.' || /[/\\\0]/.test(segment)) return undefined;
    out.push(segment);
  }
  return out;
}

function notModified(req: IncomingMessage, etag: string, lastModified: Date): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    return inm.split(',').some((tag) => {
      const t = tag.trim();
      return t === '*' || t === etag || t === `W/${etag}`;
    });
  }
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && lastModified.getTime() <= since;
}

/** What Go's FileServer ends up sending for Flux's files (it sniffs gzip as application/x-gzip). */
function contentType(file: string): string {
  if (/\.(tar\.gz|tgz|gz)$/.test(file)) return 'application/x-gzip';
  if (/\.json$/.test(file)) return 'application/json';
  if (/\.(ya?ml|txt)$/.test(file)) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

function send(res: ServerResponse, status: number): void {
  res.statusCode = status;
  if (status >= 400) {
    const body = `${http.STATUS_CODES[status] ?? 'error'}\n`;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
    return;
  }
  res.end();
}
