// A kubeconfig taken from a Secret (Kustomization.spec.kubeConfig) is untrusted: reduce it to
// the current context's server, CA, client certificate/key data, token or basic credentials.
// File references would read the controller's own files and are refused; exec plugins run
// programs and are refused unless the operator allowed them (--insecure-kubeconfig-exec).
import { stringify } from 'yaml';
import { KubeconfigError } from './kubeconfig-error.ts';
import { parseKubeconfig } from './kubeconfig-load.ts';

export { KubeconfigError };

type Obj = Record<string, unknown>;

const CLUSTER_KEYS = ['server', 'certificate-authority-data', 'tls-server-name', 'insecure-skip-tls-verify'];
const USER_KEYS = ['client-certificate-data', 'client-key-data', 'token', 'username', 'password'];
const FILE_KEYS = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'];

/** The raw entry a context names; the loader's parser does the YAML and list handling. */
function named(entries: Map<string, Obj>, name: unknown, what: string): Obj {
  const found = typeof name === 'string' ? entries.get(name) : undefined;
  if (!found) throw new KubeconfigError('InvalidKubeconfig', `kubeconfig: ${what} '${String(name)}' of the current context not found`);
  return found;
}

function pick(from: Obj, keys: readonly string[]): Obj {
  return Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
}

export function reduceKubeconfig(text: string, opts: { allowExec?: boolean } = {}): string {
  const doc = parseKubeconfig(text, 'kubeconfig');
  const context = named(doc.contexts, doc.currentContext, 'context');
  const cluster = named(doc.clusters, context['cluster'], 'cluster');
  const user = context['user'] !== undefined ? named(doc.users, context['user'], 'user') : {};
  for (const k of FILE_KEYS) {
    if (cluster[k] !== undefined || user[k] !== undefined) throw new KubeconfigError('InvalidKubeconfig', `kubeconfig: '${k}' refers to a local file, which is not allowed`);
  }
  if (user['auth-provider'] !== undefined) throw new KubeconfigError('InvalidKubeconfig', 'kubeconfig: auth-provider plugins are not allowed');
  const reducedUser = pick(user, USER_KEYS);
  if (user['exec'] !== undefined) {
    if (!opts.allowExec) throw new KubeconfigError('InvalidKubeconfig', 'kubeconfig: exec plugins are refused unless --insecure-kubeconfig-exec is set');
    reducedUser['exec'] = user['exec'];
  }
  if (typeof cluster['server'] !== 'string') throw new KubeconfigError('InvalidKubeconfig', 'kubeconfig: the cluster has no server');
  return stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'remote',
    clusters: [{ name: 'remote', cluster: pick(cluster, CLUSTER_KEYS) }],
    users: [{ name: 'remote', user: reducedUser }],
    contexts: [{ name: 'remote', context: { cluster: 'remote', user: 'remote' } }],
  });
}
