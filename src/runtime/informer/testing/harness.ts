import { objectKey } from '../../../kube/types.ts';
import type { KubeObject } from '../../../kube/types.ts';
import type { EventHandler, Logger, SharedInformerOptions } from '../informer.ts';
import { SharedInformer } from '../informer.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeApiServer, seededRandom } from './fake-server.ts';

export interface LogLine {
  level: keyof Logger;
  msg: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: keyof Logger) =>
    (fields: Record<string, unknown>, msg: string): void =>
      void lines.push({ level, msg, fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const rvOf = (o: KubeObject) => o.metadata.resourceVersion ?? '';

/** Records handler calls as short lines, e.g. `add default/a 1 initial`. */
export function eventRecorder(lines: string[]): EventHandler<KubeObject> {
  return {
    onAdd: (o, initial) => void lines.push(`add ${objectKey(o)} ${rvOf(o)}${initial ? ' initial' : ''}`),
    onUpdate: (a, b) => void lines.push(`update ${objectKey(b)} ${rvOf(a)}->${rvOf(b)}`),
    onDelete: (o) => void lines.push(`delete ${objectKey(o)} ${rvOf(o)}`),
  };
}

/**
 * Rebuilds the world from handler calls alone and records every call that contradicts what
 * the handler was told before: an add for a known key, an update whose old state is not the
 * last one told or that goes back in time, a delete for an unknown key.
 */
export class Mirror implements EventHandler<KubeObject> {
  readonly objects = new Map<string, KubeObject>();
  readonly violations: string[] = [];

  onAdd(obj: KubeObject): void {
    const key = objectKey(obj);
    if (this.objects.has(key)) this.violations.push(`add for known ${key} @${rvOf(obj)}`);
    this.objects.set(key, obj);
  }

  onUpdate(old: KubeObject, obj: KubeObject): void {
    const key = objectKey(obj);
    const known = this.objects.get(key);
    if (!known) this.violations.push(`update for unknown ${key}`);
    else if (rvOf(known) !== rvOf(old)) this.violations.push(`update ${key}: old @${rvOf(old)} but told @${rvOf(known)}`);
    // The fake server's resourceVersions are integers, so going back in time is detectable.
    if (Number(rvOf(obj)) <= Number(rvOf(old))) this.violations.push(`update ${key} back in time @${rvOf(old)}→@${rvOf(obj)}`);
    this.objects.set(key, obj);
  }

  onDelete(obj: KubeObject): void {
    const key = objectKey(obj);
    if (!this.objects.delete(key)) this.violations.push(`delete for unknown ${key}`);
  }
}

/** Drops managedFields the way the default transform does, for comparing with the server. */
export function stripped(state: Map<string, KubeObject>): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const [k, v] of state) {
    const metadata = { ...v.metadata };
    delete metadata.managedFields;
    out.set(k, { ...v, metadata });
  }
  return out;
}

export interface Harness {
  server: FakeApiServer;
  clock: FakeClock;
  informer: SharedInformer<KubeObject>;
  logs: LogLine[];
  events: string[];
  start(): void;
  stop(): Promise<void>;
}

/** A fake server, a fake clock and an informer over them (jitter off unless asked for). */
export function harness(opts: Partial<SharedInformerOptions<KubeObject>> = {}, seed = 1): Harness {
  const server = new FakeApiServer();
  const clock = new FakeClock();
  const logs: LogLine[] = [];
  const events: string[] = [];
  const informer = new SharedInformer<KubeObject>({
    lw: server,
    name: 'test',
    clock,
    random: seededRandom(seed),
    log: recordingLogger(logs),
    backoff: { jitter: 0 },
    ...opts,
  });
  informer.addEventHandler(eventRecorder(events));
  const ctl = new AbortController();
  let running: Promise<void> | undefined;
  return {
    server,
    clock,
    informer,
    logs,
    events,
    start: () => void (running = informer.start(ctl.signal)),
    stop: async () => {
      ctl.abort();
      await running;
    },
  };
}
