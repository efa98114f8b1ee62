import type { KubeObject, ListerWatcher, ListOptions, WatchEvent, WatchOptions } from '../../kube/types.ts';
import { Backoff } from './backoff.ts';
import type { BackoffOptions } from './backoff.ts';
import { systemClock } from './clock.ts';
import type { Clock } from './clock.ts';
import { InformerError, asStatus, isExpired, statusCodeOf } from './errors.ts';
import { Store } from './store.ts';
import type { Indexers } from './store.ts';

type LogFn = (fields: Record<string, unknown>, msg: string) => void;

/** The subset of pino the informer uses; a pino logger fits as-is. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => undefined;
const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

export interface EventHandler<T> {
  /** `isInInitialList`: the object came with the first list, or is replayed to a late handler. */
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** `obj` is the last state known: the DELETED event's object, or the cached one after a re-list. */
  onDelete?(obj: T): void;
}

export interface EventHandlerRegistration {
  /** Stops calls to this handler. */
  remove(): void;
  /** True once this handler has been told about every object of the first list. */
  hasSynced(): boolean;
}

export interface SharedInformerOptions<T extends KubeObject> {
  lw: ListerWatcher<T>;
  /** Names the informer in logs. */
  name: string;
  /** Objects per LIST page; 0 lists in one request. Default 500. */
  pageSize?: number;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Applied to every object before it is cached. Default: `stripManagedFields`. */
  transform?: (obj: T) => T;
  indexers?: Indexers<T>;
  /** Each watch asks the server to end it after a random time in [min, 2·min]. Default 300. */
  minWatchTimeoutSeconds?: number;
  /** A watch that brings no event or bookmark for this long is dropped and restarted. Default 5 min. */
  inactivityTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  clock?: Clock;
  /** Uniform in [0, 1); used for jitter and watch timeouts. */
  random?: () => number;
  log?: Logger;
}

/** Counters for metrics and tests. */
export interface InformerStats {
  lists: number;
  listPages: number;
  watches: number;
  events: number;
  bookmarks: number;
  /** Re-lists forced by 410 Gone on a watch. */
  expired: number;
  inactivityRestarts: number;
  failures: number;
}

/** Drops `metadata.managedFields`: large, and no controller reads it from a cache. */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (!('managedFields' in obj.metadata)) return obj;
  const metadata = { ...obj.metadata };
  delete metadata.managedFields;
  return { ...obj, metadata };
}

type Phase = 'list' | 'watch';

type Selectors = Pick<ListOptions, 'namespace' | 'labelSelector' | 'fieldSelector'>;

type WatchOutcome =
  | { kind: 'closed'; events: number; ms: number }
  | { kind: 'expired' }
  | { kind: 'inactive' }
  | { kind: 'stopped' }
  /** `rewatch`: resuming from the last resourceVersion is worth trying; otherwise re-list. */
  | { kind: 'failed'; err: unknown; rewatch: boolean };

const ABANDONED = Symbol('abandoned');

/** A watch that ends this fast having brought nothing is treated as a failure, so it backs off. */
const MIN_HEALTHY_WATCH_MS = 1_000;

/**
 * Lists and watches one kind into a cache and tells handlers what changed, like client-go's
 * reflector and shared informer. A re-list is diffed against the cache, so handlers never see
 * an existing object as new and never miss a delete, however often the watch breaks.
 */
export class SharedInformer<T extends KubeObject> {
  readonly name: string;
  readonly store: Store<T>;
  readonly #lw: ListerWatcher<T>;
  readonly #pageSize: number;
  readonly #selectors: Selectors;
  readonly #transform: (obj: T) => T;
  readonly #minWatchTimeoutSeconds: number;
  readonly #inactivityTimeoutMs: number;
  readonly #backoff: Backoff;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #handlers = new Set<EventHandler<T>>();
  readonly #syncWaiters = new Set<() => void>();
  readonly #stats: InformerStats = {
    lists: 0,
    listPages: 0,
    watches: 0,
    events: 0,
    bookmarks: 0,
    expired: 0,
    inactivityRestarts: 0,
    failures: 0,
  };
  #rv = '';
  /** Events and bookmarks applied since the last list. */
  #progressSinceList = 0;
  #synced = false;
  #started = false;
  #stopped = false;

  constructor(opts: SharedInformerOptions<T>) {
    this.name = opts.name;
    this.#lw = opts.lw;
    this.#pageSize = opts.pageSize ?? 500;
    this.#minWatchTimeoutSeconds = opts.minWatchTimeoutSeconds ?? 300;
    this.#inactivityTimeoutMs = opts.inactivityTimeoutMs ?? 5 * 60_000;
    validate(this.#pageSize, this.#minWatchTimeoutSeconds, this.#inactivityTimeoutMs);
    this.#selectors = selectorsOf(opts);
    this.#transform = opts.transform ?? stripManagedFields;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#backoff = new Backoff(opts.backoff, this.#random);
    this.#log = opts.log ?? silentLogger;
    this.store = new Store<T>(opts.indexers ? { indexers: opts.indexers } : {});
  }

  // ---- reading the cache -------------------------------------------------------------------

  getByKey(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return this.store.list();
  }

  byIndex(indexName: string, value: string): T[] {
    return this.store.byIndex(indexName, value);
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion of the last list, event or bookmark applied ('' before the first list). */
  lastSyncResourceVersion(): string {
    return this.#rv;
  }

  stats(): InformerStats {
    return { ...this.#stats };
  }

  /** Resolves true once synced; false if `signal` aborts or the informer stops first. */
  waitForSync(signal: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (this.#stopped || signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        this.#syncWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve(this.#synced);
      };
      this.#syncWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  // ---- handlers ----------------------------------------------------------------------------

  /** Registers a handler; once synced, it is first told about every cached object as an add. */
  addEventHandler(handler: EventHandler<T>): EventHandlerRegistration {
    // Copy so one handler object registered twice is two registrations.
    const h: EventHandler<T> = { ...handler };
    if (handler.onAdd) h.onAdd = handler.onAdd.bind(handler);
    if (handler.onUpdate) h.onUpdate = handler.onUpdate.bind(handler);
    if (handler.onDelete) h.onDelete = handler.onDelete.bind(handler);
    this.#handlers.add(h);
    if (this.#synced) for (const obj of this.store.list()) this.#call(h, 'onAdd', () => h.onAdd?.(obj, true));
    return {
      remove: () => void this.#handlers.delete(h),
      hasSynced: () => this.#synced,
    };
  }

  #call(h: EventHandler<T>, what: keyof EventHandler<T>, fn: () => unknown): void {
    if (!this.#handlers.has(h)) return;
    try {
      const result = fn();
      // A handler typed as returning void may still be async; its rejection must not go unhandled.
      if (result instanceof Promise) {
        result.catch((err: unknown) => this.#log.error({ informer: this.name, err }, `${what} handler rejected`));
      }
    } catch (err) {
      this.#log.error({ informer: this.name, err }, `${what} handler threw`);
    }
  }

  #notifyAdd(obj: T, initial: boolean): void {
    for (const h of [...this.#handlers]) if (h.onAdd) this.#call(h, 'onAdd', () => h.onAdd?.(obj, initial));
  }

  #notifyUpdate(oldObj: T, newObj: T): void {
    for (const h of [...this.#handlers]) if (h.onUpdate) this.#call(h, 'onUpdate', () => h.onUpdate?.(oldObj, newObj));
  }

  #notifyDelete(obj: T): void {
    for (const h of [...this.#handlers]) if (h.onDelete) this.#call(h, 'onDelete', () => h.onDelete?.(obj));
  }

  // ---- the loop ----------------------------------------------------------------------------

  /** Lists and watches until `signal` aborts; resolves then. Never rejects once started. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new InformerError('AlreadyStarted', `informer ${this.name} was already started`);
    this.#started = true;
    let phase: Phase = 'list';
    try {
      while (!signal.aborted) phase = await this.#step(phase, signal);
    } finally {
      this.#stopped = true;
      for (const wake of [...this.#syncWaiters]) wake();
      this.#log.debug({ informer: this.name }, 'informer stopped');
    }
  }

  async #step(phase: Phase, signal: AbortSignal): Promise<Phase> {
    if (phase === 'list') {
      try {
        await this.#listAndReplace(signal);
        return 'watch';
      } catch (err) {
        if (signal.aborted) return 'list';
        this.#stats.failures++;
        this.#log.warn({ informer: this.name, err }, 'list failed; retrying after backoff');
        await this.#sleepBackoff(signal);
        return 'list';
      }
    }
    const outcome = await this.#watchOnce(signal);
    return this.#afterWatch(outcome, signal);
  }

  async #afterWatch(outcome: WatchOutcome, signal: AbortSignal): Promise<Phase> {
    switch (outcome.kind) {
      case 'stopped':
        return 'watch';
      case 'expired':
        // The server no longer has our resourceVersion: only a fresh list can catch up.
        this.#stats.expired++;
        this.#log.info({ informer: this.name, rv: this.#rv }, 'watch expired (410); re-listing');
        // Expired again before a single event since the last list: the server is in trouble,
        // and re-listing in a tight loop would only add to it.
        if (this.#progressSinceList === 0) await this.#sleepBackoff(signal);
        return 'list';
      case 'inactive':
        this.#stats.inactivityRestarts++;
        this.#log.warn({ informer: this.name, ms: this.#inactivityTimeoutMs }, 'watch inactive; restarting it');
        return 'watch';
      case 'closed':
        if (outcome.events > 0 || outcome.ms >= MIN_HEALTHY_WATCH_MS) return 'watch';
        this.#log.debug({ informer: this.name }, 'watch closed at once; backing off');
        await this.#sleepBackoff(signal);
        return 'watch';
      case 'failed':
        this.#stats.failures++;
        this.#log.warn(
          { informer: this.name, err: outcome.err, rewatch: outcome.rewatch },
          'watch failed; retrying after backoff',
        );
        await this.#sleepBackoff(signal);
        return outcome.rewatch ? 'watch' : 'list';
    }
  }

  async #sleepBackoff(signal: AbortSignal): Promise<void> {
    await this.#clock.sleep(this.#backoff.next(this.#clock.now()), signal);
  }

  // ---- list --------------------------------------------------------------------------------

  /**
   * Lists every page as one consistent snapshot (no resourceVersion: a quorum read, so never
   * older than what we saw), then replaces the cache with it. If a continue token expires the
   * list starts over; if that happens twice, it falls back to one unpaged request, as
   * client-go's pager does, so a busy server cannot starve the informer.
   */
  async #listAndReplace(signal: AbortSignal): Promise<void> {
    this.#stats.lists++;
    for (let attempt = 0; ; attempt++) {
      const limit = attempt < 2 ? this.#pageSize : 0;
      try {
        const { items, rv } = await this.#listPages(limit, signal);
        if (!signal.aborted) this.#replace(items, rv);
        return;
      } catch (err) {
        if (!isExpired(err) || signal.aborted || limit === 0) throw err;
        this.#log.info({ informer: this.name, attempt }, 'continue token expired; restarting the list');
      }
    }
  }

  async #listPages(limit: number, signal: AbortSignal): Promise<{ items: T[]; rv: string }> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv: string;
    do {
      const opts: ListOptions = { ...this.#selectors, signal };
      if (limit > 0) opts.limit = limit;
      if (cont) opts.continue = cont;
      const page = await this.#lw.list(opts);
      this.#stats.listPages++;
      for (const item of page.items) items.push(this.#transform(item));
      rv = page.metadata.resourceVersion;
      cont = page.metadata.continue;
    } while (cont && !signal.aborted);
    return { items, rv };
  }

  #replace(items: T[], rv: string): void {
    const initial = !this.#synced;
    const { added, kept, deleted } = this.store.replace(items);
    this.#rv = rv;
    this.#progressSinceList = 0;
    this.#synced = true;
    for (const obj of deleted) this.#notifyDelete(obj);
    for (const { old, new: obj } of kept) {
      if (old.metadata.uid && obj.metadata.uid && old.metadata.uid !== obj.metadata.uid) {
        // Deleted and recreated under the same name while we were not watching.
        this.#notifyDelete(old);
        this.#notifyAdd(obj, false);
      } else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) {
        this.#notifyUpdate(old, obj);
      }
    }
    for (const obj of added) this.#notifyAdd(obj, initial);
    this.#log.debug({ informer: this.name, rv, objects: items.length }, 'listed');
    for (const wake of [...this.#syncWaiters]) wake();
  }

  // ---- watch -------------------------------------------------------------------------------

  #watchOptions(signal: AbortSignal): WatchOptions {
    const min = this.#minWatchTimeoutSeconds;
    return {
      ...this.#selectors,
      resourceVersion: this.#rv,
      allowWatchBookmarks: true,
      // Spread reconnects so informers started together do not all re-watch at once.
      timeoutSeconds: Math.floor(min + this.#random() * (min + 1)),
      signal,
    };
  }

  /** One watch stream, from the last resourceVersion until it ends, fails or goes quiet. */
  async #watchOnce(outer: AbortSignal): Promise<WatchOutcome> {
    const ctl = new AbortController();
    const stop = () => ctl.abort(outer.reason);
    outer.addEventListener('abort', stop, { once: true });
    const activity = { last: this.#clock.now(), events: 0 };
    const watchdog = this.#watchdog(ctl, activity);
    const startedAt = activity.last;
    let iterator: AsyncIterator<WatchEvent<T>> | undefined;
    try {
      this.#stats.watches++;
      iterator = this.#lw.watch(this.#watchOptions(ctl.signal))[Symbol.asyncIterator]();
      const outcome = await this.#consume(iterator, ctl.signal, activity);
      if (outcome === ABANDONED) return isInactive(ctl.signal.reason) ? { kind: 'inactive' } : { kind: 'stopped' };
      if (outcome !== 'closed') return outcome;
      return { kind: 'closed', events: activity.events, ms: this.#clock.now() - startedAt };
    } catch (err) {
      if (outer.aborted) return { kind: 'stopped' };
      if (isExpired(err)) return { kind: 'expired' };
      // A watch that never delivered may have failed for a reason a list surfaces or fixes, as
      // client-go does; but a throttled (429) one only needs to wait.
      return { kind: 'failed', err, rewatch: activity.events > 0 || statusCodeOf(err) === 429 };
    } finally {
      outer.removeEventListener('abort', stop);
      if (!ctl.signal.aborted) ctl.abort();
      await watchdog;
      closeQuietly(iterator);
    }
  }

  /** Reads events until the stream ends, an event ends the watch, or `signal` aborts. */
  async #consume(
    iterator: AsyncIterator<WatchEvent<T>>,
    signal: AbortSignal,
    activity: { last: number; events: number },
  ): Promise<'closed' | typeof ABANDONED | WatchOutcome> {
    // A stuck stream may ignore the abort signal, so every read races it. The race is set up
    // per read and its listener removed after: one long-lived promise raced on every read
    // would keep every event it ever delivered reachable until the stream ends.
    for (;;) {
      const next = iterator.next();
      let onAbort: (() => void) | undefined;
      const abandoned = new Promise<typeof ABANDONED>((resolve) => {
        if (signal.aborted) return resolve(ABANDONED);
        onAbort = () => resolve(ABANDONED);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      const r = await Promise.race([next, abandoned]);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      if (r === ABANDONED) {
        next.catch(() => undefined);
        return ABANDONED;
      }
      if (r.done) return 'closed';
      activity.last = this.#clock.now();
      activity.events++;
      const ended = this.#apply(r.value);
      if (ended) return ended;
    }
  }

  /** Cancels the watch once no event has come for the inactivity timeout. */
  async #watchdog(ctl: AbortController, activity: { last: number }): Promise<void> {
    try {
      while (!ctl.signal.aborted) {
        const left = activity.last + this.#inactivityTimeoutMs - this.#clock.now();
        if (left <= 0) {
          ctl.abort(new InformerError('WatchInactive', `no watch event in ${this.#inactivityTimeoutMs} ms`));
          return;
        }
        await this.#clock.sleep(left, ctl.signal);
      }
    } catch (err) {
      // A faulty injected clock must not leave the watch unguarded silently.
      this.#log.error({ informer: this.name, err }, 'watchdog failed');
    }
  }

  /** Applies one event to the cache; returns an outcome when the event ends the watch. */
  #apply(ev: WatchEvent<T>): WatchOutcome | undefined {
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED': {
        this.#stats.events++;
        const obj = this.#transform(ev.object);
        const old = this.store.upsert(obj);
        this.#advance(obj);
        if (old) this.#notifyUpdate(old, obj);
        else this.#notifyAdd(obj, false);
        return undefined;
      }
      case 'DELETED': {
        this.#stats.events++;
        const obj = this.#transform(ev.object);
        const old = this.store.delete(this.store.keyOf(obj));
        this.#advance(obj);
        // Nobody was told about an object the cache never held, so nobody is told it went.
        if (old) this.#notifyDelete(obj);
        return undefined;
      }
      case 'BOOKMARK':
        this.#stats.bookmarks++;
        this.#advance(ev.object);
        return undefined;
      case 'ERROR':
        return this.#watchError(ev.object);
      default:
        this.#log.warn({ informer: this.name, type: String(ev.type) }, 'ignoring unknown watch event type');
        return undefined;
    }
  }

  #watchError(obj: unknown): WatchOutcome {
    const status = asStatus(obj);
    if (status?.code === 410) return { kind: 'expired' };
    const msg = status?.message ?? 'watch ERROR event without a Status';
    const err = new InformerError('WatchError', msg, status ? { status } : {});
    return { kind: 'failed', err, rewatch: true };
  }

  #advance(obj: KubeObject): void {
    this.#progressSinceList++;
    const rv = obj.metadata.resourceVersion;
    if (rv) this.#rv = rv;
  }
}

function validate(pageSize: number, minWatchTimeoutSeconds: number, inactivityTimeoutMs: number): void {
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw new InformerError('InvalidOptions', `pageSize must be a whole number ≥ 0, not ${pageSize}`);
  }
  const positive = (n: number) => Number.isFinite(n) && n > 0;
  if (!positive(minWatchTimeoutSeconds) || !positive(inactivityTimeoutMs)) {
    throw new InformerError('InvalidOptions', 'minWatchTimeoutSeconds and inactivityTimeoutMs must be > 0');
  }
}

function selectorsOf(opts: Pick<ListOptions, 'namespace' | 'labelSelector' | 'fieldSelector'>): Selectors {
  const out: Selectors = {};
  if (opts.namespace) out.namespace = opts.namespace;
  if (opts.labelSelector) out.labelSelector = opts.labelSelector;
  if (opts.fieldSelector) out.fieldSelector = opts.fieldSelector;
  return out;
}

/** Tells the watchdog's abort reason from a shutdown. */
function isInactive(reason: unknown): boolean {
  return reason instanceof InformerError && reason.reason === 'WatchInactive';
}

function closeQuietly<T>(iterator: AsyncIterator<T> | undefined): void {
  // Not awaited: a stuck stream's return() may never settle.
  iterator?.return?.().catch(() => undefined);
}
