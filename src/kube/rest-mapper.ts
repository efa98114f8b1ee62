import { NoKindMatchError, isNotFound } from './errors.ts';
import type { Transport } from './transport.ts';
import type { TypeRef } from './types.ts';

export interface ResourceMapping {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name used in URLs, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
  verbs: string[];
  /** Subresources the server has for this resource, e.g. `status`, `scale`. */
  subresources: string[];
}

interface APIResourceList {
  resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
}

/**
 * group/version/kind ↔ resource, from discovery one group-version at a time (cheap, and only
 * for the kinds eddy touches). An unknown kind triggers one refresh of its group-version:
 * CRDs appear at run time.
 */
export class RESTMapper {
  private readonly transport: Transport;
  private readonly byGV = new Map<string, Promise<Map<string, ResourceMapping>>>();

  constructor(transport: Transport) {
    this.transport = transport;
  }

  async mapping(ref: TypeRef): Promise<ResourceMapping> {
    const found = (await this.load(ref.apiVersion, false)).get(ref.kind);
    if (found) return found;
    const refreshed = (await this.load(ref.apiVersion, true)).get(ref.kind);
    if (!refreshed) throw new NoKindMatchError(ref.apiVersion, ref.kind);
    return refreshed;
  }

  /** Forget everything, e.g. after CRDs were installed or removed. */
  reset(): void {
    this.byGV.clear();
  }

  private load(apiVersion: string, refresh: boolean): Promise<Map<string, ResourceMapping>> {
    let entry = this.byGV.get(apiVersion);
    if (!entry || refresh) {
      entry = this.fetch(apiVersion);
      this.byGV.set(apiVersion, entry);
      // A failed discovery must not be cached.
      entry.catch(() => this.byGV.delete(apiVersion));
    }
    return entry;
  }

  private async fetch(apiVersion: string): Promise<Map<string, ResourceMapping>> {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) as [string, string] : ['', apiVersion];
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    let list: APIResourceList;
    try {
      list = await this.transport.json<APIResourceList>({ method: 'GET', path });
    } catch (err) {
      if (isNotFound(err)) return new Map();
      throw err;
    }
    const out = new Map<string, ResourceMapping>();
    const subresources = new Map<string, string[]>();
    for (const r of list.resources) {
      const [base, sub] = r.name.split('/', 2) as [string, string | undefined];
      if (sub) subresources.set(base, [...(subresources.get(base) ?? []), sub]);
    }
    for (const r of list.resources) {
      if (r.name.includes('/')) continue;
      out.set(r.kind, {
        group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced, verbs: r.verbs,
        subresources: subresources.get(r.name) ?? [],
      });
    }
    return out;
  }
}

export function resourcePath(m: ResourceMapping, namespace?: string, name?: string, subresource?: string): string {
  let p = m.group ? `/apis/${m.group}/${m.version}` : `/api/${m.version}`;
  if (m.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${m.resource}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}
