// Git smart HTTP for tests: `git http-backend` run as a CGI per request behind node:http(s),
// with optional basic or bearer authentication and TLS from a throwaway CA. Push is enabled.
import fs from 'node:fs';
import path from 'node:path';
import { serveGitCgi } from '../../src/local/git-http-backend.ts';
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
  const context = { reposDir, logFile, receivePack: true, remoteUser: options.auth?.type === 'basic' ? options.auth.username : undefined };
  const listening = await listen((req, res) => {
    res.on('finish', () => requests.push({ method: req.method ?? '', path: req.url ?? '', status: res.statusCode }));
    if (!authorize(req, res, options.auth)) return;
    serveGitCgi(req, res, context);
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
