import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// V8 flags for a long-running controller process. A controller allocates in short bursts
// (decode, build, apply) and keeps little; V8's default young generation grows to tens of MiB
// under such bursts. Capping the semi-space at 4 MiB measured 351 → 228 MiB peak RSS for 100
// Kustomizations at the same speed (bench/kustomizations.ts, N=100). The old generation then
// fills with short-lived objects promoted early; growing its limit by 50 % of the live size
// (V8's default factor is up to 4×) keeps the heap near what is live: at 1,000 Kustomizations
// the V8 heap peaked at 97 MiB with it, 171–187 MiB without (docs/benchmarks.md). Used by every place that starts `eddy run` (bin/eddy.mjs's
// shebang, `eddy up`, the benchmarks).
export const CONTROLLER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=50'];

// glibc gives each thread that allocates its own malloc arena (up to 8 per core), and freed
// memory stays resident in each; Node's threads (libuv pool: zlib, fs, crypto; V8 workers) make
// a controller's native heap fragment. Two arenas measured 251 → 220 MiB for the Node process
// at the peak of 1,000 Kustomizations (V8 heap the same). glibc also raises its mmap and trim
// thresholds as large blocks are freed (up to 32 MiB), after which freed memory is kept; fixed
// at 64 KiB, blocks that size or larger go back to the system when freed: the Node process at
// the peak of 1,000 Kustomizations measured 197 → 183 MiB (V8 heap 88 → 98 MiB total), CPU the
// same. Set where eddy starts controllers.
export const CONTROLLER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '65536' };

const EDDY_BIN = fileURLToPath(new URL('../../bin/eddy.mjs', import.meta.url));

/** `eddy run <args>` in a process of its own, with the controller flags and environment above. */
export function spawnEddyRun(args: readonly string[], opts: SpawnOptions = {}, extraNodeFlags: readonly string[] = []): ChildProcess {
  return spawn(process.execPath, [...CONTROLLER_NODE_FLAGS, ...extraNodeFlags, EDDY_BIN, 'run', ...args], { ...opts, env: { ...(opts.env ?? process.env), ...CONTROLLER_ENV } });
}
