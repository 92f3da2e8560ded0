// Starts a server listening and resolves with its bound address (port 0 picks a free one).

import type { AddressInfo, Server } from 'node:net';

/** Listens on host:port; rejects on bind errors (address in use, permission). */
export function listen(server: Server, host: string, port: number, reusePort = false): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // reusePort (SO_REUSEPORT): several gateway threads accept on one port; the kernel spreads connections.
    server.listen({ port, host, ...(reusePort ? { reusePort: true } : {}) }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
