// Finding, parsing and merging kubeconfigs the way client-go's clientcmd and controller-runtime
// do: an explicit file; else every file of KUBECONFIG merged (the first file to name a cluster,
// user or context wins, as does the first current-context); else the Pod's service account;
// else ~/.kube/config. Relative file references resolve against the directory of the file
// that holds them. Only what eddy's transport uses is read; unknown fields are ignored.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { KubeconfigError } from './kubeconfig-error.ts';

export type Env = Readonly<Record<string, string | undefined>>;
type Obj = Record<string, unknown>;

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Named entries as maps; the first definition of a name wins. */
export interface KubeconfigDoc {
  currentContext?: string;
  clusters: Map<string, Obj>;
  users: Map<string, Obj>;
  contexts: Map<string, Obj>;
}

export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  interactiveMode?: string;
  provideClusterInfo: boolean;
  installHint?: string;
}

export interface ClusterConfig {
  server: string;
  ca?: Buffer;
  insecureSkipTLSVerify: boolean;
  tlsServerName?: string;
}

export interface UserConfig {
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  exec?: ExecConfig;
}

export interface ResolvedConfig {
  /** Where it came from, for messages: a file path, 'KUBECONFIG', 'in-cluster' or 'kubeconfig'. */
  origin: string;
  context?: string;
  cluster: ClusterConfig;
  user: UserConfig;
}

export interface LoadOptions {
  kubeconfig?: string;
  context?: string;
  /** Where a Pod's service account token and CA are mounted (tests point it elsewhere). */
  serviceAccountDir?: string;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

const CLUSTER_FILES = ['certificate-authority'];
const USER_FILES = ['client-certificate', 'client-key', 'tokenFile'];

function entries(list: unknown, field: string, baseDir: string | undefined, files: readonly string[]): Map<string, Obj> {
  const out = new Map<string, Obj>();
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw new KubeconfigError('InvalidKubeconfig', `kubeconfig: '${field}s' is not a list`);
  for (const e of list as unknown[]) {
    const name = isObj(e) ? str(e['name']) : undefined;
    if (!isObj(e) || name === undefined || !isObj(e[field])) continue;
    if (out.has(name)) continue;
    out.set(name, baseDir === undefined ? e[field] : resolvePaths(e[field], baseDir, files));
  }
  return out;
}

/** client-go's ResolveLocalPaths: file fields, and an exec command given as a relative path. */
function resolvePaths(o: Obj, baseDir: string, files: readonly string[]): Obj {
  const copy: Obj = { ...o };
  for (const k of files) {
    const v = str(copy[k]);
    if (v !== undefined && !path.isAbsolute(v)) copy[k] = path.join(baseDir, v);
  }
  const exec = copy['exec'];
  if (isObj(exec)) {
    const cmd = str(exec['command']);
    if (cmd !== undefined && cmd.includes('/') && !path.isAbsolute(cmd)) copy['exec'] = { ...exec, command: path.join(baseDir, cmd) };
  }
  return copy;
}

/** Parses one kubeconfig; baseDir (the file's directory) anchors relative file references. */
export function parseKubeconfig(text: string, origin: string, baseDir?: string): KubeconfigDoc {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    throw new KubeconfigError('InvalidKubeconfig', `${origin}: not valid YAML`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObj(doc)) throw new KubeconfigError('InvalidKubeconfig', `${origin}: not a mapping`);
  const currentContext = str(doc['current-context']);
  return {
    ...(currentContext !== undefined ? { currentContext } : {}),
    clusters: entries(doc['clusters'], 'cluster', baseDir, CLUSTER_FILES),
    users: entries(doc['users'], 'user', baseDir, USER_FILES),
    contexts: entries(doc['contexts'], 'context', baseDir, []),
  };
}

/** KUBECONFIG merging: the first file to set a name (or current-context) wins. */
export function mergeKubeconfigs(docs: readonly KubeconfigDoc[]): KubeconfigDoc {
  const merged: KubeconfigDoc = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const d of docs) {
    if (merged.currentContext === undefined && d.currentContext !== undefined) merged.currentContext = d.currentContext;
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      for (const [name, v] of d[key]) if (!merged[key].has(name)) merged[key].set(name, v);
    }
  }
  return merged;
}

function readKubeconfigFile(file: string, mustExist: boolean): KubeconfigDoc | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (!mustExist && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KubeconfigError('FileUnreadable', `kubeconfig ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseKubeconfig(text, `kubeconfig ${file}`, path.dirname(path.resolve(file)));
}

/** The service account of the Pod eddy runs in, when there is one. */
export function inClusterConfig(env: Env, dir = SERVICE_ACCOUNT_DIR): ResolvedConfig | undefined {
  const host = str(env['KUBERNETES_SERVICE_HOST']);
  const port = str(env['KUBERNETES_SERVICE_PORT']);
  const tokenFile = path.join(dir, 'token');
  if (host === undefined || port === undefined || !fs.existsSync(tokenFile)) return undefined;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  let ca: Buffer | undefined;
  try {
    ca = fs.readFileSync(path.join(dir, 'ca.crt'));
  } catch {
    ca = undefined; // as client-go: without the CA file, the system roots verify the server
  }
  return {
    origin: 'in-cluster',
    cluster: { server: `https://${hostPart}:${port}`, insecureSkipTLSVerify: false, ...(ca ? { ca } : {}) },
    user: { tokenFile },
  };
}

/** Finds the kubeconfig as controller-runtime does and resolves the selected context. */
export function loadKubeconfig(opts: LoadOptions, env: Env): ResolvedConfig {
  if (opts.kubeconfig) {
    const doc = readKubeconfigFile(opts.kubeconfig, true) as KubeconfigDoc;
    return selectContext(doc, opts.context, `kubeconfig ${opts.kubeconfig}`);
  }
  const list = [...new Set((env['KUBECONFIG'] ?? '').split(path.delimiter).filter((f) => f !== ''))];
  if (list.length > 0) {
    const docs = list.map((f) => readKubeconfigFile(f, false)).filter((d): d is KubeconfigDoc => d !== undefined);
    if (docs.length === 0) throw new KubeconfigError('NoConfiguration', 'none of the files in KUBECONFIG exists');
    return selectContext(mergeKubeconfigs(docs), opts.context, 'KUBECONFIG');
  }
  const inCluster = inClusterConfig(env, opts.serviceAccountDir);
  if (inCluster) return inCluster;
  const home = str(env['HOME']);
  const doc = home !== undefined ? readKubeconfigFile(path.join(home, '.kube', 'config'), false) : undefined;
  if (!doc) throw new KubeconfigError('NoConfiguration', 'no kubeconfig: pass --kubeconfig, set KUBECONFIG, run in a Pod or create ~/.kube/config');
  return selectContext(doc, opts.context, 'kubeconfig ~/.kube/config');
}

/** The context asked for (or the current one) with its cluster and user. */
export function selectContext(doc: KubeconfigDoc, context: string | undefined, origin: string): ResolvedConfig {
  const name = context || doc.currentContext;
  if (!name) throw new KubeconfigError('ContextNotFound', `${origin}: no current-context is set and no context was given`);
  const ctx = doc.contexts.get(name);
  if (!ctx) throw new KubeconfigError('ContextNotFound', `${origin}: context '${name}' not found`);
  const clusterName = str(ctx['cluster']);
  const cluster = clusterName !== undefined ? doc.clusters.get(clusterName) : undefined;
  if (!cluster) throw new KubeconfigError('ContextNotFound', `${origin}: cluster '${clusterName ?? ''}' of context '${name}' not found`);
  const userName = str(ctx['user']);
  const user = userName !== undefined ? doc.users.get(userName) : {};
  if (!user) throw new KubeconfigError('ContextNotFound', `${origin}: user '${userName ?? ''}' of context '${name}' not found`);
  const where = `${origin}: context '${name}'`;
  return { origin, context: name, cluster: resolveCluster(cluster, where), user: resolveUser(user, where) };
}

/** A `-data` field (base64) wins over its file field, as in client-go. */
function dataOrFile(o: Obj, field: string, where: string): Buffer | undefined {
  const data = str(o[`${field}-data`]);
  if (data !== undefined) return Buffer.from(data, 'base64');
  const file = str(o[field]);
  if (file === undefined) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new KubeconfigError('FileUnreadable', `${where}: ${field} ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function resolveCluster(c: Obj, where: string): ClusterConfig {
  const server = str(c['server']);
  if (server === undefined) throw new KubeconfigError('InvalidKubeconfig', `${where}: the cluster has no server`);
  const insecure = c['insecure-skip-tls-verify'] === true;
  const ca = dataOrFile(c, 'certificate-authority', where);
  if (insecure && ca) throw new KubeconfigError('InvalidKubeconfig', `${where}: certificate-authority and insecure-skip-tls-verify cannot both be set`);
  const tlsServerName = str(c['tls-server-name']);
  return { server, insecureSkipTLSVerify: insecure, ...(ca ? { ca } : {}), ...(tlsServerName !== undefined ? { tlsServerName } : {}) };
}

function resolveUser(u: Obj, where: string): UserConfig {
  if (u['auth-provider'] !== undefined) {
    const ap = u['auth-provider'];
    const name = isObj(ap) ? (str(ap['name']) ?? 'unnamed') : 'unnamed';
    throw new KubeconfigError('AuthProviderUnsupported', `${where}: auth-provider '${name}' is not supported (deprecated upstream); use an exec plugin instead`);
  }
  const cert = dataOrFile(u, 'client-certificate', where);
  const key = dataOrFile(u, 'client-key', where);
  if ((cert === undefined) !== (key === undefined)) throw new KubeconfigError('InvalidKubeconfig', `${where}: a client certificate needs both certificate and key`);
  const out: UserConfig = { ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  for (const k of ['token', 'tokenFile', 'username', 'password'] as const) {
    const v = str(u[k]);
    if (v !== undefined) out[k] = v;
  }
  if ((out.token !== undefined || out.tokenFile !== undefined) && (out.username !== undefined || out.password !== undefined)) {
    throw new KubeconfigError('InvalidKubeconfig', `${where}: more than one authentication method (token and basic) is set`);
  }
  if (u['exec'] !== undefined && u['exec'] !== null) out.exec = execConfig(u['exec'], where);
  return out;
}

const EXEC_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

function execConfig(e: unknown, where: string): ExecConfig {
  if (!isObj(e)) throw new KubeconfigError('InvalidKubeconfig', `${where}: exec is not a mapping`);
  const command = str(e['command']);
  if (command === undefined) throw new KubeconfigError('InvalidKubeconfig', `${where}: exec has no command`);
  const apiVersion = str(e['apiVersion']) ?? '';
  if (!EXEC_VERSIONS.includes(apiVersion)) {
    throw new KubeconfigError('InvalidKubeconfig', `${where}: exec apiVersion '${apiVersion}' is not supported (use ${EXEC_VERSIONS.join(' or ')})`);
  }
  const args = Array.isArray(e['args']) ? (e['args'] as unknown[]).map(String) : [];
  const env: ExecConfig['env'] = [];
  for (const v of Array.isArray(e['env']) ? (e['env'] as unknown[]) : []) {
    if (!isObj(v) || str(v['name']) === undefined || typeof v['value'] !== 'string') throw new KubeconfigError('InvalidKubeconfig', `${where}: exec env entries need a name and a value`);
    env.push({ name: v['name'] as string, value: v['value'] });
  }
  const interactiveMode = str(e['interactiveMode']);
  const installHint = str(e['installHint']);
  return {
    apiVersion, command, args, env, provideClusterInfo: e['provideClusterInfo'] === true,
    ...(interactiveMode !== undefined ? { interactiveMode } : {}),
    ...(installHint !== undefined ? { installHint: installHint.replace(/\s+/g, ' ').trim() } : {}),
  };
}
