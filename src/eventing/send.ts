// Sending a CloudEvent to a resolved sink URL. Hosts the cluster-local gateway serves (`*.svc`,
// `*.svc.CLUSTER_DOMAIN`, and any host in its routing table) are reached through that gateway with the URL's
// Host, so a Knative Service at zero is woken and the request buffered as any request is (the activator's
// role); other URLs are dialled directly.

import http from 'node:http';
import https from 'node:https';
import { binaryMessage, type EventRecord } from './cloudevents.ts';
import type { EventingContext } from './manager.ts';

/** What a sink answered: status, headers and body (a reply event may be in it). */
export interface SinkResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

/** True when `host` is one the cluster-local gateway answers for (so it has no DNS name on this machine). */
export function servedByGateway(ctx: Pick<EventingContext, 'settings' | 'hostRouted'>, host: string): boolean {
  const h = host.toLowerCase();
  const cd = ctx.settings.clusterDomain;
  return h.endsWith('.svc') || h.endsWith(`.svc.${cd}`) || ctx.hostRouted(h);
}

/** Sends `event` in binary mode to `url` (with extra headers); rejects on a connection error or after `timeoutMs`. */
export function sendEvent(ctx: Pick<EventingContext, 'settings' | 'hostRouted' | 'localGateway'>, url: string, event: EventRecord, opts: { timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<SinkResponse> {
  const msg = binaryMessage(event);
  return sendHttp(ctx, url, { ...msg.headers, ...opts.headers }, msg.body, opts.timeoutMs);
}

/** POSTs `body` to `url` as sendEvent does (the transport under it). */
export function sendHttp(ctx: Pick<EventingContext, 'settings' | 'hostRouted' | 'localGateway'>, url: string, headers: Record<string, string>, body: Buffer, timeoutMs?: number): Promise<SinkResponse> {
  const u = new URL(url);
  const viaGateway = u.protocol === 'http:' && servedByGateway(ctx, u.hostname);
  const gw = viaGateway ? ctx.localGateway() : undefined;
  if (viaGateway && !gw) return Promise.reject(new Error(`the cluster-local gateway is not listening yet (sending to ${url})`));
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise<SinkResponse>((resolve, reject) => {
    const req = mod.request(
      {
        method: 'POST',
        host: gw ? gw.host : u.hostname,
        port: gw ? gw.port : u.port || (u.protocol === 'https:' ? 443 : 80),
        path: `${u.pathname}${u.search}`,
        agent: u.protocol === 'https:' ? tlsAgent : agent,
        headers: { ...headers, host: u.host, 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    if (timeoutMs !== undefined && timeoutMs > 0) {
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms sending to ${url}`)));
    }
    req.on('error', reject);
    req.end(body);
  });
}
