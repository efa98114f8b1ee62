// Benchmark of the local control plane: cold build, warm start to Ready, memory at rest.
//   node bench/cluster-start.ts [--starts N] [--rest-seconds S] [--cold-build]
// Prints a table and writes bench/results/cluster-start-<timestamp>.json.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureClusterBinary } from '../src/cluster/binary.ts';
import { clusterDown, clusterUp } from '../src/cluster/lifecycle.ts';
import { clusterModuleDir } from '../src/cluster/paths.ts';
import { machine } from './machine.ts';
import { processMemory, type ProcessMemory } from './memory.ts';

const { values } = parseArgs({
  options: {
    starts: { type: 'string', default: '3' },
    'rest-seconds': { type: 'string', default: '30' },
    'cold-build': { type: 'boolean', default: false },
  },
});
const repo = resolve(import.meta.dirname, '..');
const log = (l: string) => process.stderr.write(`${l}\n`);

async function coldBuild(): Promise<number> {
  // Empty build and module caches: what a fresh machine pays, module downloads included.
  const scratch = await mkdtemp(join(tmpdir(), 'eddy-cold-'));
  try {
    const t = performance.now();
    await ensureClusterBinary({
      moduleDir: clusterModuleDir,
      home: join(scratch, 'home'),
      onProgress: log,
      goEnv: { GOCACHE: join(scratch, 'gocache'), GOMODCACHE: join(scratch, 'gomodcache'), GOFLAGS: '-modcacherw' },
    });
    return (performance.now() - t) / 1000;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

interface StartSample {
  wallSeconds: number;
  supervisorReadySeconds: number;
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'eddy-bench-'));
  const coldBuildSeconds = values['cold-build'] ? await coldBuild() : undefined;
  const binary = await ensureClusterBinary({ moduleDir: clusterModuleDir, home: join(repo, '.eddy', 'test-home'), onProgress: log });
  const starts: StartSample[] = [];
  let memory: Record<string, ProcessMemory> = {};
  const n = Number(values.starts);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const st = await clusterUp({ home, name: 'bench', nodes: 2, binary });
    starts.push({ wallSeconds: (performance.now() - t) / 1000, supervisorReadySeconds: st.readySeconds ?? NaN });
    if (i === n - 1) {
      await sleep(Number(values['rest-seconds']) * 1000);
      memory = { supervisor: await processMemory(st.pid) };
      for (const [name, pid] of Object.entries(st.children)) memory[name] = await processMemory(pid);
    }
    await clusterDown(home, 'bench');
  }
  await rm(home, { recursive: true, force: true });

  const total = Object.values(memory).reduce((a, m) => ({ rss: a.rss + m.rssMiB, pss: a.pss + m.pssMiB }), { rss: 0, pss: 0 });
  const walls = starts.map((s) => s.wallSeconds).sort((a, b) => a - b);
  const result = {
    benchmark: 'cluster-start',
    date: new Date().toISOString(),
    machine: machine(),
    coldBuildSeconds,
    starts,
    warmStartMedianSeconds: walls[Math.floor(walls.length / 2)],
    memoryAtRestMiB: memory,
    totalRssMiB: total.rss,
    totalPssMiB: total.pss,
    targets: { coldBuildSeconds: 300, warmStartSeconds: 5, memoryMiB: 450 },
  };
  const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(1));
  console.log(`machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, ${result.machine.go}, node ${result.machine.node}`);
  console.log('| measure | value | target |\n|---|---|---|');
  console.log(`| cold build (empty Go caches) | ${f(coldBuildSeconds)} s | ≤ 300 s |`);
  console.log(`| warm start to Ready, median of ${n} (wall, CLI) | ${f(result.warmStartMedianSeconds)} s | ≤ 5 s |`);
  console.log(`| memory at rest after ${values['rest-seconds']} s: PSS total | ${f(total.pss)} MiB | ≤ 450 MiB |`);
  console.log(`| memory at rest: RSS summed (counts the shared binary once per process) | ${f(total.rss)} MiB | |`);
  for (const [name, m] of Object.entries(memory)) console.log(`| ${name} PSS / RSS | ${f(m.pssMiB)} / ${f(m.rssMiB)} MiB | |`);
  const out = join(repo, 'bench', 'results', `cluster-start-${result.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(out, JSON.stringify(result, null, 2));
  console.log(`wrote ${out}`);
}

await main();
