import { fileURLToPath } from 'node:url';
import { ensureGoBinary } from '../gobuild/index.ts';

/** The Go module of the engine, shipped inside this package. */
export const engineModuleDir = fileURLToPath(new URL('../../engines/', import.meta.url));

export interface EngineBinaryOptions {
  /** The binary lands in <home>/bin, its build log in <home>/logs. */
  home: string;
  onProgress?: (line: string) => void;
  /** The go command to use (default: `go` from PATH). */
  goBinary?: string;
  /** Another copy of the engine module (tests). */
  moduleDir?: string;
}

/**
 * Returns the path of the eddy-engine binary, building it when its Go sources, go.sum or the Go
 * toolchain changed. Throws GoBuildError (GoMissing, GoTooOld, BuildFailed).
 */
export function ensureEngineBinary(opts: EngineBinaryOptions): Promise<string> {
  return ensureGoBinary({
    moduleDir: opts.moduleDir ?? engineModuleDir,
    home: opts.home,
    name: 'eddy-engine',
    label: 'the rendering engine',
    buildFlags: ['-trimpath'],
    ldflags: '-s -w',
    coldBuildHint: 'a cold build takes about a minute',
    onProgress: opts.onProgress,
    goBinary: opts.goBinary,
  });
}
