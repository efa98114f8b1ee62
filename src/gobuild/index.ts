export { checkGo, ensureGoBinary, MIN_GO } from './build.ts';
export type { GoBinarySpec } from './build.ts';
export { GoBuildError } from './errors.ts';
export type { GoBuildErrorReason } from './errors.ts';
