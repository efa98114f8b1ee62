// Benchmark of the source controller on Flux's benchmark shape: N GitRepositories and N
// OCIRepositories pointing at loopback servers, reconciled by `eddy run` in its own process.
//   node bench/sources.ts [--count 500] [--smoke] [--interval 1m] [--steady-seconds 75]
// Baseline in the same run: the same fetches done directly with the same clients and the same
// concurrency (git checkout + OCI pull, no Kubernetes, no packaging).
import type { ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureClusterBinary } from '../src/cluster/binary.ts';
import { clusterDown, clusterUp } from '../src/cluster/lifecycle.ts';
import { clusterModuleDir } from '../src/cluster/paths.ts';
import { applyCRDs } from '../src/cli/install.ts';
import { KubeClient } from '../src/kube/index.ts';
import { checkout } from '../src/sources/git/index.ts';
import { Registry as OciRegistryClient, pullArtifact } from '../src/sources/oci/index.ts';
import { startGitHttpServer, type GitHttpServer } from '../test/servers/git-http.ts';
import { startOciRegistry, type OciRegistry } from '../test/servers/oci-registry.ts';
import { commitFiles } from '../test/tools/git-repo.ts';
import { freePort } from '../test/tools/ports.ts';
import { pushArtifact } from '../test/tools/oci-push.ts';
import { spawnEddyRun } from '../src/cli/node-flags.ts';
import { machine } from './machine.ts';
// What `npm run up` runs: the controllers compiled to lib/ (built here if src/ changed).
import '../scripts/build-lib.mjs';
import { processMemory } from './memory.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '500' },
    smoke: { type: 'boolean', default: false },
    interval: { type: 'string', default: '1m' },
    'steady-seconds': { type: 'string', default: '75' },
    concurrent: { type: 'string', default: '4' },
  },
});
const N = values.smoke ? 10 : Number(values.count);
const STEADY_S = values.smoke ? 10 : Number(values['steady-seconds']);
const CONCURRENT = Number(values.concurrent);
const repo = resolve(import.meta.dirname, '..');
const log = (l: string) => process.stderr.write(`${l}\n`);
const V1 = 'source.toolkit.fluxcd.io/v1';
const MANIFEST = { 'deploy.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: "1"\n' };

async function parallel(count: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < count; i = next++) await fn(i);
  }));
}

async function countRegistryRequests(logFile: string): Promise<number> {
  return (await readFile(logFile, 'utf8')).split('\n').filter((l) => /"(GET|HEAD) \/v2\/app-/.test(l)).length;
}

/** The same fetches done directly with eddy's clients, same concurrency, no Kubernetes. */
async function baseline(git: GitHttpServer, registry: OciRegistry, scratch: string): Promise<{ gitDirect: number; ociDirect: number }> {
  const direct = await mkdtemp(join(scratch, 'direct-'));
  const t0 = performance.now();
  await parallel(N, CONCURRENT, async (i) => {
    await checkout({ url: git.repoUrl(`app-${i}`), ref: { branch: 'main' }, dir: join(direct, `git-${i}`) });
  });
  const gitDirect = (performance.now() - t0) / 1000;
  const oci = new OciRegistryClient({ host: registry.host, insecure: true, timeoutMs: 30_000 });
  const t1 = performance.now();
  await parallel(N, CONCURRENT, async (i) => {
    await pullArtifact({ registry: oci, url: `oci://${registry.host}/app-${i}`, ref: { tag: 'latest' }, dest: join(direct, `oci-${i}.tgz`), maxBytes: 1 << 20 });
  });
  const ociDirect = (performance.now() - t1) / 1000;
  await oci.close();
  await rm(direct, { recursive: true, force: true });

  return { gitDirect, ociDirect };
}

/** Seconds from `t0` until every GitRepository and OCIRepository in the namespace is Ready. */
async function allReady(client: KubeClient, t0: number): Promise<number> {
  const readyCount = async (kind: string) => (await client.listAll({ apiVersion: V1, kind }, { namespace: 'bench' })).items
    .filter((o) => ((o['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).length;
  for (;;) {
    const [g, o] = await Promise.all([readyCount('GitRepository'), readyCount('OCIRepository')]);
    if (g === N && o === N) {
      return (performance.now() - t0) / 1000;
    }
    if ((performance.now() - t0) / 1000 > 1800) throw new Error(`not all Ready after 30 min: ${g} + ${o} of ${N} + ${N}`);
    await sleep(500);
  }
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'eddy-bench-sources-'));
  const home = join(scratch, 'home');
  const binary = await ensureClusterBinary({ moduleDir: clusterModuleDir, home: join(repo, '.eddy', 'test-home'), onProgress: log });
  const st = await clusterUp({ home, name: 'bench-sources', nodes: 1, binary });
  const kubeconfig = st.kubeconfig ?? '';
  const git = await startGitHttpServer();
  const registry = await startOciRegistry();
  const client = KubeClient.fromKubeconfig({ kubeconfig, qps: 500, burst: 1000 });
  let child: ChildProcess | undefined;
  try {
    await applyCRDs(client, { timeoutMs: 60_000 });
    // N bare repositories: one committed, the rest copies (creating each by hand is slow and not measured).
    const first = await git.createRepo('app-0');
    await commitFiles(first, { branch: 'main', files: MANIFEST });
    await parallel(N - 1, 16, async (i) => cp(join(git.reposDir, 'app-0.git'), join(git.reposDir, `app-${i + 1}.git`), { recursive: true }));
    await parallel(N, 16, async (i) => {
      await pushArtifact({ registryUrl: registry.url, repository: `app-${i}`, tag: 'latest', files: MANIFEST });
    });

    const { gitDirect, ociDirect } = await baseline(git, registry, scratch);
    // eddy run as an operator starts it, in its own process.
    const health = await freePort();
    child = spawnEddyRun(['--kubeconfig', kubeconfig, '--components', 'source-controller',
      '--concurrent', String(CONCURRENT), '--storage-addr', '127.0.0.1:0', '--storage-path', join(scratch, 'storage'),
      '--health-addr', `127.0.0.1:${health}`, '--metrics-addr', `127.0.0.1:${health}`, '--log-level', 'error'], { stdio: ['ignore', 'ignore', 'inherit'] });
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${health}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      await sleep(100);
    }
    const pid = child.pid ?? 0;
    const idle = await processMemory(pid);
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    const t2 = performance.now();
    let peakRss = 0;
    const sampler = setInterval(() => void processMemory(pid).then((m) => (peakRss = Math.max(peakRss, m.rssMiB)), () => undefined), 250);
    await parallel(N, 32, async (i) => {
      await client.create({ apiVersion: V1, kind: 'GitRepository', metadata: { name: `app-${i}`, namespace: 'bench' }, spec: { url: git.repoUrl(`app-${i}`), interval: values.interval, ref: { branch: 'main' } } });
      await client.create({ apiVersion: V1, kind: 'OCIRepository', metadata: { name: `app-${i}`, namespace: 'bench' }, spec: { url: `oci://${registry.host}/app-${i}`, interval: values.interval, insecure: true, ref: { tag: 'latest' } } });
    });
    const readyAt = await allReady(client, t2);
    const cpuAfterReady = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Steady state: nothing changes; count what the controller asks of the servers.
    const gitBefore = git.requests.length;
    const ociBefore = await countRegistryRequests(registry.logFile);
    const ticks = (s: string) => { const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
    await sleep(STEADY_S * 1000);
    const steadyCpu = ticks(await readFile(`/proc/${pid}/stat`, 'utf8')) - ticks(cpuAfterReady);
    const gitSteady = git.requests.length - gitBefore;
    const ociSteady = (await countRegistryRequests(registry.logFile)) - ociBefore;
    clearInterval(sampler);
    const end = await processMemory(pid);

    const result = {
      benchmark: 'sources', date: new Date().toISOString(), machine: machine(), count: N, concurrent: CONCURRENT, interval: values.interval,
      loadavg: (await readFile('/proc/loadavg', 'utf8')).trim(),
      baseline: { gitCheckoutSeconds: gitDirect, ociPullSeconds: ociDirect, totalSeconds: gitDirect + ociDirect },
      eddy: { allReadySeconds: readyAt, idleRssMiB: idle.rssMiB, peakRssMiB: peakRss, endRssMiB: end.rssMiB, endPssMiB: end.pssMiB },
      steady: { seconds: STEADY_S, gitRequests: gitSteady, ociRequests: ociSteady, cpuSeconds: steadyCpu },
    };
    const f = (x: number) => x.toFixed(1);
    console.log(`machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, node ${result.machine.node}; load ${result.loadavg}`);
    console.log(`\n### ${N} GitRepositories + ${N} OCIRepositories, --concurrent ${CONCURRENT}, interval ${values.interval}\n`);
    console.log('| measure | value |\n|---|---|');
    console.log(`| baseline: the same git checkouts + OCI pulls done directly (${CONCURRENT} at a time) | ${f(gitDirect)} s + ${f(ociDirect)} s = ${f(gitDirect + ociDirect)} s |`);
    console.log(`| eddy: objects created → all ${2 * N} Ready | ${f(readyAt)} s (${f(readyAt / (gitDirect + ociDirect))}× the baseline) |`);
    console.log(`| eddy process RSS: idle / peak / end (PSS at end) | ${f(idle.rssMiB)} / ${f(peakRss)} / ${f(end.rssMiB)} MiB (${f(end.pssMiB)}) |`);
    console.log(`| steady state over ${STEADY_S} s with nothing changing: git requests / registry requests / CPU | ${gitSteady} / ${ociSteady} / ${f(steadyCpu)} s |`);
    console.log(`| per object per interval (${values.interval}) | git ${(gitSteady / N / (STEADY_S / 60)).toFixed(2)} req, OCI ${(ociSteady / N / (STEADY_S / 60)).toFixed(2)} req |`);
    const out = join(repo, 'bench', 'results', `sources-${result.date.replace(/[:.]/g, '-')}.json`);
    await writeFile(out, JSON.stringify(result, null, 2));
    console.log(`wrote ${out}`);
  } finally {
    child?.kill('SIGTERM');
    await client.close();
    await git.stop();
    await registry.stop();
    await clusterDown(home, 'bench-sources');
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
