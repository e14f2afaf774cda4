import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Listens on `host` and `port` (0 picks one); resolves with the port and the base URL to print,
 * which names a reachable address when listening on every IPv4 interface.
 */
export function listen(server: Server, host: string, port: number): Promise<{ url: string; port: number }> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `cannot listen on ${host}:${port}: another program already does (EADDRINUSE); stop it or set PORT`,
            )
          : error,
      );
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      const { port } = server.address() as AddressInfo;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve({ url: `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${port}`, port });
    });
  });
}
