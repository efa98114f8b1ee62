// An OCI distribution registry for tests: Debian's docker-registry (distribution v2.8) on a
// free loopback port, storage in a temp dir, optionally htpasswd (bcrypt) auth and TLS.
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { run } from '../tools/exec.ts';
import { httpRequest } from '../tools/http-client.ts';
import { freePort } from '../tools/ports.ts';
import { startProcess } from '../tools/process.ts';
import { createTestTls } from '../tools/tls.ts';
import type { TestTls } from '../tools/tls.ts';
import { makeTempDir } from '../tools/tmp.ts';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface OciRegistryOptions {
  /** htpasswd auth with this one user (plain Basic on every request). */
  auth?: RegistryCredentials;
  /** true: make a CA and server cert; or reuse an existing one. */
  tls?: boolean | TestTls;
  /** Warnings only, no access log. */
  quiet?: boolean;
  /** Extra environment of the registry process (GOGC defaults to 400, see below). */
  env?: Record<string, string>;
}

/**
 * distribution 2.8 compiles its whole URL router for every request and allocates a 4 MiB read
 * buffer for every blob it serves; at Go's default GOGC half its CPU went to garbage collection
 * (2.0 → 1.1 CPU-s for 500 manifest + blob GETs at 400), CPU a benchmark would charge to the
 * machine, not to the controllers it measures.
 */
const REGISTRY_GOGC = '400';

export interface OciRegistry {
  /** http(s)://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, as used in image references and oci:// URLs. */
  host: string;
  tls: TestTls | undefined;
  auth: RegistryCredentials | undefined;
  dataDir: string;
  logFile: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startOciRegistry(options: OciRegistryOptions = {}): Promise<OciRegistry> {
  // On a failed start the temp dir stays, with the registry log that the error names.
  const tmp = await makeTempDir('eddy-registry-');
  const tls = options.tls === true ? await createTestTls({ dir: tmp.path }) : options.tls || undefined;
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const url = `${tls ? 'https' : 'http'}://${host}`;
  const dataDir = path.join(tmp.path, 'data');
  await fs.mkdir(dataDir);
  const config: Record<string, unknown> = {
    version: 0.1,
    // quiet: no line per request (benchmarks send tens of thousands; the log cost the registry CPU).
    log: options.quiet ? { level: 'warn', accesslog: { disabled: true } } : { level: 'info', accesslog: { disabled: false } },
    storage: { filesystem: { rootdirectory: dataDir }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } },
    http: {
      addr: host,
      secret: 'eddy-test-secret',
      ...(tls ? { tls: { certificate: tls.server.certPath, key: tls.server.keyPath } } : {}),
    },
  };
  if (options.auth) {
    const htpasswd = path.join(tmp.path, 'htpasswd');
    const line = await run('htpasswd', ['-n', '-i', '-B', options.auth.username], { input: options.auth.password });
    await fs.writeFile(htpasswd, line.stdout.trim() + '\n');
    config.auth = { htpasswd: { realm: 'eddy-test', path: htpasswd } };
  }
  const configFile = path.join(tmp.path, 'config.yml');
  await fs.writeFile(configFile, stringify(config));
  const logFile = path.join(tmp.path, 'registry.log');
  const proc = await startProcess({
    name: 'docker-registry',
    command: REGISTRY_BINARY,
    args: ['serve', configFile],
    logFile,
    env: { GOGC: REGISTRY_GOGC, ...options.env },
    ready: async () => {
      const res = await httpRequest(`${url}/v2/`, { ca: tls?.ca.cert, timeoutMs: 2_000 });
      return res.status === 200 || res.status === 401;
    },
  });
  return {
    url,
    host,
    tls,
    auth: options.auth,
    dataDir,
    logFile,
    pid: proc.pid,
    async stop() {
      await proc.stop();
      await tmp.remove();
    },
  };
}
