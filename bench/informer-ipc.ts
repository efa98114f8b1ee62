// Messages between bench/informer.ts (parent) and bench/informer-child.ts (the measured process),
// and the small helpers both sides use. The child runs in its own Node process so its RSS and
// CPU are the informer's (or controller's) alone.
import { readFileSync } from 'node:fs';

export interface ChildArgs {
  mode: 'informer' | 'controller';
  kubeconfig: string;
  namespace: string;
  /** Objects in the namespace: the informer must hold this many, the controller reconcile this many. */
  expected: number;
  metadataOnly: boolean;
  pageSize: number;
  concurrency: number;
}

/** Wall clock with sub-millisecond resolution; comparable across processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface ProcessSnapshot {
  rssMiB: number;
  /** VmHWM: the highest RSS the process has had so far. */
  peakRssMiB: number;
  heapUsedMiB: number;
}

const MiB = 2 ** 20;

export function snapshot(): ProcessSnapshot {
  const m = process.memoryUsage();
  return { rssMiB: m.rss / MiB, peakRssMiB: procStatusKiB('self', 'VmHWM') / 1024, heapUsedMiB: m.heapUsed / MiB };
}

/** A `kB` field of /proc/<pid>/status; 0 when the process is gone or the field is absent. */
export function procStatusKiB(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

export interface SyncReport {
  type: 'synced';
  ok: boolean;
  objects: number;
  /** RESTMapper discovery before the clock starts (kubectl's is cached on disk after its warm-up). */
  discoveryMs: number;
  syncMs: number;
  /** Process start (performance.timeOrigin) to synced: Node boot, SDK import, discovery, sync. */
  sinceProcessStartMs: number;
  cpuSeconds: number;
  listPages: number;
  /** Node with the SDK loaded, before the informer started. */
  before: ProcessSnapshot;
  afterSync: ProcessSnapshot;
  /** heapUsed after a full GC: what the cache actually retains. */
  heapAfterGcMiB: number;
  /** One cached object's kind and whether it carries `data`: proves metadata-only is what it says. */
  sample: { kind: string; hasData: boolean };
}

/** One update the child's handler saw: which write, when the parent sent it, when it arrived. */
export interface LagSample {
  name: string;
  rv: string;
  sentAt: number;
  seenAt: number;
}

export interface WatchReport {
  type: 'watch-result';
  samples: LagSample[];
  /** CPU while synced and idle (from the sync report to watch-begin), to tell the watch's own cost. */
  idleCpuSeconds: number;
  idleSeconds: number;
  /** CPU from watch-begin until the last expected event (or the timeout). */
  cpuSeconds: number;
  end: ProcessSnapshot;
  /** heapUsed after a full GC at the end, to compare with the sync's: the store holds as many objects. */
  heapAfterGcMiB: number;
}

export interface InitialReconcileReport {
  type: 'initial-done';
  reconciles: number;
  distinctKeys: number;
  /** manager.start() to the first reconcile: list, cache fill, controller start. */
  toFirstReconcileMs: number;
  /** manager.start() to the expected number of reconciles. */
  totalMs: number;
  cpuSeconds: number;
  end: ProcessSnapshot;
}

export interface TouchReport {
  type: 'touch-done';
  reconciles: number;
  firstAt: number;
  lastAt: number;
  cpuSeconds: number;
  end: ProcessSnapshot;
}

export type ChildMessage = SyncReport | WatchReport | InitialReconcileReport | TouchReport | { type: 'touch-ready' } | { type: 'error'; message: string };

export type ParentMessage =
  | { type: 'watch-begin'; expected: number }
  | { type: 'watch-end' }
  | { type: 'touch-begin'; names: string[] }
  | { type: 'stop' };
