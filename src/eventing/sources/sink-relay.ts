// How a workload reaches a cluster-local sink. Knative's K_SINK (`http://broker-ingress.knative-eventing.svc.cluster.local/NS/B`)
// names a host no resolver on this machine knows, so instances get `http://127.A.B.C:PORT/NS/B` instead: a
// loopback address derived from the sink's host (Linux routes all of 127.0.0.0/8 to lo) and the
// cluster-local gateway's port. knit listens there and relays each request to the cluster-local
// gateway with the sink's Host, so the workload's POST reaches the sink as a cluster-local call would,
// and the address is the same on every start (a Revision's env must not change).

import http from 'node:http';
import { createHash } from 'node:crypto';
import type { EventingContext } from '../manager.ts';
import { servedByGateway } from '../send.ts';

/** The loopback address of `host`: 127.A.B.C from its SHA-256, never 127.0.x.x (the usual loopback) nor a .0/.255 last octet. */
export function relayAddress(host: string): string {
  const h = createHash('sha256').update(host.toLowerCase()).digest();
  return `127.${1 + (h[0] % 254)}.${h[1]}.${1 + (h[2] % 254)}`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** The relay listeners of one knit: one per cluster-local sink host a workload is given. */
export class SinkRelay {
  private readonly ctx: Pick<EventingContext, 'settings' | 'hostRouted' | 'localGateway'>;
  private readonly servers = new Map<string, { host: string; server: http.Server; listening: Promise<void>; error?: string }>();
  private readonly failed: (() => void)[] = [];

  constructor(ctx: Pick<EventingContext, 'settings' | 'hostRouted' | 'localGateway'>) {
    this.ctx = ctx;
  }

  /**
   * The K_SINK a workload gets for the resolved sink `uri`: the URI itself when this machine can dial it,
   * else the relay's URL (whose listener this starts). Throws when the gateway is not listening or two
   * hosts derive one address.
   */
  workloadUrl(uri: string): string {
    const u = new URL(uri);
    if (u.protocol !== 'http:' || !servedByGateway(this.ctx, u.hostname)) return uri;
    const gw = this.ctx.localGateway();
    if (!gw) throw new Error('the cluster-local gateway is not listening yet');
    const address = relayAddress(u.host);
    const existing = this.servers.get(address);
    if (existing && existing.host !== u.host) throw new Error(`sink hosts ${existing.host} and ${u.host} derive the same relay address ${address}`);
    if (existing?.error) throw new Error(`the sink relay for ${u.host} cannot listen on ${address}:${gw.port}: ${existing.error}`);
    if (!existing) this.listen(address, u.host, gw.port);
    return `http://${address}:${gw.port}${u.pathname}${u.search}`;
  }

  /** Calls `fn` when a relay listener fails (the bindings that use it then look again, and report it). */
  onFailure(fn: () => void): void {
    this.failed.push(fn);
  }

  /** Resolves once the relay behind `workloadUrl` (a workloadUrl result) listens, if it is one. */
  async ready(workloadUrl: string): Promise<void> {
    await this.servers.get(new URL(workloadUrl).hostname)?.listening;
  }

  private listen(address: string, host: string, port: number): void {
    const server = http.createServer((req, res) => {
      const gw = this.ctx.localGateway();
      if (!gw) {
        res.writeHead(503).end('the cluster-local gateway is not listening\n');
        return;
      }
      const upstream = http.request(
        { host: gw.host, port: gw.port, method: req.method, path: req.url, agent, headers: { ...req.headers, host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502).end(`relay to the cluster-local gateway failed: ${err.message}\n`);
        else res.destroy(err);
      });
      req.pipe(upstream);
    });
    const entry: { host: string; server: http.Server; listening: Promise<void>; error?: string } = { host, server, listening: Promise.resolve() };
    entry.listening = new Promise<void>((resolve) => {
      server.once('error', (err) => {
        // E.g. --local-http on a wildcard address holds the port on every loopback address too.
        entry.error = err.message;
        resolve();
        for (const fn of this.failed) fn();
      });
      server.listen(port, address, () => resolve());
    });
    this.servers.set(address, entry);
  }

  async close(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(all.map(({ server }) => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); })));
  }
}

const relays = new WeakMap<object, SinkRelay>();

/** The relay of a knit (shared by the ContainerSource and SinkBinding controllers of one EventingContext). */
export function sinkRelayOf(ctx: EventingContext): SinkRelay {
  let r = relays.get(ctx);
  if (!r) {
    r = new SinkRelay(ctx);
    relays.set(ctx, r);
  }
  return r;
}
