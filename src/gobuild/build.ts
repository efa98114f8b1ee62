// Builds eddy's Go programs (control plane, engine) on demand and caches them in <home>/bin under
// a key of everything that changes the binary, so a second run starts instantly.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GoBuildError } from './errors.ts';

const run = promisify(execFile);

export const MIN_GO: readonly [number, number] = [1, 26];

/** What to build and how; the program-specific parts come from the caller. */
export interface GoBinarySpec {
  /** The Go module's directory (its main package is the module root). */
  moduleDir: string;
  /** Binaries land in <home>/bin, build logs in <home>/logs. */
  home: string;
  /** File name prefix of the cached binary, e.g. `eddy-cluster`. */
  name: string;
  /** Words for progress lines and errors, e.g. `the control plane`. */
  label: string;
  /** Flags for `go build` (before -ldflags). */
  buildFlags: readonly string[];
  ldflags: string;
  /** More inputs of the cache key (e.g. a version stamped into the binary). */
  keyParts?: readonly string[];
  /** Said before a build starts, e.g. how long a cold build takes. */
  coldBuildHint?: string;
  /** Called with short progress lines while a build runs. */
  onProgress?: ((line: string) => void) | undefined;
  /** The go command to use (default: `go` from PATH). */
  goBinary?: string | undefined;
  /** Extra environment for `go build` (a benchmark points GOCACHE/GOMODCACHE at empty dirs). */
  goEnv?: Record<string, string> | undefined;
}

/**
 * Returns the path of the binary, building it when its Go sources, go.mod, go.sum, flags or the
 * Go toolchain changed. Builds land in a temp file and are renamed, so a killed build never
 * leaves a half-written binary in the cache.
 */
export async function ensureGoBinary(spec: GoBinarySpec): Promise<string> {
  const go = spec.goBinary ?? 'go';
  const goVersion = await checkGo(go, spec.label);
  const key = await sourceKey(spec, goVersion);
  const binDir = join(spec.home, 'bin');
  const target = join(binDir, `${spec.name}-${key}`);
  if (await exists(target)) return target;

  await mkdir(binDir, { recursive: true });
  await mkdir(join(spec.home, 'logs'), { recursive: true });
  const logPath = join(spec.home, 'logs', `build-${spec.name}-${key}.log`);
  const tmp = `${target}.tmp-${process.pid}`;
  spec.onProgress?.(`building ${spec.label}${spec.coldBuildHint ? `; ${spec.coldBuildHint}` : ''}, log ${logPath}`);
  await goBuild(spec, tmp, logPath);
  await rename(tmp, target);
  await pruneOldBinaries(binDir, spec.name, target);
  return target;
}

/** The toolchain's version (`go1.26.8`); throws GoBuildError GoMissing or GoTooOld. */
export async function checkGo(go: string, label: string): Promise<string> {
  let out: string;
  try {
    out = (await run(go, ['env', 'GOVERSION'])).stdout.trim();
  } catch (cause) {
    throw new GoBuildError('GoMissing', `Go is not installed or not on PATH; install Go ${MIN_GO.join('.')} or newer (needed to build ${label})`, { cause });
  }
  const m = /^go(\d+)\.(\d+)/.exec(out);
  const [maj, min] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (maj < MIN_GO[0] || (maj === MIN_GO[0] && min < MIN_GO[1])) {
    throw new GoBuildError('GoTooOld', `Go ${out} is too old: building ${label} needs Go ${MIN_GO.join('.')} or newer`);
  }
  return out;
}

/** A hash of everything that changes the binary: Go files, go.mod, go.sum, flags, toolchain. */
async function sourceKey(spec: GoBinarySpec, goVersion: string): Promise<string> {
  // Field order and separators are fixed: changing them would orphan every cached binary (a
  // cold control-plane build takes minutes).
  const h = createHash('sha256').update(goVersion);
  for (const part of spec.keyParts ?? []) h.update('\0').update(part);
  h.update('\0').update(spec.buildFlags.join(' ')).update(spec.ldflags);
  const names = (await readdir(spec.moduleDir)).filter((n) => n.endsWith('.go') || n === 'go.mod' || n === 'go.sum').sort();
  for (const n of names) {
    h.update('\0').update(n).update('\0').update(await readFile(join(spec.moduleDir, n)));
  }
  return h.digest('hex').slice(0, 16);
}

async function goBuild(spec: GoBinarySpec, out: string, logPath: string): Promise<void> {
  const log = createWriteStream(logPath);
  const started = Date.now();
  let packages = 0;
  const child = spawn(spec.goBinary ?? 'go', ['build', ...spec.buildFlags, '-ldflags', spec.ldflags, '-o', out, '.'], {
    cwd: spec.moduleDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...spec.goEnv },
  });
  // `go build -v` prints one line per package it compiles: that count is the progress.
  child.stderr.on('data', (chunk: Buffer) => {
    packages += chunk.toString().split('\n').filter((l) => l.trim() !== '').length;
    log.write(chunk);
  });
  child.stdout.pipe(log, { end: false });
  const timer = setInterval(() => {
    spec.onProgress?.(`  … ${packages} packages compiled (${Math.round((Date.now() - started) / 1000)} s)`);
  }, 15_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) {
      await rm(out, { force: true });
      throw new GoBuildError('BuildFailed', `building ${spec.label} failed (go build exit ${code})`, { logPath });
    }
    spec.onProgress?.(`built ${spec.label} in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    clearInterval(timer);
    await new Promise<void>((r) => log.end(r));
  }
}

async function pruneOldBinaries(binDir: string, name: string, keep: string): Promise<void> {
  for (const n of await readdir(binDir)) {
    const p = join(binDir, n);
    if (n.startsWith(`${name}-`) && p !== keep && !n.includes('.tmp-')) await rm(p, { force: true });
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
