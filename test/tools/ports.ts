// Ports for child servers that cannot be told to bind port 0 and report back (sshd,
// docker-registry, moto). Node servers should listen on port 0 directly instead.
import net from 'node:net';

export { freePort } from '../../src/local/ports.ts';

/** Resolves once something accepts TCP connections on 127.0.0.1:port (a single attempt). */
export async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
