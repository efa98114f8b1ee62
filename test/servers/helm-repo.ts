// A Helm chart repository for tests: static files (index.yaml, chart .tgz) from a directory
// over HTTP(S), optionally behind basic auth.
import fs from 'node:fs';
import path from 'node:path';
import { packageChart, writeHelmIndex } from '../tools/helm-chart.ts';
import type { PackageChartOptions, PackagedChart } from '../tools/helm-chart.ts';
import { authorize, listen } from '../tools/http-server.ts';
import type { HttpAuth } from '../tools/http-server.ts';
import { createTestTls } from '../tools/tls.ts';
import type { TestTls } from '../tools/tls.ts';
import { makeTempDir } from '../tools/tmp.ts';

export interface HelmRepoOptions {
  /** Serve this directory instead of a new empty one. */
  dir?: string;
  auth?: { username: string; password: string };
  tls?: boolean | TestTls;
}

export interface HelmRepoServer {
  /** http(s)://127.0.0.1:PORT — the repository URL. */
  url: string;
  dir: string;
  tls: TestTls | undefined;
  requests: { method: string; path: string; status: number }[];
  /** Packages chartDir into the repo and rewrites index.yaml with every chart added so far. */
  addChart(chartDir: string, options?: PackageChartOptions): Promise<PackagedChart>;
  stop(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.yaml': 'text/yaml; charset=utf-8',
  '.tgz': 'application/gzip',
  '.prov': 'text/plain; charset=utf-8',
};

export async function startHelmRepo(options: HelmRepoOptions = {}): Promise<HelmRepoServer> {
  const tmp = await makeTempDir('eddy-helm-repo-');
  const dir = options.dir ?? path.join(tmp.path, 'repo');
  fs.mkdirSync(dir, { recursive: true });
  const tls = options.tls === true ? await createTestTls({ dir: tmp.path }) : options.tls || undefined;
  const auth: HttpAuth | undefined = options.auth && { type: 'basic', ...options.auth };
  const requests: HelmRepoServer['requests'] = [];
  const listening = await listen((req, res) => {
    res.on('finish', () => requests.push({ method: req.method ?? '', path: req.url ?? '', status: res.statusCode }));
    if (!authorize(req, res, auth)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.resolve(dir, `.${rel}`);
    if (!file.startsWith(dir + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    fs.stat(file, (err, stat) => {
      if (err || !stat.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': stat.size,
      });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  }, tls?.server);
  const charts: PackagedChart[] = [];
  return {
    url: listening.url,
    dir,
    tls,
    requests,
    async addChart(chartDir, packageOptions) {
      const chart = await packageChart(chartDir, dir, packageOptions);
      const i = charts.findIndex((c) => c.name === chart.name && c.version === chart.version);
      if (i >= 0) charts.splice(i, 1);
      charts.push(chart);
      await writeHelmIndex(dir, charts);
      return chart;
    },
    async stop() {
      await listening.close();
      await tmp.remove();
    },
  };
}
