export type CelErrorReason = 'CompileFailed' | 'EvaluationFailed';

/** A CEL expression that does not compile, or whose evaluation failed or was not a boolean. */
export class CelError extends Error {
  readonly reason: CelErrorReason;
  /** The expression as the user wrote it (expressions hold no credentials). */
  readonly expression: string;

  constructor(reason: CelErrorReason, expression: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CelError';
    this.reason = reason;
    this.expression = expression;
  }
}
