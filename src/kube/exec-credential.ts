// Exec credential plugins (client.authentication.k8s.io v1 and v1beta1), as client-go runs
// them: the command with its args, the host environment plus the plugin's env and
// KUBERNETES_EXEC_INFO, no shell and no terminal (a controller is never interactive). The
// returned credential is cached until its expirationTimestamp, or for good without one.
// Errors name the command and never carry its output, which holds the credential.
import { execFile, type ExecFileException } from 'node:child_process';
import { KubeconfigError } from './kubeconfig-error.ts';
import type { ClusterConfig, Env, ExecConfig } from './kubeconfig-load.ts';

export interface ExecCredential {
  token?: string;
  /** PEM client certificate and key, when the plugin returns a TLS identity. */
  cert?: string;
  key?: string;
  /** Milliseconds since the epoch; absent: valid until the process ends. */
  expiresAt?: number;
}

export interface ExecPluginOptions {
  /** The environment the plugin inherits (the process's, passed in). */
  env: Env;
  cluster: ClusterConfig;
  now?: () => number;
  timeoutMs?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class ExecPlugin {
  private readonly cfg: ExecConfig;
  private readonly opts: ExecPluginOptions;
  private cached: ExecCredential | undefined;
  private inflight: Promise<ExecCredential> | undefined;

  constructor(cfg: ExecConfig, opts: ExecPluginOptions) {
    if (cfg.interactiveMode === 'Always') {
      throw new KubeconfigError('ExecFailed', `exec plugin '${cfg.command}' requires an interactive terminal (interactiveMode: Always), which a controller does not have`);
    }
    this.cfg = cfg;
    this.opts = opts;
  }

  /** The cached credential while it is valid; otherwise runs the plugin (once for concurrent callers). */
  async get(): Promise<ExecCredential> {
    const now = (this.opts.now ?? Date.now)();
    if (this.cached && (this.cached.expiresAt === undefined || now < this.cached.expiresAt)) return this.cached;
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(): Promise<ExecCredential> {
    const stdout = await runPlugin(this.cfg, this.pluginEnv(), this.opts.timeoutMs ?? 60_000);
    this.cached = parseExecCredential(stdout, this.cfg);
    return this.cached;
  }

  /** Host environment, then the kubeconfig's env, then KUBERNETES_EXEC_INFO (as client-go). */
  private pluginEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.opts.env)) if (v !== undefined) env[k] = v;
    for (const { name, value } of this.cfg.env) env[name] = value;
    const spec: Obj = { interactive: false };
    if (this.cfg.provideClusterInfo) {
      const c = this.opts.cluster;
      spec['cluster'] = {
        server: c.server,
        ...(c.tlsServerName !== undefined ? { 'tls-server-name': c.tlsServerName } : {}),
        ...(c.insecureSkipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
        ...(c.ca ? { 'certificate-authority-data': c.ca.toString('base64') } : {}),
      };
    }
    env['KUBERNETES_EXEC_INFO'] = JSON.stringify({ apiVersion: this.cfg.apiVersion, kind: 'ExecCredential', spec });
    return env;
  }
}

function runPlugin(cfg: ExecConfig, env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cfg.command, cfg.args, { env, timeout: timeoutMs, maxBuffer: 4 << 20, encoding: 'utf8', windowsHide: true }, (err, stdout) => {
      // The error of execFile quotes stderr and the command line: not chained, it may hold secrets.
      if (err) reject(new KubeconfigError('ExecFailed', `exec plugin '${cfg.command}' ${failure(err, cfg, timeoutMs)}`));
      else resolve(stdout);
    });
    child.stdin?.end();
  });
}

function failure(err: ExecFileException, cfg: ExecConfig, timeoutMs: number): string {
  if (err.code === 'ENOENT') return `was not found${cfg.installHint ? ` (${cfg.installHint})` : ''}`;
  if (err.code === 'EACCES') return 'is not executable';
  if (err.killed && err.signal) return `timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return 'wrote too much output';
  if (typeof err.code === 'number') return `exited with code ${String(err.code)}`;
  if (err.signal) return `was killed by ${String(err.signal)}`;
  return 'failed to run';
}

/** Validates the plugin's answer; messages never quote it. */
export function parseExecCredential(stdout: string, cfg: ExecConfig): ExecCredential {
  const bad = (what: string) => new KubeconfigError('ExecFailed', `exec plugin '${cfg.command}' ${what}`);
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw bad('did not write an ExecCredential as JSON');
  }
  if (!isObj(doc) || doc['kind'] !== 'ExecCredential') throw bad('did not write an ExecCredential');
  if (doc['apiVersion'] !== cfg.apiVersion) throw bad(`returned apiVersion '${String(doc['apiVersion'])}', configured '${cfg.apiVersion}'`);
  const status = doc['status'];
  if (!isObj(status)) throw bad('returned no status');
  const pick = (k: string) => (typeof status[k] === 'string' && status[k] !== '' ? status[k] : undefined);
  const token = pick('token');
  const cert = pick('clientCertificateData');
  const key = pick('clientKeyData');
  if ((cert === undefined) !== (key === undefined)) throw bad('returned a client certificate without its key (or a key without its certificate)');
  if (token === undefined && cert === undefined) throw bad('returned neither a token nor a client certificate');
  const out: ExecCredential = { ...(token !== undefined ? { token } : {}), ...(cert !== undefined && key !== undefined ? { cert, key } : {}) };
  const expiresAt = expiry(status['expirationTimestamp']);
  if (expiresAt === null) throw bad('returned an invalid expirationTimestamp');
  if (expiresAt !== undefined) out.expiresAt = expiresAt;
  return out;
}

/** RFC 3339 time as epoch ms; undefined when absent, null when unparsable. */
function expiry(v: unknown): number | undefined | null {
  if (v === undefined || v === null || v === '') return undefined;
  const at = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? null : at;
}
