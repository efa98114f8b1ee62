import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where eddy keeps clusters, binaries and logs; the caller passes the environment in. */
export function eddyHome(env: NodeJS.ProcessEnv): string {
  return env['EDDY_HOME'] ?? join(homedir(), '.eddy');
}

export function clusterDir(home: string, name: string): string {
  return join(home, 'clusters', name);
}

/** The Go module of the control plane, shipped inside this package. */
export const clusterModuleDir = fileURLToPath(new URL('../../cluster/', import.meta.url));

const NAME = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/** Cluster names become directory names and kubeconfig contexts: keep them DNS-label-like. */
export function validateClusterName(name: string): string {
  if (!NAME.test(name)) {
    throw new Error(`invalid cluster name ${JSON.stringify(name)}: use lowercase letters, digits and '-' (at most 40)`);
  }
  return name;
}
