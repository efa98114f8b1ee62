import { request } from 'node:https';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

/**
 * Just enough of a Kubernetes client to list Nodes with the admin kubeconfig that
 * `cluster up` writes (inline client certificate). The real client lives in src/kube.
 */
interface AdminKubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

export interface NodeSummary {
  name: string;
  ready: boolean;
  version: string;
}

interface NodeList {
  items: {
    metadata: { name: string };
    status?: { conditions?: { type: string; status: string }[]; nodeInfo?: { kubeletVersion?: string } };
  }[];
}

export async function listNodes(kubeconfigPath: string): Promise<NodeSummary[]> {
  const kc = parse(await readFile(kubeconfigPath, 'utf8')) as AdminKubeconfig;
  const cluster = kc.clusters[0]?.cluster;
  const user = kc.users[0]?.user;
  if (!cluster || !user) throw new Error(`${kubeconfigPath}: no cluster or user`);
  const b64 = (s: string) => Buffer.from(s, 'base64');
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(new URL('/api/v1/nodes', cluster.server), {
      ca: b64(cluster['certificate-authority-data']),
      cert: b64(user['client-certificate-data']),
      key: b64(user['client-key-data']),
      timeout: 10_000,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`GET nodes: HTTP ${res.statusCode}: ${text}`))));
    });
    req.on('timeout', () => req.destroy(new Error('GET nodes: timed out')));
    req.on('error', reject);
    req.end();
  });
  return (JSON.parse(body) as NodeList).items.map((n) => ({
    name: n.metadata.name,
    ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    version: n.status?.nodeInfo?.kubeletVersion ?? '',
  }));
}
