// Registry clients shared across reconciles. Flux builds a new transport for every reconcile, so
// each OCIRepository fetch opens new connections, probes HTTPS again for an insecure registry and
// asks the token service again. Here one client per distinct configuration (host, TLS material,
// credentials, …) keeps its connections, its origin and its tokens until it has been idle a while.
import { createHash } from 'node:crypto';
import { Registry, type RegistryOptions } from './client.ts';

export interface RegistryPoolOptions {
  /** A client unused this long is closed; default 5 minutes. */
  maxIdleMs?: number;
  /** Most idle clients kept; default 64 (clients in use are never closed). */
  maxIdle?: number;
  now?: () => number;
}

/** A pooled client; `release()` when the reconcile is done with it (it stays open for others). */
export interface RegistryLease {
  readonly registry: Registry;
  release(): void;
}

interface Entry {
  registry: Registry;
  leases: number;
  lastUsed: number;
}

export class RegistryPool {
  private readonly entries = new Map<string, Entry>();
  private readonly maxIdleMs: number;
  private readonly maxIdle: number;
  private readonly now: () => number;

  constructor(opts: RegistryPoolOptions = {}) {
    this.maxIdleMs = opts.maxIdleMs ?? 5 * 60_000;
    this.maxIdle = opts.maxIdle ?? 64;
    this.now = opts.now ?? (() => Date.now());
  }

  /** The shared client for exactly these options (a changed Secret gives another client). */
  acquire(options: RegistryOptions): RegistryLease {
    this.sweep();
    const key = keyOf(options);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { registry: new Registry(options), leases: 0, lastUsed: this.now() };
      this.entries.set(key, entry);
    }
    entry.leases++;
    const held = entry;
    let released = false;
    return {
      registry: entry.registry,
      release: () => {
        if (released) return;
        released = true;
        held.leases--;
        held.lastUsed = this.now();
      },
    };
  }

  /** Clients open now (in use or idle). */
  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.registry.close()));
  }

  /** Closes clients idle too long, then the longest idle beyond `maxIdle`. */
  private sweep(): void {
    const now = this.now();
    const idle = [...this.entries].filter(([, e]) => e.leases === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    const excess = idle.length - this.maxIdle;
    idle.forEach(([key, e], i) => {
      if (i < excess || now - e.lastUsed >= this.maxIdleMs) {
        this.entries.delete(key);
        void e.registry.close().catch(() => undefined);
      }
    });
  }
}

/** Everything that shapes a client's requests; secrets enter only as a hash. */
function keyOf(o: RegistryOptions): string {
  const parts = [o.host.toLowerCase(), o.insecure ?? false, o.ca, o.cert, o.key, o.credentials, o.timeoutMs, o.userAgent, o.retry, o.maxManifestBytes, o.tagPageSize];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}
