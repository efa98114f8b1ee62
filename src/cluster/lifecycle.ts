import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterError } from './errors.ts';
import { clusterDir, validateClusterName } from './paths.ts';
import { type ClusterState, isAlive, readState } from './state.ts';

export interface UpOptions {
  home: string;
  name: string;
  nodes: number;
  binary: string;
  apiserverPort?: number;
  /** Further flags for the supervisor, e.g. --per-controller-credentials. */
  extraArgs?: string[];
  timeoutMs?: number;
}

/**
 * Starts a cluster in the background (or finds it already running) and resolves once it is
 * Ready. Stale state from a killed run is cleaned first; a failed start is one ClusterError
 * naming the log that explains it.
 */
export async function clusterUp(opts: UpOptions): Promise<ClusterState> {
  const dir = clusterDir(opts.home, validateClusterName(opts.name));
  const existing = await readState(dir);
  if (existing && isAlive(existing.pid) && existing.phase === 'Ready') return existing;
  if (existing) await stopProcesses(existing);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'logs'), { recursive: true });

  const logPath = join(dir, 'logs', 'supervisor.log');
  const log = await open(logPath, 'a');
  const args = ['up', '--dir', dir, '--name', opts.name, '--nodes', String(opts.nodes)];
  if (opts.apiserverPort) args.push('--apiserver-port', String(opts.apiserverPort));
  args.push(...(opts.extraArgs ?? []));
  const child = spawn(opts.binary, args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
  child.unref();
  await log.close();
  return waitReady(dir, child, logPath, opts);
}

/** Polls state.json until the supervisor says Ready or Failed, exits, or time runs out. */
async function waitReady(dir: string, child: ChildProcess, logPath: string, opts: UpOptions): Promise<ClusterState> {
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await readState(dir).catch(() => undefined);
    if (st?.phase === 'Ready') return st;
    if (st?.phase === 'Failed') throw startError(st.message ?? 'failed', logPath);
    if (exitCode !== undefined) throw startError(`supervisor exited with code ${exitCode}`, logPath);
    if (Date.now() > deadline) {
      if (child.pid) await stopPid(child.pid);
      throw new ClusterError('StartTimeout', `cluster ${opts.name} not ready within ${timeoutMs / 1000} s`, { logPath });
    }
    await sleep(100);
  }
}

function startError(message: string, logPath: string): ClusterError {
  const reason = /port \d+ is taken/.test(message) ? 'PortTaken' : 'StartFailed';
  return new ClusterError(reason, message, { logPath });
}

/** Stops a cluster (even one whose supervisor crashed) and removes its state. */
export async function clusterDown(home: string, name: string): Promise<boolean> {
  const dir = clusterDir(home, validateClusterName(name));
  const st = await readState(dir);
  if (st) await stopProcesses(st);
  const had = st !== undefined || (await readdir(dir).then(() => true, () => false));
  await rm(dir, { recursive: true, force: true });
  return had;
}

export interface ClusterSummary {
  name: string;
  phase: ClusterState['phase'] | 'Dead';
  server?: string;
  kubeconfig?: string;
  pid?: number;
}

export async function clusterStatus(home: string): Promise<ClusterSummary[]> {
  const root = join(home, 'clusters');
  const names = await readdir(root).catch(() => [] as string[]);
  const out: ClusterSummary[] = [];
  for (const name of names.sort()) {
    const st = await readState(join(root, name));
    if (!st) {
      out.push({ name, phase: 'Dead' });
      continue;
    }
    out.push({ name, phase: isAlive(st.pid) ? st.phase : 'Dead', server: st.server, kubeconfig: st.kubeconfig, pid: st.pid });
  }
  return out;
}

/** Supervisor first (it stops its children in order); then any child it left behind. */
async function stopProcesses(st: ClusterState): Promise<void> {
  await stopPid(st.pid);
  for (const pid of Object.values(st.children)) await stopPid(pid);
}

async function stopPid(pid: number, graceMs = 30_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await sleep(50);
  }
}
