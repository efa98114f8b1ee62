// A small pool of long-lived engine processes: started lazily, one request at a time each,
// restarted with backoff after a crash, timeout or memory kill.
import { resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError } from './errors.ts';
import { EngineProcess, type EngineLogger } from './process.ts';

export interface EngineInputLimits {
  /** Most regular files the engine loads from the tree (default 10 000). */
  maxFiles?: number;
  /** Most bytes of file content it loads (default 64 MiB). */
  maxBytes?: number;
}

export interface EnginePoolOptions {
  /** Path of the eddy-engine binary (see ensureEngineBinary). */
  binary: string;
  /** Engine processes, each running one request at a time (default 2). */
  size?: number;
  /** Deadline of one request's round trip to the engine (default 30 s). */
  timeoutMs?: number;
  /** Hard memory cap per engine process (default 512 MiB). */
  memoryLimitBytes?: number;
  /** Bounds the engine applies to the tree before parsing anything. */
  inputLimits?: EngineInputLimits;
  /** Delay before restarting a process that failed repeatedly (default 250 ms doubling to 10 s). */
  restartBackoff?: { initialMs: number; maxMs: number };
  /** RSS sampling interval while a request runs (default 25 ms). */
  rssSampleMs?: number;
  logger?: EngineLogger;
}

/** A source tree sent with the request: what the caller extracted in memory (links left out). */
export interface InlineTree {
  /** Directories, '/'-separated and relative (parents are created as needed). */
  dirs: readonly string[];
  files: readonly { path: string; data: Buffer }[];
}

/** `root`: a directory holding the (already safely extracted) source, nothing outside it read; or the `tree` itself. */
export type KustomizeBuildRequest = KustomizeBuildTarget & ({ root: string; tree?: never } | { tree: InlineTree; root?: never });

interface KustomizeBuildTarget {
  /** The kustomization's directory, relative to the root. */
  path: string;
  /** Let kustomize clone remote bases over HTTPS (default false: RemoteBaseRefused). */
  allowRemoteBases?: boolean;
}

interface Slot {
  proc: EngineProcess | undefined;
  busy: boolean;
  /** Consecutive abnormal ends; drives the restart backoff. */
  failures: number;
}

interface Job {
  op: string;
  params: unknown;
  signal: AbortSignal | undefined;
  resolve: (result: unknown) => void;
  reject: (err: unknown) => void;
  onAbort: () => void;
}

const PROCESS_FAILURES = new Set(['Timeout', 'Crashed', 'MemoryLimit']);

export class EnginePool {
  readonly #opts: Required<Omit<EnginePoolOptions, 'inputLimits'>> & { inputLimits: EngineInputLimits };
  readonly #slots: Slot[];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(opts: EnginePoolOptions) {
    this.#opts = {
      binary: opts.binary,
      size: opts.size ?? 2,
      timeoutMs: opts.timeoutMs ?? 30_000,
      memoryLimitBytes: opts.memoryLimitBytes ?? 512 * 1024 * 1024,
      inputLimits: opts.inputLimits ?? {},
      restartBackoff: opts.restartBackoff ?? { initialMs: 250, maxMs: 10_000 },
      rssSampleMs: opts.rssSampleMs ?? 25,
      logger: opts.logger ?? (() => {}),
    };
    if (!Number.isInteger(this.#opts.size) || this.#opts.size < 1) throw new RangeError('size must be a positive integer');
    this.#slots = Array.from({ length: this.#opts.size }, () => ({ proc: undefined, busy: false, failures: 0 }));
  }

  /** Runs `kustomize build` as `kubectl kustomize` 1.35 does and returns its YAML output. */
  async kustomizeBuild(req: KustomizeBuildRequest, signal?: AbortSignal): Promise<string> {
    const result = (await this.#submit('kustomize.build', this.#buildParams(req, 'yaml'), signal)) as { yaml?: string };
    return result.yaml ?? '';
  }

  /**
   * The same build as objects, in the same order, each as kustomize marshals it to JSON: what a
   * controller applies, without printing and re-parsing YAML (a tenth of a controller's CPU at
   * 1,000 Kustomizations went to the YAML parser).
   */
  async kustomizeBuildObjects(req: KustomizeBuildRequest, signal?: AbortSignal): Promise<unknown[]> {
    const result = (await this.#submit('kustomize.build', this.#buildParams(req, 'json'), signal)) as { objects?: unknown[] };
    return result.objects ?? [];
  }

  #buildParams(req: KustomizeBuildRequest, output: 'yaml' | 'json') {
    const source = req.tree
      ? { tree: { dirs: req.tree.dirs, files: req.tree.files.map((f) => ({ path: f.path, data: f.data.toString('base64') })) } }
      : { root: resolvePath(req.root) };
    return { ...source, path: req.path, allowRemoteBases: req.allowRemoteBases ?? false, limits: this.#opts.inputLimits, output };
  }

  /** A health check: one round trip to an engine process (starting one if none runs). */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.#submit('ping', {}, signal);
  }

  /** Process ids of the running engine processes. */
  processIds(): number[] {
    return this.#slots.flatMap((s) => (s.proc?.alive ? [s.proc.pid] : []));
  }

  /** Resident set size of each running engine process, in bytes. */
  async rss(): Promise<number[]> {
    const all = await Promise.all(this.#slots.map((s) => (s.proc?.alive ? s.proc.rss() : Promise.resolve(undefined))));
    return all.filter((v): v is number => v !== undefined);
  }

  /** Fails queued requests, lets running ones finish, and stops every process. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      job.signal?.removeEventListener('abort', job.onAbort);
      job.reject(new EngineError('Crashed', 'the engine pool is closed'));
    }
    await Promise.all(this.#slots.map((s) => s.proc?.stop() ?? Promise.resolve()));
  }

  #submit(op: string, params: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    if (this.#closed) return Promise.reject(new EngineError('Crashed', 'the engine pool is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const job: Job = { op, params, signal, resolve, reject, onAbort: () => {} };
      job.onAbort = () => {
        const at = this.#queue.indexOf(job);
        if (at >= 0) {
          this.#queue.splice(at, 1);
          reject(signal?.reason as Error);
        }
      };
      signal?.addEventListener('abort', job.onAbort, { once: true });
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0 || this.#closed) return;
      if (slot.busy) continue;
      const job = this.#queue.shift();
      if (!job) return;
      job.signal?.removeEventListener('abort', job.onAbort);
      void this.#run(slot, job);
    }
  }

  async #run(slot: Slot, job: Job): Promise<void> {
    slot.busy = true;
    try {
      const proc = await this.#processFor(slot, job.signal);
      if (job.signal?.aborted) throw job.signal.reason;
      const result = await proc.request(this.#nextId++, job.op, job.params, this.#opts.timeoutMs, job.signal);
      slot.failures = 0;
      job.resolve(result);
    } catch (err) {
      if (err instanceof EngineError && PROCESS_FAILURES.has(err.reason)) slot.failures++;
      job.reject(err);
    } finally {
      slot.busy = false;
      this.#dispatch();
    }
  }

  /** The slot's live process, started (after the backoff, if it keeps failing) when needed. */
  async #processFor(slot: Slot, signal: AbortSignal | undefined): Promise<EngineProcess> {
    if (slot.proc?.alive) return slot.proc;
    if (slot.proc) await slot.proc.exited;
    const { initialMs, maxMs } = this.#opts.restartBackoff;
    // The first restart is immediate (one hostile input must not slow the next build);
    // repeated failures back off exponentially.
    const delay = slot.failures <= 1 ? 0 : Math.min(maxMs, initialMs * 2 ** (slot.failures - 2));
    if (delay > 0) {
      this.#opts.logger({ level: 'info', msg: `restarting an engine process in ${delay} ms after ${slot.failures} failures` });
      await sleep(delay, undefined, { signal });
    }
    if (this.#closed) throw new EngineError('Crashed', 'the engine pool is closed');
    slot.proc = await EngineProcess.start({
      binary: this.#opts.binary,
      memoryLimitBytes: this.#opts.memoryLimitBytes,
      rssSampleMs: this.#opts.rssSampleMs,
      logger: this.#opts.logger,
    });
    this.#opts.logger({ level: 'debug', msg: 'engine process started', pid: slot.proc.pid });
    return slot.proc;
  }
}
