// Does a SharedInformer hold on to watch events it has already applied? One watch stream (no
// server: a fake ListerWatcher) brings N updates of one object, each a fresh ~10 KB object as
// JSON.parse would make. The store holds one object throughout, so after a full GC the heap
// should be flat between the middle and the end of the stream.
//   node --expose-gc bench/informer-watch-retention.ts [--events 20000]
import { parseArgs } from 'node:util';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { KubeObject, ListerWatcher, WatchEvent } from '../src/kube/types.ts';
import { SharedInformer } from '../src/runtime/informer/index.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '20000' } } });
const n = Number(values.events);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heapMiB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** A distinct 10 KB string per event (not a cons-string sharing one buffer). */
const payload = (i: number) => `${i}:`.padEnd(10_000, 'x').split('').join('');

let atHalf = 0;
const ac = new AbortController();
const lw: ListerWatcher<KubeObject> = {
  list: () => Promise.resolve({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '1' }, items: [] }),
  watch: async function* (): AsyncGenerator<WatchEvent<KubeObject>> {
    for (let i = 0; i < n; i++) {
      if (i === Math.floor(n / 2)) atHalf = heapMiB();
      yield { type: 'MODIFIED', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'd', resourceVersion: String(i + 2) }, data: { p: payload(i) } } };
      if (i % 100 === 0) await yieldToLoop();
    }
    const atEnd = heapMiB();
    const perEvent = ((atEnd - atHalf) * 2 ** 20) / (n - Math.floor(n / 2));
    console.log(`${n} events on one watch, store holding 1 object: heap after GC ${atHalf.toFixed(1)} MiB at half, ${atEnd.toFixed(1)} MiB at end ` +
      `(${perEvent.toFixed(0)} bytes retained per event; ~10,000 means every event object is kept until the watch ends)`);
    ac.abort();
  },
};

const informer = new SharedInformer<KubeObject>({ lw, name: 'retention' });
await informer.start(ac.signal);
