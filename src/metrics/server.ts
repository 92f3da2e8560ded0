// The metrics listener (`knit serve --metrics HOST:PORT`): GET /metrics in the Prometheus text format;
// the API token is required unless it listens on loopback only (docs/configuration.md "Metrics").

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { listen } from '../listen.ts';
import type { KnitMetrics } from './metrics.ts';

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || /^::ffff:127\./i.test(host);
}

function sameToken(got: string, want: string): boolean {
  const a = Buffer.from(got);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class MetricsServer {
  private readonly server: http.Server;
  private readonly metrics: KnitMetrics;
  private token: string | undefined;

  constructor(metrics: KnitMetrics, token: string) {
    this.metrics = metrics;
    this.token = token;
    this.server = http.createServer({ requestTimeout: 10_000, headersTimeout: 10_000 }, (req, res) => void this.handle(req, res));
  }

  /** Binds; the token is asked for unless `host` is a loopback address. */
  async listen(host: string, port: number): Promise<AddressInfo> {
    if (isLoopback(host)) this.token = undefined;
    return listen(this.server, host, port);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (code: number, body: string, headers: http.OutgoingHttpHeaders = {}): void => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return send(404, 'knit: the metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'knit: /metrics answers GET\n', { allow: 'GET, HEAD' });
    if (this.token !== undefined) {
      const auth = req.headers.authorization ?? '';
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (!m || !sameToken(m[1], this.token)) return send(401, 'knit: the metrics listener is not on loopback: send the API token (Authorization: Bearer TOKEN, DATA_DIR/token)\n', { 'www-authenticate': 'Bearer' });
    }
    let text: string;
    try {
      text = await this.metrics.text();
    } catch (err) {
      console.error(`knit: collecting metrics failed: ${(err as Error).stack ?? String(err)}`);
      return send(500, 'knit: collecting metrics failed\n');
    }
    res.writeHead(200, { 'content-type': this.metrics.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
