// Runs a program without a shell, in its own process group, with a deadline: on timeout or
// abort the whole group is killed (git's children — ssh, remote-https, upload-pack — with it).
// Never throws for a non-zero exit; the caller decides what the exit means.
import { spawn } from 'node:child_process';

export interface ProcessOptions {
  cwd?: string;
  /** The complete environment; nothing is inherited from this process. */
  env: Record<string, string>;
  input?: string | Uint8Array;
  /** Epoch milliseconds after which the process group is killed. */
  deadline: number;
  signal?: AbortSignal;
  /** Output beyond this many bytes per stream is dropped (the exit still counts). Default 64 MiB. */
  maxOutputBytes?: number;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  /** The program could not be started (ENOENT, EACCES, …). */
  spawnError?: Error;
}

export function runProcess(command: string, args: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const limit = options.maxOutputBytes ?? 64 * 1024 * 1024;
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // A new process group (and session: no controlling terminal, so nothing can prompt).
      detached: true,
      shell: false,
    });
    const out = collector(limit);
    const err = collector(limit);
    let timedOut = false;
    let aborted = false;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, Math.max(0, options.deadline - Date.now()));
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    child.stdout.on('data', out.push);
    child.stderr.on('data', err.push);
    child.stdin.on('error', () => {}); // a child that exits early makes the write fail; the exit says more
    child.stdin.end(options.input);
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const result: ProcessResult = { exitCode, signal, stdout: out.value(), stderr: err.value().toString('utf8'), timedOut, aborted };
      if (spawnError) result.spawnError = spawnError;
      resolve(result);
    };
    child.once('error', (e) => finish(null, null, e));
    child.once('close', (code, sig) => {
      // Children that outlived the leader (a stuck ssh) go too.
      if (code !== 0) killGroup();
      finish(code, sig);
    });
  });
}

function collector(limit: number): { push: (chunk: Buffer) => void; value: () => Buffer } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push: (chunk: Buffer) => {
      if (size >= limit) return;
      chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    },
    value: () => Buffer.concat(chunks),
  };
}
