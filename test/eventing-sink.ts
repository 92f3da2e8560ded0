// A CloudEvents sink for Eventing tests: a real HTTP server on port 0 that records what it receives and
// answers as told.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEvents, type EventRecord } from '../src/eventing/cloudevents.ts';

export interface Received {
  event: EventRecord;
  at: number;
  headers: http.IncomingHttpHeaders;
}

export class EventSink {
  readonly received: Received[] = [];
  /** The status (and headers/body) to answer with; 202 by default. */
  respond: (r: Received) => { status: number; headers?: Record<string, string>; body?: string } = () => ({ status: 202 });
  private readonly server: http.Server;
  url = '';

  constructor() {
    this.server = http.createServer({ keepAlive: true }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let event: EventRecord;
        try {
          event = parseEvents(req.headers, Buffer.concat(chunks))[0];
        } catch (err) {
          res.writeHead(400);
          res.end((err as Error).message);
          return;
        }
        const r: Received = { event, at: Date.now(), headers: req.headers };
        this.received.push(r);
        const a = this.respond(r);
        res.writeHead(a.status, a.headers);
        res.end(a.body ?? '');
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  /** Events received with attribute `id` = `id`. */
  withId(id: string): Received[] {
    return this.received.filter((r) => r.event.attributes.id === id);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** POSTs one binary-mode event (or `raw` headers/body) to the broker ingress through the cluster-local gateway. */
export function postToBroker(localHttp: string, pathname: string, headers: Record<string, string>, body = '', method = 'POST', host = 'broker-ingress.knative-eventing.svc.cluster.local'): Promise<{ status: number; body: string }> {
  return gatewayRequest(localHttp, host, pathname, headers, body, method);
}

/** One request with `Host: host` to the gateway listener at `gateway` (10 s timeout); its status and body. */
export function gatewayRequest(gateway: string, host: string, pathname: string, headers: Record<string, string>, body = '', method = 'POST'): Promise<{ status: number; body: string }> {
  const u = new URL(gateway);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: Number(u.port), method, path: pathname, headers: { host, ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** ce-* headers of a binary-mode event. */
export function ceHeaders(id: string, type: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'ce-specversion': '1.0', 'ce-id': id, 'ce-type': type, 'ce-source': 'knit-test', 'content-type': 'application/json', ...extra };
}
