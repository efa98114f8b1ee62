interface Entry<K> {
  key: K;
  readyAt: number;
  /** Insertion order breaks ties so equal ready times stay FIFO. */
  seq: number;
  index: number;
}

/**
 * Min-heap of keys by ready time, one entry per key. Re-adding a key keeps its
 * earliest ready time (client-go's waitForPriorityQueue + knownEntries).
 */
export class DelayHeap<K> {
  private readonly items: Entry<K>[] = [];
  private readonly byKey = new Map<K, Entry<K>>();
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  /** The earliest ready time, if any. */
  peekReadyAt(): number | undefined {
    return this.items[0]?.readyAt;
  }

  /** Insert `key`, or move it earlier if `readyAt` beats its current time. */
  upsert(key: K, readyAt: number): void {
    const existing = this.byKey.get(key);
    if (existing) {
      if (readyAt < existing.readyAt) {
        existing.readyAt = readyAt;
        this.up(existing.index);
      }
      return;
    }
    const entry: Entry<K> = { key, readyAt, seq: this.seq++, index: this.items.length };
    this.items.push(entry);
    this.byKey.set(key, entry);
    this.up(entry.index);
  }

  /** Remove and return the earliest key if it is ready at `now`. */
  popReady(now: number): K | undefined {
    const head = this.items[0];
    if (!head || head.readyAt > now) return undefined;
    const last = this.items.pop();
    if (last && last !== head) {
      last.index = 0;
      this.items[0] = last;
      this.down(0);
    }
    this.byKey.delete(head.key);
    return head.key;
  }

  /** Drop `key`'s entry; false if it had none. */
  remove(key: K): boolean {
    const entry = this.byKey.get(key);
    if (!entry) return false;
    this.byKey.delete(key);
    const last = this.items.pop();
    if (last && last !== entry) {
      last.index = entry.index;
      this.items[entry.index] = last;
      this.down(entry.index);
      this.up(entry.index);
    }
    return true;
  }

  clear(): void {
    this.items.length = 0;
    this.byKey.clear();
  }

  private less(a: Entry<K>, b: Entry<K>): boolean {
    return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.items[i];
    const b = this.items[j];
    if (!a || !b) return;
    this.items[i] = b;
    this.items[j] = a;
    b.index = i;
    a.index = j;
  }

  private up(i: number): void {
    for (let parent = (i - 1) >> 1; i > 0; i = parent, parent = (i - 1) >> 1) {
      const child = this.items[i];
      const p = this.items[parent];
      if (!child || !p || !this.less(child, p)) return;
      this.swap(i, parent);
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      const li = this.items[l];
      const ri = this.items[r];
      if (li && this.less(li, this.items[min] as Entry<K>)) min = l;
      if (ri && this.less(ri, this.items[min] as Entry<K>)) min = r;
      if (min === i) return;
      this.swap(i, min);
      i = min;
    }
  }
}
