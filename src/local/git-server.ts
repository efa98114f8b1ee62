// A read-only Git smart HTTP server on loopback for the local default: `eddy up` serves the
// example repository from it so the GitRepository polls a real Git server.
import type { Server } from 'node:http';
import { http } from '../runtime/node-http.ts';
import type { AddressInfo } from 'node:net';
import { serveGitCgi } from './git-http-backend.ts';

export interface GitServer {
  url: string;
  close(): Promise<void>;
}

export async function serveGitRepos(reposDir: string, port: number, logFile: string): Promise<GitServer> {
  const server: Server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    serveGitCgi(req, res, { reposDir, logFile, receivePack: false });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
