// Posts events to the notification controller in Flux's event format (fluxcd/pkg apis/event
// Event). Fire-and-forget: a slow or failing endpoint never delays or fails a reconcile; it
// only leaves a log line.
import { request } from 'undici';

/** corev1.ObjectReference as Flux puts it in `involvedObject`. */
export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export type Severity = 'info' | 'error';

/** The JSON body notification-controller's event endpoint accepts. */
export interface FluxEvent {
  involvedObject: ObjectReference;
  severity: Severity;
  /** metav1.Time: RFC 3339, whole seconds. */
  timestamp: string;
  message: string;
  reason: string;
  metadata?: Record<string, string>;
  reportingController: string;
  reportingInstance?: string;
}

/** The slice of a logger the events package writes to (pino's Logger fits). */
export interface EventLogger {
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export const silentLogger: EventLogger = { error: () => undefined, debug: () => undefined };

export interface ForwarderOptions {
  /** The events endpoint, e.g. http://notification-controller.flux-system.svc.cluster.local./ */
  url: string;
  /** Whole request deadline. Flux's client uses 5 s. */
  timeoutMs?: number;
  logger?: EventLogger;
}

export class NotificationForwarder {
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #log: EventLogger;
  readonly #inflight = new Set<Promise<void>>();

  constructor(opts: ForwarderOptions) {
    this.#url = new URL(opts.url).toString();
    this.#timeoutMs = opts.timeoutMs ?? 5_000;
    this.#log = opts.logger ?? silentLogger;
  }

  /** Starts the POST and returns at once; failures are logged, never thrown. */
  forward(event: FluxEvent): void {
    const p = this.#post(event).finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  /** Resolves when every POST started so far has finished (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }

  async #post(event: FluxEvent): Promise<void> {
    const ref = event.involvedObject;
    try {
      const res = await request(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await res.body.dump();
      // 429 and 202 mean the notification controller is rate limiting or already has it: not failures.
      if (res.statusCode >= 400 && res.statusCode !== 429) {
        this.#log.error({ kind: ref.kind, name: ref.name, namespace: ref.namespace, status: res.statusCode }, 'unable to forward event');
      }
    } catch (err) {
      this.#log.error({ kind: ref.kind, name: ref.name, namespace: ref.namespace, err }, 'unable to forward event');
    }
  }
}
