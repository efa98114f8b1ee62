// Every benchmark states the machine it ran on.
import { cpus, totalmem, release } from 'node:os';
import { execFileSync } from 'node:child_process';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  go: string;
}

export function machine(): Machine {
  let go = 'unknown';
  try {
    go = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  } catch {
    /* reported as unknown */
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    go,
  };
}
