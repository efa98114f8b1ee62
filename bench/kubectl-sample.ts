// Runs one kubectl command with its output counted and thrown away, and measures it: wall time
// here, peak RSS (VmHWM) and CPU (utime + stime) by polling /proc/<pid> every 5 ms. When GNU time
// is installed it also runs under /usr/bin/time, whose figures come from wait4()'s rusage and so
// cover the last few ms before exit that a poller cannot see; they are kept as a cross-check.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { procStatusKiB } from './informer-ipc.ts';

export interface KubectlSample {
  wallSeconds: number;
  stdoutBytes: number;
  /** From /proc polling. */
  peakRssMiB: number;
  cpuSeconds: number;
  pollSamples: number;
  /** From /usr/bin/time (rusage at exit), when installed. */
  gnuTime?: { peakRssMiB: number; cpuSeconds: number };
}

const GNU_TIME = '/usr/bin/time';
const MARK = 'EDDYBENCH-TIME';
const CLK_TCK = 100; // USER_HZ: 100 on every Linux architecture Node supports.

export function gnuTimeAvailable(): boolean {
  return existsSync(GNU_TIME);
}

/** utime + stime of a live process, in seconds; undefined once it is gone. */
function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function firstChild(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

interface Poller {
  stop(): void;
  result(): { peakRssMiB: number; cpuSeconds: number; pollSamples: number };
}

function pollProcess(pidOf: () => number | undefined, everyMs: number): Poller {
  let peakKiB = 0;
  let cpu = 0;
  let samples = 0;
  const timer = setInterval(() => {
    const pid = pidOf();
    if (pid === undefined) return;
    const hwm = procStatusKiB(pid, 'VmHWM');
    const c = procCpuSeconds(pid);
    if (hwm > 0) peakKiB = Math.max(peakKiB, hwm);
    if (c !== undefined) cpu = Math.max(cpu, c);
    samples++;
  }, everyMs);
  return {
    stop: () => clearInterval(timer),
    result: () => ({ peakRssMiB: peakKiB / 1024, cpuSeconds: cpu, pollSamples: samples }),
  };
}

function parseGnuTime(stderr: string): { peakRssMiB: number; cpuSeconds: number } | undefined {
  const m = new RegExp(`^${MARK} ([\\d.]+) ([\\d.]+) (\\d+)$`, 'm').exec(stderr);
  if (!m) return undefined;
  return { cpuSeconds: Number(m[1]) + Number(m[2]), peakRssMiB: Number(m[3]) / 1024 };
}

export async function sampleKubectl(kubectl: string, args: string[]): Promise<KubectlSample> {
  const timed = gnuTimeAvailable();
  const cmd = timed ? GNU_TIME : kubectl;
  const argv = timed ? ['-f', `${MARK} %U %S %M`, kubectl, ...args] : args;
  const t0 = performance.now();
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  let kubectlPid = timed ? undefined : pid;
  const poller = pollProcess(() => (kubectlPid ??= pid === undefined ? undefined : firstChild(pid)), 5);
  let stdoutBytes = 0;
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdoutBytes += b.length));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  poller.stop();
  if (code !== 0) throw new Error(`kubectl ${args.join(' ')} exited with ${String(code)}: ${stderr.slice(-2000)}`);
  const polled = poller.result();
  const gnuTime = timed ? parseGnuTime(stderr) : undefined;
  return { wallSeconds, stdoutBytes, ...polled, ...(gnuTime ? { gnuTime } : {}) };
}

/** One line of `kubectl get -w` output: which object version, and when this process read it. */
export interface WatchLine {
  name: string;
  rv: string;
  seenAt: number;
}

export interface KubectlWatch {
  readonly lines: WatchLine[];
  /** Resolves once kubectl has printed `name` at `rv`: its watch is running. */
  seen(name: string, rv: string, timeoutMs: number): Promise<void>;
  /** utime + stime so far, from /proc. */
  cpuSeconds(): number;
  rssMiB(): number;
  peakRssMiB(): number;
  stop(): Promise<void>;
}

/**
 * `kubectl get -w --watch-only` printing name and resourceVersion per event; each line is
 * stamped with `now()` as it arrives, so the lag includes kubectl's decode and print.
 */
export function startKubectlWatch(kubectl: string, args: string[], now: () => number): KubectlWatch {
  const child = spawn(kubectl, [...args, '--watch-only', '-o', 'jsonpath={.metadata.name} {.metadata.resourceVersion}{"\\n"}'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: WatchLine[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const at = now();
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      const [name = '', rv = ''] = line.trim().split(' ');
      if (name) lines.push({ name, rv, seenAt: at });
    }
    for (const w of [...waiters]) w();
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const pid = child.pid ?? -1;
  return {
    lines,
    seen: async (name, rv, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!lines.some((l) => l.name === name && l.rv === rv)) {
        if (child.exitCode !== null) throw new Error(`kubectl watch exited: ${stderr.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`kubectl watch did not show ${name}@${rv} within ${timeoutMs} ms: ${stderr.slice(-2000)}`);
        await new Promise<void>((resolve) => {
          const done = () => {
            waiters.delete(done);
            clearTimeout(t);
            resolve();
          };
          const t = setTimeout(done, 200);
          waiters.add(done);
        });
      }
    },
    cpuSeconds: () => procCpuSeconds(pid) ?? NaN,
    rssMiB: () => procStatusKiB(pid, 'VmRSS') / 1024,
    peakRssMiB: () => procStatusKiB(pid, 'VmHWM') / 1024,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
