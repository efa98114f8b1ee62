// The controllers' own identity: a ServiceAccount token, as Flux's controllers (and eddy's) have
// in a cluster. With the admin's client certificate instead, the API server verifies the
// certificate chain on every request (no cache): 8.6 % of its CPU in a profile of the N = 1000
// run; a token is verified once and then served from the authenticator's cache.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { KubeClient } from '../../src/kube/index.ts';

const SA = 'bench-controllers';

interface Kubeconfig {
  users?: { name: string; user: Record<string, unknown> }[];
}

/** A kubeconfig next to `adminKubeconfig` that authenticates as a cluster-admin ServiceAccount of `namespace`. */
export async function controllerKubeconfig(admin: KubeClient, adminKubeconfig: string, namespace: string, dir: string): Promise<string> {
  await admin.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA, namespace } }, { fieldManager: 'bench', force: true });
  await admin.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: SA },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: SA, namespace }],
  }, { fieldManager: 'bench', force: true });
  const request = await admin.transport.json<{ status: { token: string } }>({
    method: 'POST', path: `/api/v1/namespaces/${namespace}/serviceaccounts/${SA}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 24 * 3600 } },
  });
  const config = parse(await readFile(adminKubeconfig, 'utf8')) as Kubeconfig;
  for (const u of config.users ?? []) u.user = { token: request.status.token };
  const file = join(dir, 'controllers.kubeconfig');
  await writeFile(file, stringify(config), { mode: 0o600 });
  return file;
}
