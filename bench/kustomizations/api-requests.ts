// Requests the API server served, from its own apiserver_request_total counter (all clients:
// the measured process, kube-controller-manager, the scheduler and KWOK alike).
import type { KubeClient } from '../../src/kube/index.ts';

export type RequestsByVerb = Record<string, number>;

export async function readRequestCounts(client: KubeClient): Promise<RequestsByVerb> {
  const body = await client.transport.stream({ method: 'GET', path: '/metrics', accept: 'text/plain' });
  let text = '';
  for await (const chunk of body) text += String(chunk);
  const out: RequestsByVerb = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([^"]*)"/.exec(line)?.[1] ?? 'unknown';
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) out[verb] = (out[verb] ?? 0) + value;
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
