// spec.endpoint is `host[:port]` without a scheme (minio-go refuses one; spec.insecure picks
// HTTP). IPv6 literals come bracketed: `[::1]:9000`.
import { InvalidEndpoint } from './errors.ts';

export interface Endpoint {
  host: string;
  port?: number;
}

export function parseEndpoint(endpoint: string): Endpoint {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) {
    throw new InvalidEndpoint(`endpoint '${endpoint}' must be host[:port] without a scheme (use insecure for plain HTTP)`);
  }
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+)(?::(\d{1,5}))?$/.exec(endpoint);
  if (!m?.[1]) throw new InvalidEndpoint(`endpoint '${endpoint}' is not host[:port]`);
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  if (m[2] === undefined) return { host };
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new InvalidEndpoint(`endpoint '${endpoint}' has an invalid port`);
  return { host, port };
}
