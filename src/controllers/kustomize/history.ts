// status.history: the last five distinct reconcile results, newest first (Flux v2.7+). An
// entry is keyed by the digest of what was applied; a repeat bumps its counter and times.
import { createHash } from 'node:crypto';
import type { HistoryEntry } from '../../api/kustomize/v1/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import { formatTime } from '../../runtime/status/conditions.ts';

export const HISTORY_LIMIT = 5;

/** sha256 over the objects as applied, in order. */
export function manifestsDigest(objects: readonly KubeObject[]): string {
  const h = createHash('sha256');
  for (const o of objects) h.update(JSON.stringify(o)).update('\n');
  return `sha256:${h.digest('hex')}`;
}

export interface HistoryRecord {
  digest: string;
  status: string;
  durationMs: number;
  metadata: Record<string, string>;
  at: Date;
}

function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${+s.toFixed(3)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${+(s - m * 60).toFixed(3)}s`;
}

export function upsertHistory(history: readonly HistoryEntry[] | undefined, r: HistoryRecord): HistoryEntry[] {
  const list = [...(history ?? [])];
  const at = formatTime(r.at);
  const i = list.findIndex((e) => e.digest === r.digest && e.lastReconciledStatus === r.status);
  const previous = i >= 0 ? list.splice(i, 1)[0] : undefined;
  const entry: HistoryEntry = {
    digest: r.digest,
    firstReconciled: previous?.firstReconciled ?? at,
    lastReconciled: at,
    lastReconciledDuration: goDuration(r.durationMs),
    lastReconciledStatus: r.status,
    totalReconciliations: (previous?.totalReconciliations ?? 0) + 1,
    ...(Object.keys(r.metadata).length > 0 ? { metadata: r.metadata } : {}),
  };
  return [entry, ...list].slice(0, HISTORY_LIMIT);
}
