// Benchmark of the rendering engine: kustomize builds through the EnginePool (warm long-lived
// Go processes) against spawning `kubectl kustomize` per build, on the podinfo overlay and the
// largest corpus case. Also checks that both print the same bytes.
//   node bench/engines.ts [--builds 300] [--kubectl-builds 40] [--smoke]
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EnginePool, ensureEngineBinary } from '../src/engines/index.ts';
import { run } from '../test/tools/exec.ts';
import { k8sBinaries } from '../test/tools/k8s-binaries.ts';
import { machine } from './machine.ts';

const { values } = parseArgs({
  options: {
    builds: { type: 'string', default: '300' },
    'kubectl-builds': { type: 'string', default: '40' },
    smoke: { type: 'boolean', default: false },
  },
});
const BUILDS = values.smoke ? 10 : Number(values.builds);
const KUBECTL_BUILDS = values.smoke ? 3 : Number(values['kubectl-builds']);
const repo = resolve(import.meta.dirname, '..');
const log = (l: string) => process.stderr.write(`${l}\n`);
const WORKLOADS = [
  { name: 'podinfo overlay', root: new URL('../examples/podinfo', import.meta.url).pathname, maxBuilds: Infinity },
  // About 0.4 s a build: fewer samples keep the run short.
  { name: 'corpus/large (40 Deployments + Services + generators)', root: join(repo, 'test', 'engines', 'corpus', 'large'), maxBuilds: 40 },
];

interface Stats { medianMs: number; p95Ms: number; n: number }

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { medianMs: at(0.5), p95Ms: at(0.95), n: s.length };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function measureWorkload(binary: string, kubectl: string, root: string, builds: number) {
  // Cold: a new pool, so the first build includes starting the engine process.
  const pool = new EnginePool({ binary, size: 1 });
  let ours = '';
  const coldMs = await timed(async () => { ours = await pool.kustomizeBuild({ root, path: '.' }); });
  const warm: number[] = [];
  for (let i = 0; i < builds; i++) warm.push(await timed(() => pool.kustomizeBuild({ root, path: '.' })));
  const rssMiB = (await pool.rss()).map((b) => b / 1048576);
  await pool.close();

  let theirs = '';
  const spawned: number[] = [];
  for (let i = 0; i < KUBECTL_BUILDS; i++) spawned.push(await timed(async () => { theirs = (await run(kubectl, ['kustomize', root])).stdout; }));
  return { identical: ours === theirs, outputBytes: ours.length, engine: { coldMs, warm: stats(warm), rssMiB }, kubectl: stats(spawned) };
}

async function main(): Promise<void> {
  const binary = await ensureEngineBinary({ home: join(repo, '.eddy', 'test-home'), onProgress: log });
  const { kubectl } = await k8sBinaries();
  const results = [];
  for (const w of WORKLOADS) {
    log(`measuring ${w.name}`);
    results.push({ workload: w.name, ...(await measureWorkload(binary, kubectl, w.root, Math.min(BUILDS, w.maxBuilds))) });
  }
  const result = {
    benchmark: 'engines', date: new Date().toISOString(), machine: machine(), builds: BUILDS, kubectlBuilds: KUBECTL_BUILDS,
    loadavg: (await readFile('/proc/loadavg', 'utf8')).trim(),
    results,
  };
  const f = (x: number) => x.toFixed(1);
  console.log(`machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, node ${result.machine.node}, ${result.machine.go}; load ${result.loadavg}`);
  console.log(`\n### kustomize build: EnginePool (1 warm process) vs kubectl kustomize per build (up to ${BUILDS} warm / ${KUBECTL_BUILDS} kubectl builds)\n`);
  console.log('| workload | engine warm median / p95 | engine cold (incl. start) | kubectl kustomize median / p95 | engine RSS | identical output |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.workload} (${(r.outputBytes / 1024).toFixed(0)} KiB) | ${f(r.engine.warm.medianMs)} / ${f(r.engine.warm.p95Ms)} ms | ${f(r.engine.coldMs)} ms | ${f(r.kubectl.medianMs)} / ${f(r.kubectl.p95Ms)} ms | ${r.engine.rssMiB.map(f).join(', ')} MiB | ${r.identical ? 'yes' : 'NO'} |`);
  }
  const out = join(repo, 'bench', 'results', `engines-${result.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(out, JSON.stringify(result, null, 2));
  console.log(`wrote ${out}`);
  if (results.some((r) => !r.identical)) process.exitCode = 1;
}

await main();
