/**
 * Why a render failed. BuildFailed carries kustomize's own message; the others say what the
 * pool did to the engine process (Timeout, MemoryLimit: killed and restarted; Crashed: it died).
 */
export type EngineErrorReason = 'BuildFailed' | 'Timeout' | 'Crashed' | 'MemoryLimit' | 'InputTooLarge' | 'RemoteBaseRefused';

const REASONS: ReadonlySet<string> = new Set<EngineErrorReason>(['BuildFailed', 'Timeout', 'Crashed', 'MemoryLimit', 'InputTooLarge', 'RemoteBaseRefused']);

export class EngineError extends Error {
  readonly reason: EngineErrorReason;

  constructor(reason: EngineErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
    this.reason = reason;
  }
}

/** Maps a reason from the wire; an unknown one (e.g. a protocol error) is a failed build. */
export function wireReason(reason: string): EngineErrorReason {
  return REASONS.has(reason) ? (reason as EngineErrorReason) : 'BuildFailed';
}
