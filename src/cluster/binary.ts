import { ensureGoBinary, GoBuildError } from '../gobuild/index.ts';
import { ClusterError } from './errors.ts';

/** Kubernetes release the binary is built from; stamped so /version reports it. */
export const KUBERNETES_VERSION = 'v1.36.3';
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
 * Go toolchain changed (see src/gobuild).
 */
export async function ensureClusterBinary(opts: BuildOptions): Promise<string> {
  try {
    return await ensureGoBinary({
      moduleDir: opts.moduleDir,
      home: opts.home,
      name: 'eddy-cluster',
      label: `the control plane (Kubernetes ${KUBERNETES_VERSION})`,
      buildFlags: GO_BUILD_FLAGS,
      ldflags: ldflags(),
      keyParts: [KUBERNETES_VERSION],
      coldBuildHint: 'a cold build takes about 5 minutes',
      onProgress: opts.onProgress,
      goBinary: opts.goBinary,
      goEnv: opts.goEnv,
    });
  } catch (err) {
    if (err instanceof GoBuildError) throw new ClusterError(err.reason, err.message, { logPath: err.logPath, cause: err });
    throw err;
  }
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
