// The whole test suite: one local control plane for the run, every test file in parallel
// against it (each test in its own namespace), then the control plane is stopped.
//   node scripts/run-tests.ts [file or glob …]
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ensureClusterBinary } from '../src/cluster/binary.ts';
import { ClusterError } from '../src/cluster/errors.ts';
import { ensureEngineBinary } from '../src/engines/index.ts';
import { clusterDown, clusterUp } from '../src/cluster/lifecycle.ts';
import { clusterModuleDir } from '../src/cluster/paths.ts';
import { ensureFluxBinaries } from '../test/tools/flux-binaries.ts';
import { k8sBinaries } from '../test/tools/k8s-binaries.ts';

const repo = resolve(import.meta.dirname, '..');
const home = join(repo, '.eddy', 'test-home');
const name = 'test';
const files = process.argv.length > 2 ? process.argv.slice(2) : ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'];
// Tests mostly wait on servers and the API server, so more files than cores run at once.
const concurrency = process.env['EDDY_TEST_CONCURRENCY'] ?? '6';

const log = (line: string) => process.stderr.write(`run-tests: ${line}\n`);

async function main(): Promise<number> {
  const tools = await k8sBinaries();
  const binary = await ensureClusterBinary({ moduleDir: clusterModuleDir, home, onProgress: log });
  // Built once here so test files running in parallel never build it side by side.
  const engine = await ensureEngineBinary({ home, onProgress: log });
  // Real Flux controllers (interop tests): built only when such tests are in the run, as a cold
  // build takes minutes.
  const flux = files.some((f) => f.includes('interop') || /[*?[]/.test(f)) ? await ensureFluxBinaries({ home, onProgress: log }) : undefined;
  const started = Date.now();
  const st = await clusterUp({ home, name, nodes: 2, binary });
  log(`control plane ${st.version} ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${st.kubeconfig}`);

  const stop = () => void clusterDown(home, name).finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runNodeTests({
      EDDY_TEST_HOME: home,
      EDDY_TEST_CLUSTER: name,
      EDDY_TEST_KUBECONFIG: st.kubeconfig ?? '',
      EDDY_CLUSTER_BINARY: binary,
      EDDY_ENGINE_BINARY: engine,
      ...(flux ? {
        EDDY_FLUX_SOURCE_CONTROLLER: flux.sourceController,
        EDDY_FLUX_KUSTOMIZE_CONTROLLER: flux.kustomizeController,
        EDDY_FLUX_CRD_DIRS: flux.crdDirs.join(':'),
      } : {}),
      PATH: `${join(tools.kubectl, '..')}:${process.env['PATH'] ?? ''}`,
    });
  } finally {
    await clusterDown(home, name);
    log('control plane stopped');
  }
}

function runNodeTests(env: Record<string, string>): Promise<number> {
  const args = ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files];
  const child = spawn(process.execPath, args, { cwd: repo, stdio: 'inherit', env: { ...process.env, ...env } });
  return new Promise((resolveCode, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolveCode(code ?? (signal ? 1 : 0)));
  });
}

process.exitCode = await main().catch((err: unknown) => {
  const logPath = err instanceof ClusterError && err.logPath ? ` (log: ${err.logPath})` : '';
  log(`${err instanceof Error ? err.message : String(err)}${logPath}`);
  return 1;
});
