/**
 * A signal that aborts after `ms` (or with `parent`), with its timer cleared by `clear()`.
 * `AbortSignal.timeout` keeps its timer, and so the signal, for the full term even after the
 * work is done: one per reconcile was ~3,000 live timers and signals at 30 reconciles a second
 * with a 1 minute timeout.
 */
export function deadline(ms: number, parent?: AbortSignal): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  timer.unref();
  const signal = parent ? AbortSignal.any([parent, controller.signal]) : controller.signal;
  return { signal, clear: () => clearTimeout(timer) };
}
