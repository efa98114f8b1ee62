// An example controller written only with eddy's public SDK: every ConfigMap labelled
// `example.eddy.dev/hash: enabled` gets the sha256 of its data in an annotation.
import { createHash } from 'node:crypto';
import { isNotFound, type KubeClient, type KubeObject } from 'eddy/kube';
import type { Manager, Reconciler, Request } from 'eddy/runtime';

export const LABEL = 'example.eddy.dev/hash';
export const ANNOTATION = 'example.eddy.dev/data-hash';
const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

/** sha256 over the sorted keys and values, so key order never changes the hash. */
export function hashData(cm: KubeObject): string {
  const h = createHash('sha256');
  const data = (cm['data'] ?? {}) as Record<string, string>;
  for (const key of Object.keys(data).sort()) h.update(key).update('\0').update(data[key] ?? '').update('\0');
  return `sha256:${h.digest('hex')}`;
}

export class HashReconciler implements Reconciler {
  private readonly client: KubeClient;
  private readonly manager: Manager;

  constructor(manager: Manager) {
    this.manager = manager;
    this.client = manager.client;
  }

  async reconcile(req: Request): Promise<void> {
    // Read from the shared cache; the API server only sees the patch.
    const key = req.namespace ? `${req.namespace}/${req.name}` : req.name;
    const cm = this.manager.informers.get({ ref: CONFIGMAP, labelSelector: `${LABEL}=enabled` }).getByKey(key);
    if (!cm) return;
    const want = hashData(cm);
    if (cm.metadata.annotations?.[ANNOTATION] === want) return;
    try {
      await this.client.patch(CONFIGMAP, req.name, req.namespace, { metadata: { annotations: { [ANNOTATION]: want } } }, { type: 'merge', fieldManager: 'configmap-hasher' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Wires the controller into a manager: one informer on labelled ConfigMaps. */
export function setupHasher(manager: Manager): void {
  manager
    .controller('configmap-hasher')
    .for(CONFIGMAP, { labelSelector: `${LABEL}=enabled` })
    .withOptions({ concurrency: 2 })
    .complete(new HashReconciler(manager));
}
