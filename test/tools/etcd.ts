// Direct etcd access for tests (through etcd's JSON gateway with the apiserver's client
// certificate from the cluster's state.json): read the revision, compact history.
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'undici';

export interface EtcdAccess {
  endpoint: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export class Etcd {
  private readonly access: EtcdAccess;
  private agent: Agent | undefined;

  constructor(access: EtcdAccess) {
    this.access = access;
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    this.agent ??= new Agent({
      connect: {
        ca: await readFile(this.access.caFile),
        cert: await readFile(this.access.certFile),
        key: await readFile(this.access.keyFile),
      },
    });
    const res = await request(`${this.access.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body), dispatcher: this.agent });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`etcd ${path}: HTTP ${res.statusCode}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** The store's current revision (what the API server reports as resourceVersion). */
  async revision(): Promise<number> {
    const r = await this.post<{ header: { revision: string } }>('/v3/kv/range', { key: Buffer.from('/').toString('base64'), limit: 1 });
    return Number(r.header.revision);
  }

  /** Drops all history before `revision`: older resourceVersions become 410 Gone. */
  async compact(revision: number): Promise<void> {
    await this.post('/v3/kv/compaction', { revision: String(revision), physical: true });
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }
}
