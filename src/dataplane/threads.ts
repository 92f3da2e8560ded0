// Gateway threads (`knit serve --gateway-threads N`, docs/architecture.md "Gateway threads"): the main
// thread's side. It starts N worker threads that each run both gateway listeners on the same ports
// (SO_REUSEPORT), posts them whole snapshots of the routing table, and of each revision's endpoints when
// they change (every revision's to a thread that starts), turns their scale-from-zero pokes into activations and replays their per-request metrics.
// Limits and the autoscaler's stats live in shared memory (shared.ts); nothing here is on a request's path.

import http from 'node:http';
import module from 'node:module';
import type http2 from 'node:http2';
import { Worker } from 'node:worker_threads';
import type { DispatcherSettings, RequestObserver } from './dispatcher.ts';
import type { RoutingSnapshot, RoutingTable } from './routing.ts';
import { ROUTES_VERSION, type SlotAllocator } from './shared.ts';
import type { TracingConfig } from '../tracing/config.ts';
import type { Gateway } from './gateway.ts';
import { forwardHeaders } from './gateway.ts';

export type Listener = 'external' | 'cluster-local';

/** One revision in an endpoints snapshot. */
export interface RevisionSnapshot {
  key: string;
  settings: DispatcherSettings;
  slot: number;
  endpoints: { id: string; host: string; port: number; slot: number }[];
}

/** What a gateway thread is started with. */
export interface WorkerInit {
  buffer: SharedArrayBuffer;
  epochMs: number;
  queueLimit: number;
  trustedProxies: string | undefined;
  tracing: TracingConfig;
  metrics: boolean;
  /** The v1 cpu cgroup each thread moves itself into as it starts (runtime/cgroups.ts GatewayCgroup), if any. */
  cpuCgroup: string | undefined;
}

/** Main → gateway thread. */
export type ToWorker =
  | { t: 'listen'; at: Record<Listener, { host: string; port: number }> }
  | { t: 'routes'; version: number; routes: RoutingSnapshot; inProcess: Record<Listener, string[]>; inProcessPorts: Record<Listener, number> }
  /**
   * `full`: every revision (a revision not in it is gone); otherwise the revisions whose endpoints changed
   * since the last message, each whole, and the keys of the ones removed.
   */
  | { t: 'endpoints'; version: number; full: boolean; revisions: RevisionSnapshot[]; removed: string[] }
  | { t: 'https'; port: number | undefined }
  | { t: 'flush'; id: number }
  | { t: 'stop-accepting' }
  | { t: 'close' };

/**
 * The requests a gateway thread finished, for the metrics, packed OBSERVATION_FIELDS numbers each: the
 * revision's index in `keys`, status, total ms, app ms (-1: knit answered) and queued (1 or 0). One
 * transferred buffer per batch instead of an array per request.
 */
export interface Observations {
  keys: string[];
  count: number;
  data: Float64Array;
}
export const OBSERVATION_FIELDS = 5;

/** Gateway thread → main. */
export type FromWorker =
  | { t: 'listening'; ports: Record<Listener, number> }
  | { t: 'error'; message: string }
  | { t: 'demand'; key: string }
  | { t: 'ack'; version: number }
  | { t: 'obs'; requests: Observations; cold: [string, number, string][] }
  | { t: 'flushed'; id: number }
  | { t: 'closed' };

export interface GatewayThreadsOptions {
  threads: number;
  slots: SlotAllocator;
  queueLimit: number;
  table: RoutingTable;
  /** The main thread's gateways: their in-process hosts are reached through their loopback listeners. */
  gateways: Record<Listener, Gateway>;
  /** Every revision's snapshot. */
  endpoints: () => RevisionSnapshot[];
  /** One revision's snapshot; undefined once it is gone. */
  revision: (key: string) => RevisionSnapshot | undefined;
  onDemand: (key: string) => void;
  observer: ((key: string) => RequestObserver) | undefined;
  trustedProxies: string | undefined;
  tracing: TracingConfig;
  /** The gateway threads' own cpu cgroup (runtime/cgroups.ts GatewayCgroup); undefined: they stay in knit's. */
  cpuCgroup?: string;
}

/** The gateway threads of one knit. */
export class GatewayThreads {
  private readonly opts: GatewayThreadsOptions;
  private readonly workers: Worker[] = [];
  private readonly acked = new Map<Worker, number>();
  private readonly closed = new Map<Worker, () => void>();
  private routesPending = false;
  /** Revisions whose endpoints changed since the last endpoints message. */
  private readonly endpointsChanged = new Set<string>();
  private httpsPort: number | undefined;
  private inProcessPorts: Record<Listener, number> = { external: 0, 'cluster-local': 0 };
  /** Endpoints whose cold start was already observed (one gateway thread reports it, not each), with their revision's key. */
  private readonly coldSeen = new Map<string, string>();
  private stopped = false;
  private flushId = 0;
  /** The ports every thread accepts on, once the first bound them. */
  private ports: Record<Listener, number> | undefined;
  private listenHosts: Record<Listener, string> = { external: '', 'cluster-local': '' };
  private readonly flushes = new Map<number, (w: Worker) => void>();

  constructor(opts: GatewayThreadsOptions) {
    this.opts = opts;
  }

  /**
   * Starts the threads: the first binds the requested addresses (port 0 picks one), the others join
   * it on the same ports. The main thread's gateways listen on loopback for in-process hosts.
   */
  async start(listen: Record<Listener, { host: string; port: number }>): Promise<Record<Listener, number>> {
    const o = this.opts;
    for (const l of ['external', 'cluster-local'] as const) {
      const a = await o.gateways[l].listen('127.0.0.1', 0);
      this.inProcessPorts[l] = a.port;
      o.gateways[l].onInProcessChange = () => this.publishRoutes();
    }
    o.table.onChange = () => this.publishRoutes();
    this.listenHosts = { external: listen.external.host, 'cluster-local': listen['cluster-local'].host };
    // Every thread loads its modules at once; the first binds the requested addresses (port 0 picks
    // one), then the others join it on the same ports.
    const threads = Array.from({ length: o.threads }, () => this.spawn());
    try {
      const ports = await threads[0].listen(listen);
      const at = { external: { host: listen.external.host, port: ports.external }, 'cluster-local': { host: listen['cluster-local'].host, port: ports['cluster-local'] } };
      await Promise.all(threads.slice(1).map((t) => t.listen(at)));
      this.ports = ports;
      return ports;
    } catch (err) {
      for (const t of threads) t.listening.catch(() => {});
      throw err;
    }
  }

  /** Starts one thread; it listens when `listen` is called (and reports its ports). */
  private spawn(): { listening: Promise<Record<Listener, number>>; listen(at: Record<Listener, { host: string; port: number }>): Promise<Record<Listener, number>> } {
    const o = this.opts;
    const init: WorkerInit = {
      buffer: o.slots.cells.i32.buffer as SharedArrayBuffer,
      epochMs: o.slots.cells.epochMs,
      queueLimit: o.queueLimit,
      trustedProxies: o.trustedProxies,
      tracing: o.tracing,
      metrics: o.observer !== undefined,
      cpuCgroup: o.cpuCgroup,
    };
    // The thread runs knit's gateway code only, never a workload. It compiles its modules through knit's compile
    // cache (bin/knit enables one and drops it from the environment instances inherit): without it each thread
    // stripped and compiled them again at every start, ~0.2-0.4 s that a restart of knit waited for.
    const cache = module.getCompileCacheDir?.();
    const w = new Worker(new URL('./worker.ts', import.meta.url), { workerData: init, ...(cache ? { env: { ...process.env, NODE_COMPILE_CACHE: cache } } : {}) });
    this.workers.push(w);
    this.acked.set(w, 0);
    const listening = new Promise<Record<Listener, number>>((resolve, reject) => {
      w.on('message', (m: FromWorker) => {
        switch (m.t) {
          case 'listening':
            this.post(w, this.routesMessage());
            this.post(w, this.fullEndpointsMessage());
            if (this.httpsPort !== undefined) this.post(w, { t: 'https', port: this.httpsPort });
            resolve(m.ports);
            break;
          case 'error':
            reject(new Error(m.message));
            break;
          case 'demand':
            o.onDemand(m.key);
            break;
          case 'ack':
            this.acked.set(w, m.version);
            this.sweep();
            break;
          case 'obs':
            this.observe(m);
            break;
          case 'flushed':
            this.flushes.get(m.id)?.(w);
            break;
          case 'closed':
            this.closed.get(w)?.();
            break;
        }
      });
      w.once('error', (err) => reject(err));
      w.once('exit', (code) => {
        this.acked.delete(w);
        this.closed.get(w)?.();
        const i = this.workers.indexOf(w);
        if (i >= 0) this.workers.splice(i, 1);
        if (this.stopped) return;
        reject(new Error(`gateway thread exited (code ${code})`));
        // A thread that crashed (a bug) is replaced on the same ports; the slots its requests held are not given back.
        const ports = this.ports;
        if (ports === undefined) return;
        console.error(`knit: a gateway thread exited (code ${code}); starting another`);
        this.spawn()
          .listen({ external: { host: this.listenHosts.external, port: ports.external }, 'cluster-local': { host: this.listenHosts['cluster-local'], port: ports['cluster-local'] } })
          .catch((err: Error) => console.error(`knit: a gateway thread could not start: ${err.message}`));
      });
    });
    return {
      listening,
      listen: (at) => {
        this.post(w, { t: 'listen', at });
        return listening;
      },
    };
  }

  private post(w: Worker, m: ToWorker): void {
    w.postMessage(m);
  }

  private broadcast(m: ToWorker): void {
    for (const w of this.workers) this.post(w, m);
  }

  private routesMessage(): ToWorker {
    const g = this.opts.gateways;
    return { t: 'routes', version: Atomics.load(this.opts.slots.cells.i32, ROUTES_VERSION), routes: this.opts.table.snapshot(), inProcess: { external: g.external.inProcessHosts(), 'cluster-local': g['cluster-local'].inProcessHosts() }, inProcessPorts: this.inProcessPorts };
  }

  /** Every revision, for a thread that starts (the version stays: nothing changed). */
  private fullEndpointsMessage(): ToWorker {
    const revisions = this.opts.endpoints();
    const live = new Set<string>();
    for (const r of revisions) for (const e of r.endpoints) live.add(e.id);
    for (const id of this.coldSeen.keys()) if (!live.has(id)) this.coldSeen.delete(id);
    return { t: 'endpoints', version: this.opts.slots.version, full: true, revisions, removed: [] };
  }

  /** The revisions whose endpoints changed, under the next version. */
  private changedEndpointsMessage(): ToWorker {
    const slots = this.opts.slots;
    slots.version++;
    const revisions: RevisionSnapshot[] = [];
    const removed: string[] = [];
    const live = new Set<string>();
    for (const key of this.endpointsChanged) {
      const r = this.opts.revision(key);
      if (!r) {
        removed.push(key);
        continue;
      }
      revisions.push(r);
      for (const e of r.endpoints) live.add(e.id);
    }
    for (const [id, key] of this.coldSeen) if (this.endpointsChanged.has(key) && !live.has(id)) this.coldSeen.delete(id);
    this.endpointsChanged.clear();
    return { t: 'endpoints', version: slots.version, full: false, revisions, removed };
  }

  /** The routing table or an in-process host changed: a new snapshot, once per turn of the event loop. */
  publishRoutes(): void {
    if (this.stopped) return;
    Atomics.add(this.opts.slots.cells.i32, ROUTES_VERSION, 1);
    if (this.routesPending) return;
    this.routesPending = true;
    setImmediate(() => {
      this.routesPending = false;
      this.broadcast(this.routesMessage());
    });
  }

  /**
   * Revision `key`'s endpoints changed, or it came or went: its new snapshot, with the others changed in the
   * same task (posted at once, so scale from zero waits no longer than it must). Only what changed is posted:
   * with every revision in each message, 100 instances starting at once spent half of the main thread
   * cloning snapshots.
   */
  publishEndpoints(key: string): void {
    if (this.stopped) return;
    const first = this.endpointsChanged.size === 0;
    this.endpointsChanged.add(key);
    if (!first) return;
    queueMicrotask(() => {
      if (this.endpointsChanged.size > 0 && !this.stopped) this.broadcast(this.changedEndpointsMessage());
    });
  }

  setHttpsPort(port: number | undefined): void {
    this.httpsPort = port;
    this.broadcast({ t: 'https', port });
  }

  private sweep(): void {
    let min = Infinity;
    for (const v of this.acked.values()) min = Math.min(min, v);
    if (min !== Infinity) this.opts.slots.sweep(min);
  }

  private observe(m: Extract<FromWorker, { t: 'obs' }>): void {
    const obs = this.opts.observer;
    if (!obs) return;
    const { keys, count, data } = m.requests;
    const recorders = keys.map((k) => obs(k));
    for (let i = 0, o = 0; i < count; i++, o += OBSERVATION_FIELDS) recorders[data[o]].request(data[o + 1], data[o + 2], data[o + 3], data[o + 4] === 1);
    for (const [key, ms, ep] of m.cold) {
      if (this.coldSeen.has(ep)) continue;
      this.coldSeen.set(ep, key);
      obs(key).coldStarted(ms, ep);
    }
  }

  /**
   * Every thread hands over the metrics of the requests it finished so far (a scrape then misses none);
   * resolves when all have, or after 500 ms.
   */
  flush(): Promise<void> {
    const live = this.workers.filter((w) => this.acked.has(w));
    if (live.length === 0 || this.stopped) return Promise.resolve();
    const id = ++this.flushId;
    return new Promise((resolve) => {
      const pending = new Set(live);
      const done = (): void => {
        clearTimeout(t);
        this.flushes.delete(id);
        resolve();
      };
      const t = setTimeout(done, 500);
      this.flushes.set(id, (w) => {
        pending.delete(w);
        if (pending.size === 0) done();
      });
      for (const w of live) this.post(w, { t: 'flush', id });
    });
  }

  /**
   * Posts the routing table as it is now and resolves once every thread has taken it (messages are taken in
   * order, and a flush is answered after them), or after 500 ms.
   */
  sync(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.broadcast(this.routesMessage());
    return this.flush();
  }

  stopAccepting(): void {
    this.broadcast({ t: 'stop-accepting' });
  }

  /** Closes every thread's listeners and connections, then ends the threads. */
  async close(): Promise<void> {
    this.stopped = true;
    this.opts.table.onChange = undefined;
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (!this.acked.has(w)) return resolve();
            const t = setTimeout(resolve, 5000);
            this.closed.set(w, () => {
              clearTimeout(t);
              resolve();
            });
            this.post(w, { t: 'close' });
          }),
      ),
    );
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * A gateway thread's handler for a host the main thread answers in-process (Eventing's broker ingress):
 * the request goes on to the main thread's loopback listener with the same method, path and headers.
 */
export function toMainThread(port: number, trusted: (addr: string | undefined) => boolean) {
  return (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse): void => {
    const authority = ('stream' in req ? (req.headers[':authority'] ?? req.headers.host) : req.headers.host) ?? '';
    const headers = forwardHeaders(req, String(authority), trusted(req.socket?.remoteAddress));
    headers.host = String(authority);
    const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: mainAgent });
    up.on('response', (ures) => {
      const h: http.OutgoingHttpHeaders = {};
      for (let i = 0; i < ures.rawHeaders.length; i += 2) {
        const name = ures.rawHeaders[i].toLowerCase();
        if (name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
        const prev = h[name];
        h[name] = prev === undefined ? ures.rawHeaders[i + 1] : Array.isArray(prev) ? [...prev, ures.rawHeaders[i + 1]] : [String(prev), ures.rawHeaders[i + 1]];
      }
      res.writeHead(ures.statusCode ?? 502, h);
      ures.pipe(res);
    });
    up.on('error', () => {
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('in-process host unavailable\n');
      }
    });
    res.once('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  };
}

const mainAgent = new http.Agent({ keepAlive: true });
