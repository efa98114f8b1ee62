// V8 flags for a long-running controller process. A controller allocates in short bursts
// (decode, build, apply) and keeps little; V8's default young generation grows to tens of MiB
// under such bursts. Capping the semi-space at 4 MiB measured 351 → 228 MiB peak RSS for 100
// Kustomizations at the same speed (bench/kustomizations.ts, N=100). Used by every place that
// starts `eddy run` (bin/eddy.mjs's shebang, `eddy up`, the benchmarks).
export const CONTROLLER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
