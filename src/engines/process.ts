// One engine child process: spawned on demand, one request at a time (kustomize keeps
// process-global state, so the engine never runs two builds at once), killed on timeout, abort
// or memory limit.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError, wireReason, type EngineErrorReason } from './errors.ts';
import { encodeFrame, FrameDecoder } from './framing.ts';

/** The engine's exit code when its own memory watchdog stopped it. */
const EXIT_MEMORY_LIMIT = 86;
const STDERR_TAIL = 4096;

export interface EngineLogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  pid?: number;
  reason?: EngineErrorReason;
}

export type EngineLogger = (entry: EngineLogEntry) => void;

export interface EngineProcessOptions {
  binary: string;
  memoryLimitBytes: number;
  /** How often RSS is sampled while a request runs. */
  rssSampleMs: number;
  logger: EngineLogger;
}

interface Response {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { reason: string; message: string };
}

interface Pending {
  id: number;
  settle: (err: Error | undefined, result?: unknown) => void;
}

export class EngineProcess {
  readonly pid: number;
  /** Resolves once the process has exited (a pending request has been failed by then). */
  readonly exited: Promise<void>;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #opts: EngineProcessOptions;
  readonly #decoder = new FrameDecoder();
  #pending: Pending | undefined;
  #killReason: EngineErrorReason | undefined;
  #stderrTail = '';
  #alive = true;
  /** Set once the pool decided to kill it: a dying process takes no new request. */
  #killed = false;

  private constructor(child: ChildProcessWithoutNullStreams, opts: EngineProcessOptions) {
    this.#child = child;
    this.#opts = opts;
    this.pid = child.pid ?? -1;
    child.stdout.on('data', (chunk: Buffer) => this.#onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => this.#onStderr(text));
    // Writes to a dead child fail with EPIPE; the exit handler reports the real cause.
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#alive = false;
        this.#onExit(code, signal);
        resolve();
      });
    });
  }

  static async start(opts: EngineProcessOptions): Promise<EngineProcess> {
    // Scratch space of this process (remote-base copies, git clones): removed after it exits,
    // since a killed engine cannot remove it itself.
    const scratch = await mkdtemp(join(tmpdir(), 'eddy-engine-'));
    const child = spawn(opts.binary, [`--memory-limit=${opts.memoryLimitBytes}`, `--scratch-dir=${scratch}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // GOMEMLIMIT makes the Go GC work harder before the hard cap is reached.
      env: { ...process.env, GOMEMLIMIT: String(Math.floor(opts.memoryLimitBytes * 0.8)) },
    });
    const removeScratch = () => void rm(scratch, { recursive: true, force: true }).catch(() => {});
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (err) => reject(new EngineError('Crashed', `cannot start the engine ${opts.binary}: ${err.message}`, { cause: err })));
      });
    } catch (err) {
      removeScratch();
      throw err;
    }
    const proc = new EngineProcess(child, opts);
    void proc.exited.then(removeScratch);
    return proc;
  }

  get alive(): boolean {
    return this.#alive && !this.#killed;
  }

  get busy(): boolean {
    return this.#pending !== undefined;
  }

  /** Sends one request; rejects with EngineError, or with the signal's reason on abort. */
  request(id: number, op: string, params: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    if (this.#pending) throw new Error('engine process is busy');
    if (!this.alive) return Promise.reject(new EngineError('Crashed', 'the engine process is not running'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.kill('Timeout'), timeoutMs);
      const sampler = setInterval(() => void this.#checkMemory(), this.#opts.rssSampleMs);
      const onAbort = () => this.kill(undefined, signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending = {
        id,
        settle: (err, result) => {
          clearTimeout(timer);
          clearInterval(sampler);
          signal?.removeEventListener('abort', onAbort);
          this.#pending = undefined;
          if (err) reject(err);
          else resolve(result);
        },
      };
      this.#child.stdin.write(encodeFrame({ id, op, params }));
    });
  }

  /** Kills the process; a pending request fails with `reason`, or with `abortReason` if given. */
  kill(reason: EngineErrorReason | undefined, abortReason?: unknown): void {
    if (!this.#alive) return;
    this.#killed = true;
    this.#killReason ??= reason;
    if (reason === undefined && this.#pending) {
      const err = abortReason instanceof Error ? abortReason : new Error('the request was aborted', { cause: abortReason });
      this.#pending.settle(err);
    }
    this.#child.kill('SIGKILL');
  }

  /** Closes stdin so the engine exits on its own; kills it if it does not within `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.#alive) return;
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Resident set size from /proc (Linux); undefined where it cannot be read. */
  async rss(): Promise<number | undefined> {
    try {
      const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  async #checkMemory(): Promise<void> {
    const rss = await this.rss();
    if (rss !== undefined && rss > this.#opts.memoryLimitBytes && this.#pending) this.kill('MemoryLimit');
  }

  #onData(chunk: Buffer): void {
    let messages: unknown[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (err) {
      this.#opts.logger({ level: 'error', msg: `engine protocol error: ${String(err)}`, pid: this.pid });
      this.kill('Crashed');
      return;
    }
    for (const m of messages) this.#onResponse(m as Response);
  }

  #onResponse(res: Response): void {
    const pending = this.#pending;
    if (!pending || res.id !== pending.id) {
      this.#opts.logger({ level: 'warn', msg: `engine answered unknown request ${res.id}`, pid: this.pid });
      return;
    }
    if (res.ok) pending.settle(undefined, res.result);
    else pending.settle(new EngineError(wireReason(res.error?.reason ?? ''), res.error?.message ?? 'engine error'));
  }

  #onStderr(text: string): void {
    this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL);
    for (const line of text.split('\n')) {
      if (line.trim() !== '') this.#opts.logger({ level: 'warn', msg: line, pid: this.pid });
    }
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const reason: EngineErrorReason = this.#killReason ?? (code === EXIT_MEMORY_LIMIT ? 'MemoryLimit' : 'Crashed');
    const how = signal ? `signal ${signal}` : `exit code ${String(code)}`;
    const level = this.#killReason === undefined && code === 0 ? 'debug' : 'warn';
    this.#opts.logger({ level, msg: `engine process exited (${how})`, pid: this.pid, reason });
    this.#pending?.settle(new EngineError(reason, exitMessage(reason, how, this.#opts, this.#stderrTail)));
  }
}

function exitMessage(reason: EngineErrorReason, how: string, opts: EngineProcessOptions, stderr: string): string {
  switch (reason) {
    case 'Timeout':
      return 'the build did not finish in time; the engine process was killed and will be restarted';
    case 'MemoryLimit':
      return `the build exceeded the engine memory limit of ${Math.round(opts.memoryLimitBytes / 1048576)} MiB; the engine process was killed and will be restarted`;
    default: {
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      return `the engine process died (${how})${tail ? `: ${tail}` : ''}`;
    }
  }
}
