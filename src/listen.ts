// Starts a server listening and resolves with its bound address (port 0 picks a free one).

import type { AddressInfo, Server } from 'node:net';

/** Listens on host:port; rejects on bind errors (address in use, permission). */
export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
