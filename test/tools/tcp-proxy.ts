// A TCP proxy on loopback that tests use to cut connections mid-stream (e.g. an open watch)
// without the server noticing, and to keep clients out for a while.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Destroys every proxied connection now. */
  cutAll(): void;
  /** While blocked, new connections are refused (reset) at once. */
  setBlocked(blocked: boolean): void;
  /** While holding, new connections are accepted but not forwarded until holding ends. */
  setHolding(holding: boolean): void;
  connections(): number;
  stop(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let blocked = false;
  let held: Socket[] | undefined;
  const forward = (client: Socket) => {
    if (client.destroyed) return;
    const upstream = createConnection({ port: targetPort, host: targetHost });
    open.add(client);
    open.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const server: Server = createServer((client) => {
    if (blocked) client.resetAndDestroy();
    else if (held) {
      client.pause();
      held.push(client);
    } else forward(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const cutAll = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  return {
    port,
    cutAll,
    setBlocked: (b) => (blocked = b),
    setHolding: (h) => {
      const waiting = held ?? [];
      held = h ? waiting : undefined;
      if (!h) for (const c of waiting) forward(c);
    },
    connections: () => open.size / 2,
    stop: async () => {
      for (const c of held ?? []) c.destroy();
      held = undefined;
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
