import { objectKey } from '../../kube/types.ts';
import type { ObjectMeta } from '../../kube/types.ts';
import { InformerError } from './errors.ts';

/** The values an object is filed under in one index (e.g. its owners' names, its labels). */
export type IndexFunc<T> = (obj: T) => string[];

/** Named index functions. */
export type Indexers<T> = Record<string, IndexFunc<T>>;

export type KeyFunc<T> = (obj: T) => string;

export interface StoreOptions<T> {
  indexers?: Indexers<T>;
  /** Defaults to `objectKey` (`namespace/name`). */
  keyFunc?: KeyFunc<T>;
}

/** What `replace` changed, so a caller can tell handlers. */
export interface ReplaceResult<T> {
  added: T[];
  /** Keys present before and after, whether or not the object changed. */
  kept: { old: T; new: T }[];
  /** The last state the store held for each key that vanished. */
  deleted: T[];
}

interface Index {
  fn: IndexFunc<unknown>;
  /** value → keys filed under it */
  byValue: Map<string, Set<string>>;
  /** key → values it was filed under, so removal never re-runs a (maybe impure) index function */
  byKey: Map<string, string[]>;
}

/**
 * An in-memory cache of objects keyed by `namespace/name`, with secondary indexes kept in
 * step on every write. Objects are held by reference and handed out as-is: callers must treat
 * them as read-only.
 */
export class Store<T extends { metadata: ObjectMeta }> {
  readonly #items = new Map<string, T>();
  readonly #indexes = new Map<string, Index>();
  readonly #keyFunc: KeyFunc<T>;

  constructor(opts: StoreOptions<T> = {}) {
    this.#keyFunc = opts.keyFunc ?? objectKey;
    if (opts.indexers) this.addIndexers(opts.indexers);
  }

  keyOf(obj: T): string {
    return this.#keyFunc(obj);
  }

  get size(): number {
    return this.#items.size;
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  /** Adds index functions; existing objects are indexed at once. */
  hasIndex(name: string): boolean {
    return this.#indexes.has(name);
  }

  addIndexers(indexers: Indexers<T>): void {
    for (const name of Object.keys(indexers)) {
      if (this.#indexes.has(name)) throw new InformerError('DuplicateIndex', `index ${name} already exists`);
    }
    for (const [name, fn] of Object.entries(indexers)) {
      const index: Index = { fn: fn as IndexFunc<unknown>, byValue: new Map(), byKey: new Map() };
      for (const [key, obj] of this.#items) fileUnder(index, key, computeValues(name, index, obj));
      this.#indexes.set(name, index);
    }
  }

  /** Adds or replaces the object under its key; returns the state it replaced. */
  upsert(obj: T): T | undefined {
    const key = this.#keyFunc(obj);
    // Index values first: a throwing index function must leave the store untouched.
    const values = this.#valuesFor(obj);
    const old = this.#items.get(key);
    if (old !== undefined) this.#unindex(key);
    this.#items.set(key, obj);
    this.#index(key, values);
    return old;
  }

  /** Removes the object under the key; returns its last state. */
  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (old === undefined) return undefined;
    this.#unindex(key);
    this.#items.delete(key);
    return old;
  }

  /** Makes the store hold exactly `objs` (the last one wins for a repeated key). */
  replace(objs: Iterable<T>): ReplaceResult<T> {
    const next = new Map<string, T>();
    for (const obj of objs) next.set(this.#keyFunc(obj), obj);
    const values = new Map<string, Map<string, string[]>>();
    for (const [key, obj] of next) values.set(key, this.#valuesFor(obj));

    const result: ReplaceResult<T> = { added: [], kept: [], deleted: [] };
    for (const [key, old] of this.#items) if (!next.has(key)) result.deleted.push(old);
    for (const [key, obj] of next) {
      const old = this.#items.get(key);
      if (old === undefined) result.added.push(obj);
      else result.kept.push({ old, new: obj });
    }
    this.#items.clear();
    for (const index of this.#indexes.values()) {
      index.byValue.clear();
      index.byKey.clear();
    }
    for (const [key, obj] of next) {
      this.#items.set(key, obj);
      this.#index(key, values.get(key) ?? new Map<string, string[]>());
    }
    return result;
  }

  /** Objects filed under `value` in the named index. */
  byIndex(indexName: string, value: string): T[] {
    const out: T[] = [];
    for (const key of this.indexKeys(indexName, value)) {
      const obj = this.#items.get(key);
      if (obj !== undefined) out.push(obj);
    }
    return out;
  }

  /** Keys filed under `value` in the named index. */
  indexKeys(indexName: string, value: string): string[] {
    return [...(this.#mustIndex(indexName).byValue.get(value) ?? [])];
  }

  /** Every value that has at least one object in the named index. */
  indexValues(indexName: string): string[] {
    return [...this.#mustIndex(indexName).byValue.keys()];
  }

  #mustIndex(name: string): Index {
    const index = this.#indexes.get(name);
    if (!index) throw new InformerError('UnknownIndex', `no index named ${name}`);
    return index;
  }

  #valuesFor(obj: T): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [name, index] of this.#indexes) out.set(name, computeValues(name, index, obj));
    return out;
  }

  #index(key: string, values: Map<string, string[]>): void {
    for (const [name, index] of this.#indexes) fileUnder(index, key, values.get(name) ?? []);
  }

  #unindex(key: string): void {
    for (const index of this.#indexes.values()) {
      for (const value of index.byKey.get(key) ?? []) {
        const keys = index.byValue.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.byValue.delete(value);
      }
      index.byKey.delete(key);
    }
  }
}

function computeValues(name: string, index: Index, obj: unknown): string[] {
  try {
    return [...new Set(index.fn(obj))];
  } catch (err) {
    throw new InformerError('IndexFuncFailed', `index function ${name} threw`, { cause: err });
  }
}

function fileUnder(index: Index, key: string, values: string[]): void {
  if (values.length === 0) return;
  index.byKey.set(key, values);
  for (const value of values) {
    let keys = index.byValue.get(value);
    if (!keys) index.byValue.set(value, (keys = new Set()));
    keys.add(key);
  }
}
