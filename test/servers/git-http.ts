// Git smart HTTP for tests: `git http-backend` run as a CGI per request behind node:http(s),
// with optional basic or bearer authentication and TLS from a throwaway CA. Push is enabled.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { authorize, listen } from '../tools/http-server.ts';
import type { HttpAuth } from '../tools/http-server.ts';
import { createTestTls } from '../tools/tls.ts';
import type { TestTls } from '../tools/tls.ts';
import { makeTempDir } from '../tools/tmp.ts';
import { bareRepoPath, initBareRepo } from './bare-repos.ts';

export interface GitHttpServerOptions {
  auth?: HttpAuth;
  /** true: make a CA and server cert; or reuse an existing one. */
  tls?: boolean | TestTls;
  /** Serve this directory of bare repos (e.g. shared with the SSH server) instead of a new one. */
  reposDir?: string;
}

export interface GitRequestRecord {
  method: string;
  path: string;
  status: number;
}

export interface GitHttpServer {
  /** http(s)://127.0.0.1:PORT */
  url: string;
  reposDir: string;
  tls: TestTls | undefined;
  auth: HttpAuth | undefined;
  /** `git -c` settings a client needs: http.sslCAInfo and an Authorization http.extraHeader. */
  gitConfig: Record<string, string>;
  /** Log of http-backend (stderr of every CGI run). */
  logFile: string;
  /** Every request served, in order (useful to assert that a client did or did not fetch). */
  requests: GitRequestRecord[];
  /** Creates an empty bare repo and returns its URL, `${url}/${name}.git`. */
  createRepo(name: string, defaultBranch?: string): Promise<string>;
  repoUrl(name: string): string;
  /** The repo URL with basic-auth credentials embedded (plain repoUrl without basic auth). */
  repoUrlWithCredentials(name: string): string;
  stop(): Promise<void>;
}

export async function startGitHttpServer(options: GitHttpServerOptions = {}): Promise<GitHttpServer> {
  const tmp = await makeTempDir('eddy-git-http-');
  const reposDir = options.reposDir ?? path.join(tmp.path, 'repos');
  fs.mkdirSync(reposDir, { recursive: true });
  const logFile = path.join(tmp.path, 'http-backend.log');
  const tls = options.tls === true ? await createTestTls({ dir: tmp.path }) : options.tls || undefined;
  const requests: GitRequestRecord[] = [];
  const context: CgiContext = { reposDir, logFile };
  const listening = await listen((req, res) => {
    res.on('finish', () => requests.push({ method: req.method ?? '', path: req.url ?? '', status: res.statusCode }));
    if (!authorize(req, res, options.auth)) return;
    serveCgi(req, res, context, options.auth);
  }, tls?.server);

  const gitConfig: Record<string, string> = {};
  if (tls) gitConfig['http.sslCAInfo'] = tls.ca.certPath;
  if (options.auth?.type === 'bearer') gitConfig['http.extraHeader'] = `Authorization: Bearer ${options.auth.token}`;
  if (options.auth?.type === 'basic') {
    const token = Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64');
    gitConfig['http.extraHeader'] = `Authorization: Basic ${token}`;
  }
  const repoUrl = (name: string): string => {
    bareRepoPath(reposDir, name); // validates the name
    return `${listening.url}/${name}.git`;
  };
  return {
    url: listening.url,
    reposDir,
    tls,
    auth: options.auth,
    gitConfig,
    logFile,
    requests,
    async createRepo(name, defaultBranch) {
      await initBareRepo(reposDir, name, defaultBranch);
      return repoUrl(name);
    },
    repoUrl,
    repoUrlWithCredentials(name) {
      const url = new URL(repoUrl(name));
      if (options.auth?.type === 'basic') {
        url.username = encodeURIComponent(options.auth.username);
        url.password = encodeURIComponent(options.auth.password);
      }
      return url.href;
    },
    async stop() {
      await listening.close();
      await tmp.remove();
    },
  };
}

interface CgiContext {
  reposDir: string;
  logFile: string;
}

function serveCgi(req: IncomingMessage, res: ServerResponse, context: CgiContext, auth: HttpAuth | undefined): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: context.reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    // Never read the machine's or user's git config.
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // http-backend only allows push for an authenticated REMOTE_USER unless this is set.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
  };
  if (auth?.type === 'basic') env.REMOTE_USER = auth.username;
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding'] !== undefined) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.on('close', () => {
    if (stderr.length > 0) fs.appendFileSync(context.logFile, Buffer.concat(stderr));
  });
  child.on('error', (err) => fail(res, `cannot run git http-backend: ${err.message}`));
  child.stdin.on('error', () => {}); // the backend may answer without reading the body
  req.pipe(child.stdin);
  // A client that hangs up mid-request must not leave http-backend waiting on stdin.
  res.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  relayCgiOutput(child.stdout, res);
}

/** Parses the CGI header block (Status:, Content-Type:, …) and streams the body after it. */
function relayCgiOutput(stdout: NodeJS.ReadableStream, res: ServerResponse): void {
  let head = Buffer.alloc(0);
  let headersSent = false;
  stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const match = /\r?\n\r?\n/.exec(text);
    if (!match) return;
    let status = 200;
    for (const line of text.slice(0, match.index).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.writeHead(status);
    headersSent = true;
    res.write(head.subarray(match.index + match[0].length));
  });
  stdout.on('end', () => {
    if (!headersSent) fail(res, 'git http-backend produced no CGI headers');
    else res.end();
  });
}

function fail(res: ServerResponse, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, { 'content-type': 'text/plain' });
  res.end(`${message}\n`);
}
