import type { KubeClient } from '../../kube/client.ts';
import type { EventSink } from '../events/recorder.ts';
import type { ObjectGetter, StatusWriter } from '../status/patcher.ts';

const EVENT = { apiVersion: 'events.k8s.io/v1', kind: 'Event' } as const;

/** The status patcher's writer over a KubeClient (merge patch on the status subresource). */
export function statusWriter(client: KubeClient): StatusWriter {
  return {
    patchStatus: (ref, namespace, name, mergePatch, opts) => client.patchStatus(ref, name, namespace, mergePatch, { type: 'merge', fieldManager: opts.fieldManager }),
  };
}

export function objectGetter(client: KubeClient): ObjectGetter {
  return (ref, namespace, name) => client.get(ref, name, namespace);
}

/** The event recorder's sink: events.k8s.io/v1 Events through a KubeClient. */
export function eventSink(client: KubeClient): EventSink {
  return {
    create: (event) => client.create(event),
    patch: (namespace, name, mergePatch) => client.patch(EVENT, name, namespace, mergePatch, { type: 'merge' }),
  };
}
