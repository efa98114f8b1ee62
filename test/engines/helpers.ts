// Shared setup of the engine tests: the engine binary (built once into the test home and then
// found by its source hash) and `kubectl kustomize` for fidelity checks.
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensureEngineBinary, type InlineTree } from '../../src/engines/index.ts';
import { run } from '../tools/exec.ts';
import { k8sBinaries, REPO_ROOT } from '../tools/k8s-binaries.ts';

export const CORPUS = join(import.meta.dirname, 'corpus');
export const PODINFO = new URL('../../examples/podinfo', import.meta.url).pathname;

export async function engineBinary(): Promise<string> {
  const built = process.env['EDDY_ENGINE_BINARY'];
  if (built) return built;
  const home = process.env['EDDY_TEST_HOME'] ?? join(REPO_ROOT, '.eddy', 'test-home');
  return ensureEngineBinary({ home, onProgress: (line) => process.stderr.write(`engine build: ${line}\n`) });
}

export async function kubectlKustomize(dir: string): Promise<string> {
  const { kubectl } = await k8sBinaries();
  return (await run(kubectl, ['kustomize', dir], { timeoutMs: 60_000 })).stdout;
}

/** Writes files (path → content) below root. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), content);
  }
}

/** A kustomization of `count` ConfigMaps: slow enough to build that a short deadline hits it. */
export function heavyTree(count: number): Record<string, string> {
  const docs = Array.from({ length: count }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  key: value-${i}\n`);
  return {
    'kustomization.yaml': 'resources:\n  - all.yaml\nnamePrefix: heavy-\ncommonLabels:\n  heavy: "true"\n',
    'all.yaml': docs.join('---\n'),
  };
}

/** A directory as an inline tree (what a controller sends after extracting in memory): dirs and regular files. */
export async function inlineTreeOf(root: string): Promise<InlineTree> {
  const dirs: string[] = [];
  const files: { path: string; data: Buffer }[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const child = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(join(root, child));
      if (st.isDirectory()) {
        dirs.push(child);
        await walk(child);
      } else if (st.isFile()) files.push({ path: child, data: await readFile(join(root, child)) });
    }
  };
  await walk('');
  return { dirs, files };
}
