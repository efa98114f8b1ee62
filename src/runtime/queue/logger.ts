/**
 * The logging surface the runtime needs: a structural subset of pino, so a pino
 * logger can be passed as is without the runtime depending on pino.
 */
export interface Logger {
  error(objOrMsg: unknown, msg?: string): void;
  warn(objOrMsg: unknown, msg?: string): void;
  info(objOrMsg: unknown, msg?: string): void;
  debug(objOrMsg: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => {};

/** Discards everything; the default when no logger is given. */
export const noopLogger: Logger = Object.freeze({
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  child: (): Logger => noopLogger,
});
