// The gateway's HTTPS listener (`knit serve --https`): TLS with the certificate SNI selects, then the external
// gateway's own request handling on the decrypted connection (HTTP/1.1, or HTTP/2 when ALPN picks h2).

import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { listen } from '../listen.ts';
import type { Gateway } from './gateway.ts';

/** A certificate and key (PEM) for a server name, with a version that changes when they do. */
export interface ServingCertificate {
  cert: string;
  key: string;
  version: string;
}

/** Finds the certificate for the name a client asked for in its ClientHello, if knit has one. */
export type CertificateSource = (servername: string) => ServingCertificate | undefined;

/** Secure contexts are built once per certificate version. */
export class HttpsListener {
  readonly server: tls.Server;
  private readonly contexts = new Map<string, { version: string; context: tls.SecureContext }>();
  /** Raw connections (handshakes included), destroyed on close. */
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(gateway: Gateway, certificates: CertificateSource) {
    this.server = tls.createServer({
      ALPNProtocols: ['h2', 'http/1.1'],
      SNICallback: (servername, cb) => {
        let ctx: tls.SecureContext | undefined;
        try {
          ctx = this.contextFor(servername.toLowerCase(), certificates);
        } catch (err) {
          cb(err as Error, undefined);
          return;
        }
        // No certificate for the name: the handshake fails (unrecognized_name), as an ingress without a matching TLS host does.
        if (!ctx) cb(new Error(`knit: no certificate for server name "${servername}"`), undefined);
        else cb(null, ctx);
      },
    }, (socket) => gateway.accept(socket));
    // A client that fails the handshake or drops the connection is no error of the server's.
    this.server.on('tlsClientError', (_err, socket) => socket.destroy());
    this.server.on('connection', (socket: import('node:net').Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  private contextFor(servername: string, certificates: CertificateSource): tls.SecureContext | undefined {
    const cert = certificates(servername);
    if (!cert) return undefined;
    const cached = this.contexts.get(servername);
    if (cached && cached.version === cert.version) return cached.context;
    const context = tls.createSecureContext({ cert: cert.cert, key: cert.key });
    this.contexts.set(servername, { version: cert.version, context });
    return context;
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return listen(this.server, host, port);
  }

  /** Stops accepting connections. */
  stopAccepting(): void {
    if (this.server.listening) this.server.close();
  }

  /** Stops accepting and drops every connection, in handshake or not. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.server.listening) this.server.close(() => resolve());
      else resolve();
      for (const s of this.sockets) s.destroy();
    });
  }
}
