import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClusterError } from './errors.ts';

const run = promisify(execFile);

/** Kubernetes release the binary is built from; stamped so /version reports it. */
export const KUBERNETES_VERSION = 'v1.36.3';
const MIN_GO: readonly [number, number] = [1, 26];
/** No DWARF at compile time either: the binary is stripped at link time anyway (-s -w). */
const GO_BUILD_FLAGS = ['-v', '-trimpath', '-gcflags=all=-dwarf=false'];

export interface BuildOptions {
  moduleDir: string;
  home: string;
  /** Called with short progress lines while a build runs (a cold build takes minutes). */
  onProgress?: (line: string) => void;
  /** The go command to use (default: `go` from PATH). */
  goBinary?: string;
  /** Extra environment for `go build` (a benchmark points GOCACHE/GOMODCACHE at empty dirs). */
  goEnv?: Record<string, string>;
}

/**
 * Returns the path of the control-plane binary, building it when its Go sources, go.sum or the
 * Go toolchain changed. Builds land in a temp file and are renamed, so a killed build never
 * leaves a half-written binary in the cache.
 */
export async function ensureClusterBinary(opts: BuildOptions): Promise<string> {
  const go = opts.goBinary ?? 'go';
  const goVersion = await checkGo(go);
  const key = await sourceKey(opts.moduleDir, goVersion);
  const binDir = join(opts.home, 'bin');
  const target = join(binDir, `eddy-cluster-${key}`);
  if (await exists(target)) return target;

  await mkdir(binDir, { recursive: true });
  await mkdir(join(opts.home, 'logs'), { recursive: true });
  const logPath = join(opts.home, 'logs', `build-${key}.log`);
  const tmp = `${target}.tmp-${process.pid}`;
  opts.onProgress?.(`building the control plane (Kubernetes ${KUBERNETES_VERSION}); a cold build takes about 5 minutes, log ${logPath}`);
  await goBuild(opts.moduleDir, tmp, logPath, opts);
  await rename(tmp, target);
  await pruneOldBinaries(binDir, target);
  return target;
}

async function checkGo(go: string): Promise<string> {
  let out: string;
  try {
    out = (await run(go, ['env', 'GOVERSION'])).stdout.trim();
  } catch (cause) {
    throw new ClusterError('GoMissing', 'Go is not installed or not on PATH; install Go 1.26 or newer', { cause });
  }
  const m = /^go(\d+)\.(\d+)/.exec(out);
  const [maj, min] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (maj < MIN_GO[0] || (maj === MIN_GO[0] && min < MIN_GO[1])) {
    throw new ClusterError('GoTooOld', `Go ${out} is too old: Kubernetes 1.36 needs Go ${MIN_GO.join('.')} or newer`);
  }
  return out;
}

/** A hash of everything that changes the binary: Go files, go.mod, go.sum, toolchain. */
async function sourceKey(moduleDir: string, goVersion: string): Promise<string> {
  const h = createHash('sha256').update(goVersion).update('\0').update(KUBERNETES_VERSION).update('\0').update(GO_BUILD_FLAGS.join(' ')).update(ldflags());
  const names = (await readdir(moduleDir)).filter((n) => n.endsWith('.go') || n === 'go.mod' || n === 'go.sum').sort();
  for (const n of names) {
    h.update('\0').update(n).update('\0').update(await readFile(join(moduleDir, n)));
  }
  return h.digest('hex').slice(0, 16);
}

function ldflags(): string {
  const v = KUBERNETES_VERSION;
  const [, major, minor] = /^v(\d+)\.(\d+)/.exec(v) ?? [];
  const pkg = 'k8s.io/component-base/version';
  return [
    '-s -w',
    `-X ${pkg}.gitVersion=${v}`,
    `-X ${pkg}.gitMajor=${major ?? ''}`,
    `-X ${pkg}.gitMinor=${minor ?? ''}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(' ');
}

async function goBuild(moduleDir: string, out: string, logPath: string, opts: BuildOptions): Promise<void> {
  const onProgress = opts.onProgress;
  const log = createWriteStream(logPath);
  const started = Date.now();
  let packages = 0;
  const child = spawn(opts.goBinary ?? 'go', ['build', ...GO_BUILD_FLAGS, '-ldflags', ldflags(), '-o', out, '.'], {
    cwd: moduleDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.goEnv },
  });
  // `go build -v` prints one line per package it compiles: that count is the progress.
  child.stderr.on('data', (chunk: Buffer) => {
    packages += chunk.toString().split('\n').filter((l) => l.trim() !== '').length;
    log.write(chunk);
  });
  child.stdout.pipe(log, { end: false });
  const timer = setInterval(() => {
    onProgress?.(`  … ${packages} packages compiled (${Math.round((Date.now() - started) / 1000)} s)`);
  }, 15_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) {
      await rm(out, { force: true });
      throw new ClusterError('BuildFailed', `building the control plane failed (go build exit ${code})`, { logPath });
    }
    onProgress?.(`built the control plane in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    clearInterval(timer);
    await new Promise<void>((r) => log.end(r));
  }
}

async function pruneOldBinaries(binDir: string, keep: string): Promise<void> {
  for (const n of await readdir(binDir)) {
    const p = join(binDir, n);
    if (n.startsWith('eddy-cluster-') && p !== keep && !n.includes('.tmp-')) await rm(p, { force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
