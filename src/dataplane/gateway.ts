// The gateway: Host → route → revision → instance in one proxy hop, with buffering while a
// revision has no instance with room.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DispatchError, type Endpoint, type RevisionDispatcher } from './dispatcher.ts';
import { hostOnly, type RoutingTable } from './routing.ts';

export interface DispatcherLookup {
  dispatcher(revisionKey: string): RevisionDispatcher | undefined;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

function forwardHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  const raw = req.rawHeaders;
  let connectionTokens: Set<string> | undefined;
  const conn = req.headers.connection;
  if (conn && conn !== 'keep-alive' && conn !== 'close') connectionTokens = new Set(conn.toLowerCase().split(/\s*,\s*/));
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || connectionTokens?.has(name)) continue;
    if (name === 'x-forwarded-for' || name === 'forwarded' || name === 'x-forwarded-proto') continue;
    const prev = out[name];
    out[name] = prev === undefined ? raw[i + 1] : `${Array.isArray(prev) ? prev.join(', ') : String(prev)}, ${raw[i + 1]}`;
  }
  const client = req.socket.remoteAddress ?? '';
  const xff = req.headers['x-forwarded-for'];
  out['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${client}` : client;
  const proto = (req.headers['x-forwarded-proto'] as string | undefined) ?? 'http';
  out['x-forwarded-proto'] = proto;
  const forNode = client.includes(':') ? `"[${client}]"` : client;
  const element = `for=${forNode};host=${hostOnly(req.headers.host) || 'unknown'};proto=${proto}`;
  const fwd = req.headers.forwarded;
  out.forwarded = fwd ? `${fwd}, ${element}` : element;
  return out;
}

function reply(res: http.ServerResponse, status: number, body: string, extra?: http.OutgoingHttpHeaders): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** One listener of the gateway (external or cluster-local). */
export class Gateway {
  readonly server: http.Server;
  private readonly listener: 'external' | 'cluster-local';
  private readonly table: RoutingTable;
  private readonly lookup: DispatcherLookup;

  constructor(listener: 'external' | 'cluster-local', table: RoutingTable, lookup: DispatcherLookup) {
    this.listener = listener;
    this.table = table;
    this.lookup = lookup;
    this.server = http.createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => this.handle(req, res));
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const host = hostOnly(req.headers.host);
    const entry = this.table.lookup(this.listener, host);
    if (!entry) {
      reply(res, 404, `knit: no service is routed for host "${host}"\n`);
      return;
    }
    const revKey = entry.pick();
    const d = revKey ? this.lookup.dispatcher(revKey) : undefined;
    if (!d) {
      reply(res, 503, `knit: revision ${revKey ?? '(none)'} of host "${host}" is not available\n`);
      return;
    }
    d.stats.requestIn();
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      d.stats.requestOut();
    };
    res.once('close', finish);
    const ep = d.tryAcquire();
    if (ep) {
      this.proxy(req, res, d, ep);
      return;
    }
    const waiter = d.enqueue(d.timeoutSeconds * 1000, (err, got) => {
      req.off('close', onGone);
      if (err || !got) {
        const status = err instanceof DispatchError ? err.status : 503;
        reply(res, status, `${err?.message ?? 'no instance'}\n`);
        return;
      }
      if (res.destroyed) {
        d.release(got);
        return;
      }
      this.proxy(req, res, d, got);
    });
    const onGone = (): void => {
      if (waiter && !res.writableFinished) d.cancel(waiter);
    };
    req.once('close', onGone);
  }

  private proxy(req: http.IncomingMessage, res: http.ServerResponse, d: RevisionDispatcher, ep: Endpoint): void {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      d.release(ep);
    };
    const upstream = http.request({
      host: ep.host,
      port: ep.port,
      method: req.method,
      path: req.url,
      headers: forwardHeaders(req),
      agent: ep.agent,
    });
    let timer: NodeJS.Timeout | undefined;
    if (d.timeoutSeconds > 0) {
      timer = setTimeout(() => {
        upstream.destroy();
        release();
        reply(res, 504, 'request timeout\n');
      }, d.timeoutSeconds * 1000);
    }
    upstream.on('response', (ures) => {
      const headers: http.OutgoingHttpHeaders = {};
      const raw = ures.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i].toLowerCase();
        if (HOP_BY_HOP.has(name)) continue;
        const prev = headers[name];
        headers[name] = prev === undefined ? raw[i + 1] : Array.isArray(prev) ? [...prev, raw[i + 1]] : [String(prev), raw[i + 1]];
      }
      res.writeHead(ures.statusCode ?? 502, ures.statusMessage, headers);
      ures.pipe(res);
      ures.once('end', () => {
        if (timer) clearTimeout(timer);
        release();
      });
      ures.once('error', () => {
        if (timer) clearTimeout(timer);
        release();
        res.destroy();
      });
    });
    upstream.on('error', (err) => {
      if (timer) clearTimeout(timer);
      release();
      reply(res, 502, `knit: error reaching revision ${d.key}: ${err.message}\n`);
    });
    res.once('close', () => {
      if (!res.writableFinished) {
        upstream.destroy();
        if (timer) clearTimeout(timer);
        release();
      }
    });
    req.pipe(upstream);
  }
}
