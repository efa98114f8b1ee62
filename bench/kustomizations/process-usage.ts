// RSS and CPU of a child process, sampled from /proc while a phase runs.
import { readFile } from 'node:fs/promises';
import { processMemory } from '../memory.ts';

export interface Usage {
  cpuSeconds: number;
  peakRssMiB: number;
  endRssMiB: number;
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

async function treeRss(pids: readonly number[]): Promise<number> {
  let sum = 0;
  for (const p of (await Promise.all(pids.map(processTree))).flat()) sum += await processMemory(p).then((m) => m.rssMiB, () => 0);
  return sum;
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
export async function sampleUsage(pidOrPids: number | readonly number[], everyMs = 250): Promise<{ stop: () => Promise<Usage> }> {
  const pid = typeof pidOrPids === 'number' ? [pidOrPids] : pidOrPids;
  const cpu0 = await treeCpu(pid);
  let peak = await treeRss(pid);
  const timer = setInterval(() => void treeRss(pid).then((m) => (peak = Math.max(peak, m)), () => undefined), everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      const end = await treeRss(pid);
      return { cpuSeconds: (await treeCpu(pid)) - cpu0, peakRssMiB: Math.max(peak, end), endRssMiB: end };
    },
  };
}
