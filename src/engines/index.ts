export { EnginePool } from './pool.ts';
export type { EngineInputLimits, EnginePoolOptions, InlineTree, KustomizeBuildRequest } from './pool.ts';
export { EngineError } from './errors.ts';
export type { EngineErrorReason } from './errors.ts';
export type { EngineLogEntry, EngineLogger } from './process.ts';
export { ensureEngineBinary, engineModuleDir } from './binary.ts';
export type { EngineBinaryOptions } from './binary.ts';
export { encodeFrame, FrameDecoder, FrameError, MAX_FRAME_BYTES } from './framing.ts';
