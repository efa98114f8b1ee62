// "Reconciling" written mid-reconcile only when it is worth a write: a reconcile that finishes
// within the delay costs one status patch (the final one); a slow one (a clone, a long health
// check) shows its progress after the delay. Measured: at 1,000 objects the controller's own
// QPS budget, not the work, bounded the time to Ready, and this write was a quarter of it.
export const PROGRESS_DELAY_MS = 1_000;

export class DelayedProgress {
  private readonly timer: NodeJS.Timeout;
  private pending: Promise<void> | undefined;

  constructor(write: () => Promise<unknown>, delayMs = PROGRESS_DELAY_MS) {
    this.timer = setTimeout(() => {
      // Best effort: the final patch writes the outcome anyway.
      this.pending = write().then(() => undefined, () => undefined);
    }, delayMs);
    this.timer.unref();
  }

  /** Cancels the write if it has not started, or waits for it: call before the final patch. */
  async settle(): Promise<void> {
    clearTimeout(this.timer);
    await this.pending;
  }
}
