// Git smart HTTP through `git http-backend` run as a CGI per request: used by the local default
// (`eddy up` serves the example repository read-only) and by the tests' git server.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CgiContext {
  /** Directory holding the repositories (GIT_PROJECT_ROOT). */
  reposDir: string;
  /** http-backend's stderr is appended here. */
  logFile: string;
  /** Accept pushes. */
  receivePack: boolean;
  /** Authenticated user, passed as REMOTE_USER. */
  remoteUser?: string | undefined;
}

export function serveGitCgi(req: IncomingMessage, res: ServerResponse, context: CgiContext): void {
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
    GIT_CONFIG_VALUE_0: context.receivePack ? 'true' : 'false',
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
  };
  if (context.remoteUser) env.REMOTE_USER = context.remoteUser;
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
