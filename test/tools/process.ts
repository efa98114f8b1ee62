// Long-running child servers (sshd, docker-registry, moto): output goes to a log file, start
// waits for readiness, stop waits until the process has really exited.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export class ServerStartError extends Error {
  readonly logFile: string;

  constructor(message: string, logFile: string) {
    super(`${message} (log: ${logFile})\n${tail(logFile)}`);
    this.name = 'ServerStartError';
    this.logFile = logFile;
  }
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface StartProcessOptions {
  /** Used in error messages. */
  name: string;
  command: string;
  args: readonly string[];
  logFile: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Polled until it returns true. */
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL to the process group after exit or a grace period; resolves once it exited. */
  stop(): Promise<void>;
}

export async function startProcess(options: StartProcessOptions): Promise<ManagedProcess> {
  const log = fs.openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    // detached: own process group, so stop() also ends helpers it forked (sshd sessions).
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', log, log],
      detached: true,
    });
  } finally {
    fs.closeSync(log);
  }
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const handle: ManagedProcess = {
    pid: child.pid ?? -1,
    logFile: options.logFile,
    stop: () => stopChild(child, exited),
  };
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (spawnError !== undefined) {
      throw new ServerStartError(`${options.name}: cannot start ${options.command}: ${spawnError.message}`, options.logFile);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ServerStartError(
        `${options.name} exited during start (code ${String(child.exitCode)}, signal ${String(child.signalCode)})`,
        options.logFile,
      );
    }
    if (await options.ready().catch(() => false)) return handle;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new ServerStartError(`${options.name} not ready after ${options.timeoutMs ?? 20_000} ms`, options.logFile);
    }
    await sleep(50);
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    await exited;
    return;
  }
  // The main process first, so it can reap its own children (PID 1 in some containers never
  // reaps orphans); then whatever is left of its process group, forcibly.
  child.kill('SIGTERM');
  const grace = new AbortController();
  await Promise.race([exited, sleep(5_000, undefined, { signal: grace.signal }).catch(() => {})]);
  grace.abort(); // don't keep the event loop alive for the rest of the grace period
  signalGroup(child.pid, 'SIGKILL');
  await exited;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
