import { objectKey } from '../../../kube/types.ts';
import type {
  KubeObject,
  ListerWatcher,
  ListOptions,
  ObjectList,
  Status,
  WatchEvent,
  WatchEventType,
  WatchOptions,
} from '../../../kube/types.ts';

/** An error as a client would throw it for a non-2xx response: it carries the Status. */
export class FakeStatusError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message ?? `status ${status.code ?? '?'}`);
    this.name = 'FakeStatusError';
    this.status = status;
  }
}

export function goneStatus(message = 'too old resource version'): Status {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message };
}

interface LoggedEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

type Control = { kind: 'cut' } | { kind: 'break'; err: unknown } | { kind: 'expire' } | { kind: 'error'; status: Status };

interface Watcher {
  pos: number;
  namespace: string | undefined;
  bookmarks: boolean;
  bookmarkPending: boolean;
  control: Control | undefined;
  wake: () => void;
}

interface Snapshot {
  rv: number;
  items: KubeObject[];
}

const clone = <T>(v: T): T => structuredClone(v);

/**
 * An API server for one kind over an in-memory map: every write gets the next integer
 * resourceVersion and goes to an event log that watches replay; compaction drops history
 * (old resourceVersions and continue tokens then get 410), and faults are injected on demand.
 */
export class FakeApiServer implements ListerWatcher<KubeObject> {
  rv = 0;
  /** The resourceVersion up to which history has been compacted away. */
  compactedRv = 0;
  readonly listCalls: Omit<ListOptions, 'signal'>[] = [];
  readonly watchCalls: Omit<WatchOptions, 'signal'>[] = [];
  /** Thrown, in order, by the next list calls. */
  readonly listFailures: unknown[] = [];
  /** Thrown, in order, by the next watch streams when first read. */
  readonly watchFailures: unknown[] = [];
  /** Called at the start of every list call (tests use it to compact mid-pagination). */
  onList: ((opts: ListOptions) => void) | undefined;
  stalled = false;

  readonly #objects = new Map<string, KubeObject>();
  #log: LoggedEvent[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly #snapshots = new Map<number, Snapshot>();
  #uid = 0;

  // ---- writes ------------------------------------------------------------------------------

  create(name: string, namespace = 'default', fields: Partial<KubeObject> = {}): KubeObject {
    const key = `${namespace}/${name}`;
    if (this.#objects.has(key)) throw new Error(`fake: ${key} exists`);
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      ...clone(fields),
      metadata: {
        name,
        namespace,
        uid: `uid-${++this.#uid}`,
        managedFields: [{ manager: 'test', operation: 'Apply' }],
        ...clone(fields.metadata ?? {}),
      },
    };
    return this.#write('ADDED', obj);
  }

  update(key: string, mutate: (obj: KubeObject) => void): KubeObject {
    const cur = this.#objects.get(key);
    if (!cur) throw new Error(`fake: ${key} not found`);
    const next = clone(cur);
    mutate(next);
    return this.#write('MODIFIED', next);
  }

  delete(key: string): KubeObject {
    const cur = this.#objects.get(key);
    if (!cur) throw new Error(`fake: ${key} not found`);
    return this.#write('DELETED', clone(cur));
  }

  #write(type: LoggedEvent['type'], obj: KubeObject): KubeObject {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    const key = objectKey(obj);
    if (type === 'DELETED') this.#objects.delete(key);
    else this.#objects.set(key, obj);
    this.#log.push({ rv: this.rv, type, object: obj });
    this.#wakeAll();
    return clone(obj);
  }

  /** The objects as stored now, by key. */
  state(): Map<string, KubeObject> {
    return new Map([...this.#objects].map(([k, v]) => [k, clone(v)]));
  }

  has(key: string): boolean {
    return this.#objects.has(key);
  }

  keys(): string[] {
    return [...this.#objects.keys()];
  }

  // ---- faults ------------------------------------------------------------------------------

  /** Drops all history up to now: older resourceVersions and continue tokens become 410. */
  compact(): void {
    this.#log = [];
    this.compactedRv = this.rv;
  }

  /** Lets stalled watch streams deliver again. */
  resume(): void {
    this.stalled = false;
    this.#wakeAll();
  }

  activeWatches(): number {
    return this.#watchers.size;
  }

  /** Sends a bookmark to every watch that asked for them (once it has caught up). */
  bookmark(): void {
    for (const w of this.#watchers) if (w.bookmarks) w.bookmarkPending = true;
    this.#wakeAll();
  }

  /** Ends every watch stream cleanly, as a server does at timeoutSeconds. */
  cutWatches(): void {
    this.#controlAll({ kind: 'cut' });
  }

  /** Makes every watch stream throw, as a reset connection does. */
  breakWatches(err: unknown = new Error('read ECONNRESET')): void {
    this.#controlAll({ kind: 'break', err });
  }

  /** Sends ERROR 410 on every watch stream and ends it. */
  expireWatches(): void {
    this.#controlAll({ kind: 'expire' });
  }

  /** Sends an ERROR event with this Status on every watch stream and ends it. */
  errorWatches(status: Status): void {
    this.#controlAll({ kind: 'error', status });
  }

  #controlAll(control: Control): void {
    for (const w of this.#watchers) w.control ??= control;
    this.#wakeAll();
  }

  #wakeAll(): void {
    for (const w of this.#watchers) w.wake();
  }

  // ---- ListerWatcher -----------------------------------------------------------------------

  async list(opts: ListOptions): Promise<ObjectList<KubeObject>> {
    this.listCalls.push(withoutSignal(opts));
    await Promise.resolve();
    this.onList?.(opts);
    if (this.listFailures.length > 0) throw this.listFailures.shift();
    let snap: Snapshot;
    let offset = 0;
    if (opts.continue) {
      const [id, off] = opts.continue.split(':').map(Number);
      const found = this.#snapshots.get(id ?? -1);
      if (!found || found.rv < this.compactedRv) {
        throw new FakeStatusError(goneStatus('The provided continue parameter is too old'));
      }
      snap = found;
      offset = off ?? 0;
    } else {
      const items = [...this.#objects.values()].filter((o) => !opts.namespace || o.metadata.namespace === opts.namespace);
      items.sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
      snap = { rv: this.rv, items };
    }
    const end = opts.limit ? offset + opts.limit : snap.items.length;
    const list: ObjectList<KubeObject> = {
      apiVersion: 'v1',
      kind: 'ConfigMapList',
      metadata: { resourceVersion: String(snap.rv) },
      items: clone(snap.items.slice(offset, end)),
    };
    if (end < snap.items.length) {
      const id = this.#snapshots.size + 1;
      this.#snapshots.set(id, snap);
      list.metadata.continue = `${id}:${end}`;
    }
    return list;
  }

  watch(opts: WatchOptions): AsyncIterable<WatchEvent<KubeObject>> {
    this.watchCalls.push(withoutSignal(opts));
    return this.#stream(opts);
  }

  async *#stream(opts: WatchOptions): AsyncGenerator<WatchEvent<KubeObject>> {
    const w: Watcher = {
      pos: opts.resourceVersion ? Number(opts.resourceVersion) : this.rv,
      namespace: opts.namespace,
      bookmarks: opts.allowWatchBookmarks === true,
      bookmarkPending: false,
      control: undefined,
      wake: () => undefined,
    };
    this.#watchers.add(w);
    const onAbort = () => w.wake();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.resolve();
      if (this.watchFailures.length > 0) throw this.watchFailures.shift();
      for (;;) {
        if (opts.signal?.aborted) return;
        const step = this.#nextFor(w);
        if (step === 'end') return;
        if (step) {
          yield step;
          if (step.type === 'ERROR') return;
          continue;
        }
        await new Promise<void>((resolve) => (w.wake = resolve));
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.#watchers.delete(w);
    }
  }

  /** What a stream sends next: an event, 'end', or undefined to wait. */
  #nextFor(w: Watcher): WatchEvent<KubeObject> | 'end' | undefined {
    const control = w.control;
    if (control) {
      w.control = undefined;
      if (control.kind === 'cut') return 'end';
      if (control.kind === 'break') throw control.err;
      return errorEvent(control.kind === 'expire' ? goneStatus() : control.status);
    }
    if (this.stalled) return undefined;
    // History older than the compaction point is gone: like etcd, tell the watcher.
    if (w.pos < this.compactedRv) return errorEvent(goneStatus());
    for (;;) {
      const ev = this.#log[w.pos - this.compactedRv];
      if (!ev) break;
      w.pos = ev.rv;
      if (w.namespace && ev.object.metadata.namespace !== w.namespace) continue;
      return { type: ev.type, object: clone(ev.object) };
    }
    if (w.bookmarkPending) {
      w.bookmarkPending = false;
      w.pos = this.rv;
      return { type: 'BOOKMARK', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: String(this.rv) } } };
    }
    return undefined;
  }
}

function withoutSignal<O extends { signal?: AbortSignal }>(opts: O): Omit<O, 'signal'> {
  const copy = { ...opts };
  delete copy.signal;
  return copy;
}

function errorEvent(status: Status): WatchEvent<KubeObject> {
  const type: WatchEventType = 'ERROR';
  return { type, object: status as unknown as KubeObject };
}

/** mulberry32: a tiny seeded PRNG, so a failing property run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
