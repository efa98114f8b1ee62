// Real Flux controllers for interop tests and benchmarks: source-controller and
// kustomize-controller built from the Go module proxy and cached in <home>/bin.
//
// `go install module@version` refuses both modules because their go.mod replaces the nested
// `…/api` module with `./api`, and a module zip never holds a nested module. So: download the
// module, copy it to a writable directory, download each `./<dir>` replacement at the version
// the go.mod requires and put it there, then `go build` the main package at the module root.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { checkGo, ensureGoBinary, GoBuildError } from '../../src/gobuild/index.ts';
import { CommandError, run } from './exec.ts';

export interface FluxComponent {
  /** `source-controller`, `kustomize-controller`. */
  name: string;
  module: string;
  version: string;
}

export const FLUX_SOURCE_CONTROLLER: FluxComponent = { name: 'source-controller', module: 'github.com/fluxcd/source-controller', version: 'v1.9.1' };
export const FLUX_KUSTOMIZE_CONTROLLER: FluxComponent = { name: 'kustomize-controller', module: 'github.com/fluxcd/kustomize-controller', version: 'v1.9.4' };

export interface FluxBinaries {
  sourceController: string;
  kustomizeController: string;
  /** The modules' `config/crd/bases` directories (Flux's own CRDs). */
  crdDirs: string[];
}

export interface FluxBinariesOptions {
  /** Binaries land in <home>/bin, build logs in <home>/logs, module copies in <home>/flux-src. */
  home: string;
  onProgress?: ((line: string) => void) | undefined;
  /** The go command to use (default: `go` from PATH). */
  goBinary?: string | undefined;
}

/** Builds (once per version) and returns the Flux binaries; one at a time, as the machine is small. */
export async function ensureFluxBinaries(opts: FluxBinariesOptions): Promise<FluxBinaries> {
  const source = await ensureFluxBinary(FLUX_SOURCE_CONTROLLER, opts);
  const kustomize = await ensureFluxBinary(FLUX_KUSTOMIZE_CONTROLLER, opts);
  return {
    sourceController: source.binary,
    kustomizeController: kustomize.binary,
    crdDirs: [source.crdDir, kustomize.crdDir],
  };
}

/** The binary of one component and its CRD directory. */
export async function ensureFluxBinary(c: FluxComponent, opts: FluxBinariesOptions): Promise<{ binary: string; crdDir: string }> {
  const go = opts.goBinary ?? 'go';
  await checkGo(go, `Flux ${c.name}`);
  const moduleDir = await writableModule(c, opts.home, go);
  const binary = await ensureGoBinary({
    moduleDir,
    home: opts.home,
    name: `flux-${c.name}-${c.version}`,
    label: `Flux ${c.name} ${c.version}`,
    // -v: one line per compiled package, which ensureGoBinary reports as progress.
    buildFlags: ['-trimpath', '-buildvcs=false', '-v'],
    ldflags: '-s -w',
    keyParts: [`${c.module}@${c.version}`],
    coldBuildHint: 'a cold build takes several minutes on 2 cores',
    onProgress: opts.onProgress,
    goBinary: go,
    // Flux's images are built with CGO off; GOWORK off so no go.work above .eddy/ interferes.
    goEnv: { CGO_ENABLED: '0', GOWORK: 'off', GOFLAGS: '-mod=readonly' },
  });
  return { binary, crdDir: path.join(moduleDir, 'config', 'crd', 'bases') };
}

/** <home>/flux-src/<name>@<version>: a writable copy of the module with its ./ replacements in place. */
async function writableModule(c: FluxComponent, home: string, go: string): Promise<string> {
  const dest = path.join(home, 'flux-src', `${c.name}@${c.version}`);
  if (await exists(path.join(dest, '.complete'))) return dest;
  const src = await downloadModule(go, c.module, c.version);
  const gomod = await fs.readFile(path.join(src, 'go.mod'), 'utf8');
  // Stage privately and rename, so a parallel caller never sees a half-made copy.
  const staging = `${dest}.staging-${randomBytes(4).toString('hex')}`;
  try {
    await copyWritable(src, staging);
    for (const r of localReplacements(gomod)) {
      const version = requiredVersion(gomod, r.module);
      if (!version) throw new GoBuildError('BuildFailed', `${c.module}@${c.version}: go.mod replaces ${r.module} with ${r.dir} but requires no version of it`);
      await copyWritable(await downloadModule(go, r.module, version), path.join(staging, r.dir));
    }
    await fs.writeFile(path.join(staging, '.complete'), `${c.module}@${c.version}\n`);
    await fs.rename(staging, dest).catch(async (err: unknown) => {
      // Another process finished first: its copy is as good as ours.
      if (!(await exists(path.join(dest, '.complete')))) throw err;
    });
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  return dest;
}

async function downloadModule(go: string, module: string, version: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run(go, ['mod', 'download', '-json', `${module}@${version}`], { timeoutMs: 300_000, env: { GOWORK: 'off' } }));
  } catch (cause) {
    // -json reports the module's error on stdout even when the command fails.
    stdout = cause instanceof CommandError ? cause.stdout : '';
    if (!stdout) throw new GoBuildError('BuildFailed', `go mod download ${module}@${version} failed`, { cause });
  }
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new GoBuildError('BuildFailed', `go mod download ${module}@${version}: ${info.Error ?? 'no directory reported'}`);
  return info.Dir;
}

/** `replace <module> => ./<dir>` lines (single-line and block form). */
export function localReplacements(gomod: string): { module: string; dir: string }[] {
  const out: { module: string; dir: string }[] = [];
  const re = /^\s*(?:replace\s+)?(\S+)(?:\s+\S+)?\s+=>\s+(\.\.?\/\S*)\s*$/gm;
  for (const m of gomod.matchAll(re)) {
    const [, module, dir] = m;
    if (module && dir && module !== 'replace') out.push({ module, dir });
  }
  return out;
}

/** The version of `module` in a require directive, or undefined. */
export function requiredVersion(gomod: string, module: string): string | undefined {
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)\\s*(?://.*)?$`, 'm').exec(gomod);
  return m?.[1];
}

/** Copies a module cache directory (read-only files) into dest with owner-writable modes. */
async function copyWritable(src: string, dest: string): Promise<void> {
  await fs.mkdir(dest, { recursive: true, mode: 0o755 });
  for (const e of await fs.readdir(src, { withFileTypes: true })) {
    const from = path.join(src, e.name);
    const to = path.join(dest, e.name);
    if (e.isDirectory()) await copyWritable(from, to);
    else if (e.isFile()) {
      await fs.copyFile(from, to);
      await fs.chmod(to, 0o644);
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}
