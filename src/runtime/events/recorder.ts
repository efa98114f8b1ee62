// Writes events.k8s.io/v1 Events about reconciled objects, the way client-go's recorder does
// (repeats become a series on one Event; a per-object token bucket stops floods), carries
// Flux's metadata as `<group>/<key>` annotations, and optionally forwards each event to the
// notification controller. Recording never throws: events are best effort by design.
import { format } from 'node:util';
import type { KubeObject } from '../../kube/types.ts';
import { NotificationForwarder, silentLogger } from './forwarder.ts';
import type { EventLogger, FluxEvent, ObjectReference } from './forwarder.ts';
import { defaultSpamFilter, TokenBucketFilter } from './spam-filter.ts';
import type { TokenBucketOptions } from './spam-filter.ts';

/** What the recorder needs from a Kubernetes client, for events.k8s.io/v1 Events. */
export interface EventSink {
  create(event: KubeObject): Promise<KubeObject>;
  patch(namespace: string, name: string, mergePatch: unknown): Promise<KubeObject>;
}

/** Flux's Trace is stored as a Normal Event and never forwarded. */
export type EventType = 'Normal' | 'Warning' | 'Trace';

export interface RecordInput {
  type: EventType;
  reason: string;
  /** The human message (Event `note`, Flux event `message`). */
  note: string;
  /** What was done; defaults to the recorder's `defaultAction`. */
  action?: string;
  /** Flux metadata such as `revision`; bare keys get the object's API group as prefix. */
  metadata?: Record<string, string>;
  related?: ObjectReference;
}

export interface EventRecorderOptions {
  sink: EventSink;
  /** e.g. `source-controller`. */
  reportingController: string;
  /** e.g. the pod name. */
  reportingInstance: string;
  clock?: () => Date;
  /** Repeats within this window join the existing Event's series. Default 6 min (client-go). */
  dedupeWindowMs?: number;
  /** Token bucket per object; `false` disables it. Default burst 25, one per 5 min. */
  spamFilter?: TokenBucketOptions | false;
  /** Forward events to the notification controller. */
  forward?: { url: string; timeoutMs?: number };
  defaultAction?: string;
  logger?: EventLogger;
  /** Series entries kept for de-duplication. Default 4096. */
  maxCacheEntries?: number;
}

/** Object annotations with this prefix travel with every event (Flux RFC-0008). */
export const eventMetadataAnnotationPrefix = 'event.toolkit.fluxcd.io/';

const noteLimit = 1024;
const fieldLimit = 128;

interface SeriesEntry {
  namespace: string;
  /** The Event written for this series, once created. */
  name: string | undefined;
  /** Occurrence number at which that Event was created. */
  createdAt: number;
  /** Occurrences recorded so far, minus one. */
  occurrences: number;
  lastObserved: number;
  /** Writes for one series run in order. */
  chain: Promise<void>;
}

/** metav1.MicroTime: RFC 3339 with six fractional digits. */
export function formatMicroTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

export function referenceOf(obj: KubeObject): ObjectReference {
  const { name = '', namespace, uid, resourceVersion } = obj.metadata;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name,
    ...(namespace ? { namespace } : {}),
    ...(uid ? { uid } : {}),
    ...(resourceVersion ? { resourceVersion } : {}),
  };
}

/** `revision` → `source.toolkit.fluxcd.io/revision`; keys with a `/` and core-group objects keep theirs. */
export function eventAnnotations(obj: KubeObject, metadata: Record<string, string> = {}): Record<string, string> {
  const group = groupOf(obj.apiVersion);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
    if (k.startsWith(eventMetadataAnnotationPrefix)) out[k] = v;
  }
  for (const [k, v] of Object.entries(metadata)) {
    out[k.includes('/') || group === '' ? k : `${group}/${k}`] = v;
  }
  return out;
}

export class EventRecorder {
  readonly #opts: EventRecorderOptions;
  readonly #clock: () => Date;
  readonly #window: number;
  readonly #log: EventLogger;
  readonly #spam: TokenBucketFilter | undefined;
  readonly #forwarder: NotificationForwarder | undefined;
  readonly #series = new Map<string, SeriesEntry>();
  #seq = 0n;

  constructor(opts: EventRecorderOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? (() => new Date());
    this.#window = opts.dedupeWindowMs ?? 6 * 60_000;
    this.#log = opts.logger ?? silentLogger;
    this.#spam = opts.spamFilter === false ? undefined : new TokenBucketFilter(opts.spamFilter ?? defaultSpamFilter);
    this.#forwarder = opts.forward ? new NotificationForwarder({ ...opts.forward, logger: this.#log }) : undefined;
  }

  /** Flux's AnnotatedEventf: metadata, type, reason and a printf-style message. */
  annotatedEventf(obj: KubeObject, metadata: Record<string, string> | undefined, type: EventType, reason: string, messageFormat: string, ...args: unknown[]): Promise<void> {
    const note = args.length === 0 ? messageFormat : format(messageFormat, ...args);
    return this.record(obj, { type, reason, note, ...(metadata ? { metadata } : {}) });
  }

  eventf(obj: KubeObject, type: EventType, reason: string, messageFormat: string, ...args: unknown[]): Promise<void> {
    return this.annotatedEventf(obj, undefined, type, reason, messageFormat, ...args);
  }

  /**
   * Records one event; resolves once it is written to the sink (or dropped). Never rejects.
   * Forwarding is not awaited; see `idle()`.
   */
  record(obj: KubeObject, input: RecordInput): Promise<void> {
    const now = this.#clock();
    const regarding = referenceOf(obj);
    const annotations = eventAnnotations(obj, input.metadata);
    // Forwarded before the spam filter, as Flux does: notification-controller rate-limits on its own.
    if (this.#forwarder && input.type !== 'Trace') this.#forward(regarding, annotations, input, now);

    const objectKey = `${regarding.apiVersion}/${regarding.kind}/${regarding.namespace ?? ''}/${regarding.name}/${regarding.uid ?? ''}`;
    if (this.#spam && !this.#spam.allow(objectKey, now.getTime())) {
      this.#log.debug({ kind: regarding.kind, name: regarding.name, namespace: regarding.namespace, reason: input.reason }, 'event dropped by spam filter');
      return Promise.resolve();
    }
    const action = truncate(input.action ?? this.#opts.defaultAction ?? 'Reconcile', fieldLimit);
    const type = input.type === 'Warning' ? 'Warning' : 'Normal';
    const key = JSON.stringify([objectKey, type, input.reason, input.note, action, input.related ?? null]);
    const event = this.#buildEvent(regarding, annotations, { ...input, action, type }, now);
    const entry = this.#entryFor(key, regarding.namespace ?? 'default', now.getTime());
    const occurrence = entry.occurrences;
    entry.chain = entry.chain.then(() => this.#write(entry, occurrence, event, now)).catch((err: unknown) => {
      this.#log.error({ kind: regarding.kind, name: regarding.name, namespace: regarding.namespace, reason: input.reason, err }, 'unable to write event');
    });
    return entry.chain;
  }

  /**
   * Records one event without waiting for its write, as client-go's broadcaster does: a
   * reconcile never waits on the recorder's rate limit (events are written in order per series).
   */
  emit(obj: KubeObject, input: RecordInput): void {
    void this.record(obj, input);
  }

  /** Resolves when every forwarded event so far has been posted (or failed). */
  async idle(): Promise<void> {
    await Promise.all([...this.#series.values()].map((e) => e.chain));
    await this.#forwarder?.idle();
  }

  /** The series for `key`, continued when its last occurrence is inside the window. */
  #entryFor(key: string, namespace: string, nowMs: number): SeriesEntry {
    let entry = this.#series.get(key);
    // Re-insert so Map order is least-recently-used first.
    this.#series.delete(key);
    if (entry && nowMs - entry.lastObserved <= this.#window) {
      entry.occurrences += 1;
      entry.lastObserved = nowMs;
    } else {
      entry = { namespace, name: undefined, createdAt: 0, occurrences: 0, lastObserved: nowMs, chain: entry?.chain ?? Promise.resolve() };
    }
    this.#series.set(key, entry);
    if (this.#series.size > (this.#opts.maxCacheEntries ?? 4096)) {
      const oldest = this.#series.keys().next();
      if (!oldest.done) this.#series.delete(oldest.value);
    }
    return entry;
  }

  /** Writes occurrence number `occurrence` (0-based) of a series: create, or patch the series. */
  async #write(entry: SeriesEntry, occurrence: number, event: KubeObject, now: Date): Promise<void> {
    if (entry.name !== undefined && occurrence > entry.createdAt) {
      const patch = { series: { count: occurrence - entry.createdAt + 1, lastObservedTime: formatMicroTime(now) } };
      try {
        await this.#opts.sink.patch(entry.namespace, entry.name, patch);
        return;
      } catch (err) {
        // The Event may have expired (TTL) or been deleted: start a new one.
        this.#log.debug({ name: entry.name, namespace: entry.namespace, err }, 'event series patch failed; creating a new event');
      }
    }
    entry.name = undefined;
    await this.#opts.sink.create(event);
    entry.name = event.metadata.name;
    entry.createdAt = occurrence;
  }

  #buildEvent(regarding: ObjectReference, annotations: Record<string, string>, input: RecordInput & { action: string; type: 'Normal' | 'Warning' }, now: Date): KubeObject {
    // client-go names Events <object>.<unix nanos in hex>; a sequence number keeps two events in
    // the same millisecond apart.
    const nanos = BigInt(now.getTime()) * 1_000_000n + (this.#seq++ % 1_000_000n);
    return {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: `${regarding.name}.${nanos.toString(16)}`,
        namespace: regarding.namespace ?? 'default',
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      eventTime: formatMicroTime(now),
      reportingController: this.#opts.reportingController,
      reportingInstance: this.#opts.reportingInstance,
      action: input.action,
      reason: truncate(input.reason, fieldLimit),
      regarding,
      ...(input.related ? { related: input.related } : {}),
      note: truncate(input.note, noteLimit),
      type: input.type,
    };
  }

  #forward(regarding: ObjectReference, annotations: Record<string, string>, input: RecordInput, now: Date): void {
    // notification-controller routes by namespace; Flux skips objects without one.
    if (!regarding.namespace) return;
    const event: FluxEvent = {
      involvedObject: regarding,
      severity: input.type === 'Warning' ? 'error' : 'info',
      timestamp: formatTime(now),
      message: input.note,
      reason: input.reason,
      ...(Object.keys(annotations).length > 0 ? { metadata: annotations } : {}),
      reportingController: this.#opts.reportingController,
      reportingInstance: this.#opts.reportingInstance,
    };
    this.#forwarder?.forward(event);
  }
}
