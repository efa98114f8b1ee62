// RSS and CPU of a child process, sampled from /proc while a phase runs.
import { readFile } from 'node:fs/promises';
import { processMemory } from '../memory.ts';

export interface Usage {
  cpuSeconds: number;
  peakRssMiB: number;
  endRssMiB: number;
  /** At the sample with the highest total: the Node process alone, its children (engines), and the heap of the last /metrics scrape before it. */
  atPeak: { nodeRssMiB: number; childrenRssMiB: number; heap?: HeapSample };
}

/** The Node process's heap as its own /metrics reports it (prom-client's default metrics). */
export interface HeapSample {
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

async function heapSample(metricsUrl: string): Promise<HeapSample | undefined> {
  const text = await fetch(metricsUrl).then((r) => r.text(), () => '');
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  const used = value('nodejs_heap_size_used_bytes');
  return Number.isNaN(used) ? undefined : { heapUsedMiB: used, heapTotalMiB: value('nodejs_heap_size_total_bytes'), externalMiB: value('nodejs_external_memory_bytes') };
}

export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 Hz).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The process and its descendants (eddy and its engine processes). */
export async function processTree(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const out = [pid];
  for (const c of children.split(' ').filter(Boolean).map(Number)) out.push(...(await processTree(c)));
  return out;
}

/** Summed RSS of the trees, and of their roots alone (the Node processes; the rest are engines). */
async function treeRss(pids: readonly number[]): Promise<{ total: number; node: number }> {
  let total = 0;
  let node = 0;
  for (const p of (await Promise.all(pids.map(processTree))).flat()) {
    const rss = await processMemory(p).then((m) => m.rssMiB, () => 0);
    total += rss;
    if (pids.includes(p)) node += rss;
  }
  return { total, node };
}

async function treeCpu(pids: readonly number[]): Promise<number> {
  let sum = 0;
  for (const p of (await Promise.all(pids.map(processTree))).flat()) sum += await cpuSeconds(p).catch(() => 0);
  return sum;
}

/**
 * Starts sampling the process tree (eddy plus its engine processes: everything eddy runs; or
 * several trees, e.g. Flux's two controllers); stop() returns the CPU used and the peak of the
 * summed RSS since the start.
 */
export async function sampleUsage(pidOrPids: number | readonly number[], metricsUrl?: string, everyMs = 250): Promise<{ stop: () => Promise<Usage> }> {
  const pid = typeof pidOrPids === 'number' ? [pidOrPids] : pidOrPids;
  const cpu0 = await treeCpu(pid);
  // The heap comes from /metrics every 5 s, as a Prometheus would scrape it. Scraping at each
  // new RSS peak (as this did before) rendered ~18,000 histogram lines whenever memory grew, and
  // that rendering raised the very peak being measured.
  let heap: HeapSample | undefined;
  const scrape = async () => { if (metricsUrl) heap = await heapSample(metricsUrl); };
  await scrape();
  let peak = { total: 0, node: 0, heap: undefined as HeapSample | undefined };
  const sample = async () => {
    const rss = await treeRss(pid);
    if (rss.total > peak.total) peak = { ...rss, heap };
  };
  await sample();
  const timer = setInterval(() => void sample().catch(() => undefined), everyMs);
  const scraper = setInterval(() => void scrape().catch(() => undefined), 5_000);
  return {
    stop: async () => {
      clearInterval(timer);
      clearInterval(scraper);
      await sample();
      const end = (await treeRss(pid)).total;
      const atPeak = { nodeRssMiB: peak.node, childrenRssMiB: peak.total - peak.node, ...(peak.heap ? { heap: peak.heap } : {}) };
      return { cpuSeconds: (await treeCpu(pid)) - cpu0, peakRssMiB: peak.total, endRssMiB: end, atPeak };
    },
  };
}

/** Busy CPU seconds of the whole machine so far (all cores; /proc/stat, 100 Hz ticks). */
export async function machineBusySeconds(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** CPU seconds each named process tree used while `run` ran, and the whole machine's busy time. */
export async function cpuOfOthers<T>(named: Record<string, number>, run: () => Promise<T>): Promise<{ result: T; cpu: Record<string, number>; machineBusySeconds: number }> {
  // Each process alone: the supervisor's children are listed under their own names.
  const before = await Promise.all(Object.values(named).map((pid) => cpuSeconds(pid).catch(() => 0)));
  const busy0 = await machineBusySeconds();
  const result = await run();
  const busy = (await machineBusySeconds()) - busy0;
  const after = await Promise.all(Object.values(named).map((pid) => cpuSeconds(pid).catch(() => 0)));
  const cpu = Object.fromEntries(Object.keys(named).map((name, i) => [name, (after[i] ?? 0) - (before[i] ?? 0)]));
  return { result, cpu, machineBusySeconds: busy };
}
