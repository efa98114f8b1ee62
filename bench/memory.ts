// RSS counts the shared binary's pages once per process, so for a multi-process control plane
// it over-states memory; PSS (proportional set size) splits shared pages between the processes.
import { readFile } from 'node:fs/promises';

export interface ProcessMemory {
  pid: number;
  rssMiB: number;
  pssMiB: number;
}

export async function processMemory(pid: number): Promise<ProcessMemory> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { pid, rssMiB: kb('Rss') / 1024, pssMiB: kb('Pss') / 1024 };
}
