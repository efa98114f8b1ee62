// A process that campaigns for a Lease and, while leading, bumps a shared counter ConfigMap
// every 100 ms and prints `ACT <identity> <epoch ms>`. Used by leader-election.test.ts.
//   node leader-child.ts <kubeconfig> <namespace> <identity>
import { KubeClient } from '../../src/kube/index.ts';
import { LeaderElector } from '../../src/runtime/leader/election.ts';

const [kubeconfig, namespace, identity] = process.argv.slice(2) as [string, string, string];
const client = KubeClient.fromKubeconfig({ kubeconfig });
const CM = { apiVersion: 'v1', kind: 'ConfigMap' };
const shutdown = new AbortController();
process.once('SIGTERM', () => shutdown.abort());

const elector = new LeaderElector({
  client, namespace, name: 'test-leader', identity,
  leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500,
  onError: (err) => process.stderr.write(`election error: ${String(err)}\n`),
});
process.stdout.write(`READY ${identity}\n`);
await elector.run(shutdown.signal, async (leading) => {
  while (!leading.aborted) {
    const cm = await client.get(CM, 'counter', namespace);
    const data = (cm['data'] ?? {}) as Record<string, string>;
    await client.update({ ...cm, data: { holder: identity, count: String(Number(data['count'] ?? 0) + 1) } });
    process.stdout.write(`ACT ${identity} ${Date.now()}\n`);
    await new Promise((r) => setTimeout(r, 100));
  }
});
process.stdout.write(`STOPPED ${identity}\n`);
await client.close();
