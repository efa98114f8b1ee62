// Requests the API server served, from its own apiserver_request_total counter (all clients:
// the measured process, kube-controller-manager, the scheduler and KWOK alike).
import type { KubeClient } from '../../src/kube/index.ts';

export type RequestsByVerb = Record<string, number>;
/** Keyed `VERB resource[/subresource]`, to see which of a phase's requests cost what. */
export type RequestsByResource = Record<string, number>;

export async function readRequestCounts(client: KubeClient): Promise<RequestsByResource> {
  const body = await client.transport.stream({ method: 'GET', path: '/metrics', accept: 'text/plain' });
  let text = '';
  for await (const chunk of body) text += String(chunk);
  const out: RequestsByResource = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
    const sub = label('subresource');
    const key = `${label('verb') || 'unknown'} ${label('resource') || '-'}${sub ? `/${sub}` : ''}`;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

export function byVerb(c: RequestsByResource): RequestsByVerb {
  const out: RequestsByVerb = {};
  for (const [key, n] of Object.entries(c)) {
    const verb = key.slice(0, key.indexOf(' '));
    out[verb] = (out[verb] ?? 0) + n;
  }
  return out;
}

export function diffCounts(before: RequestsByVerb, after: RequestsByVerb): RequestsByVerb {
  const out: RequestsByVerb = {};
  for (const [verb, n] of Object.entries(after)) {
    const d = n - (before[verb] ?? 0);
    if (d > 0) out[verb] = d;
  }
  return out;
}

export const totalRequests = (c: RequestsByVerb) => Object.values(c).reduce((a, b) => a + b, 0);

export function formatCounts(c: RequestsByVerb): string {
  const verbs = Object.entries(c).sort((a, b) => b[1] - a[1]).map(([v, n]) => `${v} ${n}`);
  return `${totalRequests(c)} (${verbs.join(', ')})`;
}
