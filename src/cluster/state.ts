import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The supervisor's state.json, written by cluster/state.go. */
export interface ClusterState {
  name: string;
  phase: 'Starting' | 'Ready' | 'Failed' | 'Stopping';
  message?: string;
  log?: string;
  pid: number;
  version: string;
  server?: string;
  kubeconfig?: string;
  ports: Record<string, number>;
  children: Record<string, number>;
  etcd?: { endpoint: string; caFile: string; certFile: string; keyFile: string };
  nodes?: string[];
  startedAt: string;
  readyAt?: string;
  readySeconds?: number;
}

export async function readState(dir: string): Promise<ClusterState | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'state.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as ClusterState;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
