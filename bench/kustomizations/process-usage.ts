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

/** Starts sampling; stop() returns the CPU used and the RSS peak since the start. */
export async function sampleUsage(pid: number, everyMs = 250): Promise<{ stop: () => Promise<Usage> }> {
  const cpu0 = await cpuSeconds(pid);
  let peak = (await processMemory(pid)).rssMiB;
  const timer = setInterval(() => void processMemory(pid).then((m) => (peak = Math.max(peak, m.rssMiB)), () => undefined), everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      const end = (await processMemory(pid)).rssMiB;
      return { cpuSeconds: (await cpuSeconds(pid)) - cpu0, peakRssMiB: Math.max(peak, end), endRssMiB: end };
    },
  };
}
