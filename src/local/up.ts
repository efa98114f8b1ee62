// The local default (`eddy up`): a control plane, eddy's CRDs, the controllers running in the
// background, the bundled podinfo example in a local Git repository served over HTTP, and a
// GitRepository + Kustomization reconciling it, until the Deployment is Available.
import { cp, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/types.ts';
import { spawnEddyRun } from '../cli/node-flags.ts';
import { git } from './git-commands.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..');
export const EXAMPLE_DIR = join(repoRoot, 'examples', 'podinfo');
export const LOCAL_NAMESPACE = 'flux-system';
export const EXAMPLE_NAME = 'podinfo';

export interface LocalPaths {
  dir: string;
  repos: string;
  worktree: string;
  log: string;
  pidFile: string;
  storage: string;
}

export function localPaths(home: string, name: string): LocalPaths {
  const dir = join(home, 'local', name);
  const repos = join(dir, 'repos');
  return { dir, repos, worktree: join(repos, EXAMPLE_NAME), log: join(dir, 'controllers.log'), pidFile: join(dir, 'controllers.pid'), storage: join(dir, 'storage') };
}

/** A working repository (users edit and commit in it) seeded once with the example. */
export async function seedExample(p: LocalPaths): Promise<boolean> {
  const exists = await readFile(join(p.worktree, '.git', 'HEAD')).then(() => true, () => false);
  if (exists) return false;
  await mkdir(p.worktree, { recursive: true });
  await cp(EXAMPLE_DIR, p.worktree, { recursive: true, filter: (src) => !src.endsWith('README.md') });
  await git(p.worktree, ['init', '-q', '-b', 'main']);
  await git(p.worktree, ['add', '-A']);
  await git(p.worktree, ['-c', 'user.name=eddy', '-c', 'user.email=eddy@localhost', 'commit', '-q', '-m', 'podinfo example']);
  return true;
}

export interface Ports {
  git: number;
  storage: number;
  health: number;
  metrics: number;
}

/** Starts `eddy run` detached, logging to a file; it also serves the example repository. */
export async function startControllers(p: LocalPaths, kubeconfig: string, engineBinary: string, ports: Ports): Promise<number> {
  await stopControllers(p);
  await mkdir(p.dir, { recursive: true });
  const log = await open(p.log, 'a');
  const child = spawnEddyRun([
    '--kubeconfig', kubeconfig, '--log-encoding', 'json', '--engine-binary', engineBinary,
    '--storage-path', p.storage, '--storage-addr', `127.0.0.1:${ports.storage}`,
    '--health-addr', `127.0.0.1:${ports.health}`, '--metrics-addr', `127.0.0.1:${ports.metrics}`,
    '--serve-git-dir', p.repos, '--serve-git-port', String(ports.git), '--artifact-retention-ttl', '60s',
  ], { detached: true, stdio: ['ignore', log.fd, log.fd] });
  child.unref();
  await log.close();
  const pid = child.pid ?? 0;
  await writeFile(p.pidFile, String(pid));
  return pid;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function stopControllers(p: LocalPaths): Promise<boolean> {
  const pid = Number(await readFile(p.pidFile, 'utf8').catch(() => '0'));
  if (!pid || !alive(pid)) {
    await rm(p.pidFile, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  await rm(p.pidFile, { force: true });
  return true;
}

export async function waitHealthy(port: number, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) throw new Error('the controllers exited');
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`the controllers were not ready within ${timeoutMs / 1000} s`);
}

export function exampleObjects(gitUrl: string): KubeObject[] {
  const meta = { name: EXAMPLE_NAME, namespace: LOCAL_NAMESPACE };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LOCAL_NAMESPACE } },
    { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: meta, spec: { url: `${gitUrl}/${EXAMPLE_NAME}`, interval: '30s', ref: { branch: 'main' } } },
    {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: meta,
      spec: { interval: '1m', path: './', prune: true, wait: true, timeout: '2m', targetNamespace: 'default', sourceRef: { kind: 'GitRepository', name: EXAMPLE_NAME } },
    },
  ];
}

export async function applyAll(client: KubeClient, objects: KubeObject[]): Promise<void> {
  for (const o of objects) await client.apply(o, { fieldManager: 'eddy', force: true });
}

export interface Progress {
  ready: boolean;
  message: string;
}

export async function exampleProgress(client: KubeClient): Promise<Progress> {
  let ks: KubeObject;
  try {
    ks = await client.get({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' }, EXAMPLE_NAME, LOCAL_NAMESPACE);
  } catch (err) {
    if (isNotFound(err)) return { ready: false, message: 'Kustomization not created yet' };
    throw err;
  }
  const ready = ((ks['status'] as { conditions?: { type: string; status: string; message: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
  return { ready: ready?.status === 'True', message: ready ? `Ready=${ready.status}: ${ready.message}` : 'waiting for the first reconcile' };
}
