// Runs a command without a shell and collects its output; failures carry everything needed to
// debug them (command, exit code, stderr).
import { spawn } from 'node:child_process';

export class CommandError extends Error {
  readonly command: string;
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;

  constructor(
    command: string,
    args: readonly string[],
    result: { exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string },
  ) {
    const how = result.signal !== null ? `signal ${result.signal}` : `exit code ${String(result.exitCode)}`;
    super(`${command} ${args.join(' ')} failed with ${how}: ${result.stderr.trim().slice(-2000)}`);
    this.name = 'CommandError';
    this.command = command;
    this.args = args;
    this.exitCode = result.exitCode;
    this.signal = result.signal;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
  }
}

export interface RunOptions {
  cwd?: string;
  /** Added to (not replacing) process.env. */
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: options.timeoutMs ?? 60_000,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  // A child that exits without reading stdin makes the write fail with EPIPE; the exit code says more.
  child.stdin.on('error', () => {});
  child.stdin.end(options.input);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, sig) => resolve([code, sig]));
  });
  const result = {
    exitCode,
    signal,
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
  };
  if (exitCode !== 0) throw new CommandError(command, args, result);
  return { stdout: result.stdout, stderr: result.stderr };
}
