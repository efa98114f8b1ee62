// The baseline: what kustomize-controller's apply amounts to, done directly. The rendered
// objects of every app are server-side applied (field manager kustomize-controller, as the
// impersonated ServiceAccount, `concurrent` apps at a time, through one client at the same
// QPS as eddy's), then we wait until every Deployment is observed at its new template.
import { parseAllDocuments } from 'yaml';
import type { KubeClient, KubeObject } from '../../src/kube/index.ts';
import { deployerIdentity, renderedObjects } from './workload.ts';
import { deploymentsAt, waitAll } from './wait.ts';

export const parseYaml = (text: string): KubeObject[] => parseAllDocuments(text).map((d) => d.toJSON() as KubeObject).filter((o) => o !== null);

export async function parallel(count: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < count; i = next++) await fn(i);
  }));
}

export interface BaselineRound {
  applySeconds: number;
  rolledOutSeconds: number;
}

export async function baselineRound(client: KubeClient, opts: { count: number; concurrent: number; namespace: string; version: string; log: (l: string) => void }): Promise<BaselineRound> {
  const as = client.impersonate(deployerIdentity);
  const t0 = performance.now();
  await parallel(opts.count, opts.concurrent, async (i) => {
    for (const obj of renderedObjects(i, opts.namespace, opts.version, parseYaml)) {
      await as.apply(obj, { fieldManager: 'kustomize-controller', force: true });
    }
  });
  const applySeconds = (performance.now() - t0) / 1000;
  const rolledOutSeconds = await waitAll(client, { apiVersion: 'apps/v1', kind: 'Deployment' }, opts.namespace, {
    t0, count: opts.count, timeoutS: 1800, what: `baseline ${opts.version} Deployments observed`, done: deploymentsAt(opts.version), log: opts.log,
  });
  return { applySeconds, rolledOutSeconds };
}
