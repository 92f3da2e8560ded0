// One gateway thread (docs/architecture.md "Gateway threads"): both gateway listeners on the shared
// ports, its own copy of the routing table and of every revision's dispatcher and endpoints (from the
// main thread's snapshots), counting in the shared memory. It never spawns, probes or reconciles:
// demand for a revision without instances goes to the main thread as a message.

import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Endpoint, QueueBound, RevisionDispatcher, type RequestObserver } from './dispatcher.ts';
import { Gateway } from './gateway.ts';
import { RoutingTable } from './routing.ts';
import { TrustedProxies } from './forwarding.ts';
import { joinThreadToCgroup } from '../runtime/cgroups.ts';
import { endpointCell, revisionBase, ROUTES_VERSION, SharedConcurrencyStats, viewsOf } from './shared.ts';
import { OBSERVATION_FIELDS, toMainThread, type FromWorker, type Listener, type RevisionSnapshot, type ToWorker, type WorkerInit } from './threads.ts';
import type { Tracing } from '../tracing/tracing.ts';

const init = workerData as WorkerInit;
const port = parentPort!;

/**
 * The data plane before the control plane: this thread (setpriority of the calling thread only, which is what
 * Linux does for PRIO_PROCESS with 0) runs at a lower nice value than knit's main thread, so that where both
 * want the CPU — a burst of cold starts being reconciled, spawned and probed — requests are served first.
 * Nice values only weigh threads against each other inside one scheduling group; they take nothing from other
 * processes. Where the threads have a cpu cgroup of their own (below) the main thread is not in their group and
 * the cgroup's weight is what counts; elsewhere (cgroup v2, not root) this is what puts requests first. Raising a
 * priority needs CAP_SYS_NICE: without it the thread stays at knit's nice value.
 */
export const GATEWAY_THREAD_NICE = -5;
try {
  os.setPriority(GATEWAY_THREAD_NICE);
} catch {
  // not permitted here: same priority as the main thread
}
// The data plane beside the instances, not under knit's main thread (runtime/cgroups.ts GatewayCgroup).
if (init.cpuCgroup && !joinThreadToCgroup(init.cpuCgroup)) console.error(`knit: a gateway thread could not join cgroup ${init.cpuCgroup}; it runs in knit's`);
const post = (m: FromWorker): void => port.postMessage(m);

const cells = viewsOf(init.buffer, init.epochMs);
const bound = new QueueBound(init.queueLimit, cells);
const table = new RoutingTable();
const revisions = new Map<string, { d: RevisionDispatcher; slot: number; eps: Map<string, Endpoint> }>();
const lookup = { dispatcher: (key: string) => revisions.get(key)?.d };
const trustedProxies = TrustedProxies.parse(init.trustedProxies);
const gateways: Record<Listener, Gateway> = {
  external: new Gateway('external', table, lookup, { trustedProxies }),
  'cluster-local': new Gateway('cluster-local', table, lookup, { trustedProxies }),
};
let tracing: Tracing | undefined;

/** The routing version this thread's table is at, and the requests waiting for a newer one (Gateway.routesBehind). */
let routesApplied = 0;
let routesWaiters: { version: number; wake: () => void }[] = [];
/** How long a request for a host this thread does not know waits for a snapshot that is on its way. */
const ROUTES_WAIT_MS = 2000;
function routesBehind(): Promise<void> | undefined {
  const version = Atomics.load(cells.i32, ROUTES_VERSION);
  if (version <= routesApplied) return undefined;
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ROUTES_WAIT_MS);
    routesWaiters.push({ version, wake: () => (clearTimeout(t), resolve()) });
  });
}
function routesTaken(version: number): void {
  routesApplied = Math.max(routesApplied, version);
  const still: typeof routesWaiters = [];
  for (const w of routesWaiters) (w.version <= routesApplied ? w.wake() : still.push(w));
  routesWaiters = still;
}
for (const g of Object.values(gateways)) g.routesBehind = routesBehind;

// Metrics: requests are batched to the main thread, which owns the Prometheus registry.
const BATCH = 2000;
let data = new Float64Array(BATCH * OBSERVATION_FIELDS);
let count = 0;
let keys: string[] = [];
/** Bumped per batch: an observer whose batch differs has no index in `keys` yet. */
let batch = 0;
let cold: [string, number, string][] = [];
let flushTimer: NodeJS.Timeout | undefined;
function flush(): void {
  flushTimer = undefined;
  if (count === 0 && cold.length === 0) return;
  const m: FromWorker = { t: 'obs', requests: { keys, count, data }, cold };
  port.postMessage(m, [data.buffer]);
  data = new Float64Array(BATCH * OBSERVATION_FIELDS);
  count = 0;
  keys = [];
  batch++;
  cold = [];
}
function later(): void {
  if (count >= BATCH) flush();
  else flushTimer ??= setTimeout(flush, 100);
}
function observer(key: string): RequestObserver {
  let inBatch = -1;
  let index = 0;
  return {
    request(status, totalMs, appMs, queued) {
      if (inBatch !== batch) {
        inBatch = batch;
        index = keys.length;
        keys.push(key);
      }
      const o = count++ * OBSERVATION_FIELDS;
      data[o] = index;
      data[o + 1] = status;
      data[o + 2] = totalMs;
      data[o + 3] = appMs;
      data[o + 4] = queued ? 1 : 0;
      later();
    },
    coldStarted(ms, endpointId) {
      cold.push([key, ms, endpointId]);
      later();
    },
  };
}

/** An endpoint left the snapshot: its pooled connections close once no thread has a request on it. */
function closeWhenIdle(ep: Endpoint, timeoutMs: number): void {
  const deadline = Date.now() + (timeoutMs > 0 ? timeoutMs : 300_000);
  const check = (): void => {
    if (ep.inFlight <= 0 || Date.now() >= deadline) ep.close();
    else setTimeout(check, 50).unref();
  };
  check();
}

/** An endpoints message: each revision in `list` whole; the others gone (`full`) or as they were but `removed`. */
function applyEndpoints(list: RevisionSnapshot[], full: boolean, removed: string[]): void {
  const seen = new Set<string>();
  for (const r of list) {
    seen.add(r.key);
    let e = revisions.get(r.key);
    if (e && e.slot !== r.slot) {
      // The revision was removed and created again between two snapshots: its old slot is retired.
      revisions.delete(r.key);
      e.d.close();
      e = undefined;
    }
    if (!e) {
      const d = new RevisionDispatcher(r.key, r.settings, bound, { i32: cells.i32, base: revisionBase(r.slot), shared: true, stats: new SharedConcurrencyStats(cells, r.slot) });
      const key = r.key;
      d.onDemand = () => post({ t: 'demand', key });
      if (init.metrics) d.observer = observer(key);
      e = { d, slot: r.slot, eps: new Map() };
      revisions.set(r.key, e);
    }
    const next: Endpoint[] = [];
    const ids = new Set<string>();
    for (const x of r.endpoints) {
      const id = `${x.id}#${x.slot}`;
      let ep = e.eps.get(id);
      if (!ep) {
        ep = new Endpoint(x.id, x.host, x.port, { i32: cells.i32, index: endpointCell(x.slot) });
        e.eps.set(id, ep);
      }
      next.push(ep);
      ids.add(id);
    }
    for (const [id, ep] of e.eps) {
      if (ids.has(id)) continue;
      e.eps.delete(id);
      closeWhenIdle(ep, r.settings.timeouts.totalMs);
    }
    e.d.setEndpoints(next);
  }
  const gone = full ? [...revisions.keys()].filter((k) => !seen.has(k)) : removed;
  for (const key of gone) {
    const e = revisions.get(key);
    if (!e) continue;
    revisions.delete(key);
    e.d.close();
  }
}

const inProcess: Record<Listener, Map<string, () => void>> = { external: new Map(), 'cluster-local': new Map() };
function applyInProcess(hosts: Record<Listener, string[]>, ports: Record<Listener, number>): void {
  for (const l of ['external', 'cluster-local'] as const) {
    const want = new Set(hosts[l]);
    const have = inProcess[l];
    for (const [h, remove] of have) {
      if (want.has(h)) continue;
      remove();
      have.delete(h);
    }
    for (const h of want) {
      if (have.has(h)) continue;
      have.set(h, gateways[l].serveInProcess(h, toMainThread(ports[l], (a) => trustedProxies.trusts(a))));
    }
  }
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'routes':
      table.restore(m.routes);
      applyInProcess(m.inProcess, m.inProcessPorts);
      routesTaken(m.version);
      break;
    case 'endpoints':
      applyEndpoints(m.revisions, m.full, m.removed);
      post({ t: 'ack', version: m.version });
      break;
    case 'listen':
      void listenOn(m.at);
      break;
    case 'https':
      gateways.external.httpsPort = m.port;
      break;
    case 'flush':
      if (flushTimer) clearTimeout(flushTimer);
      flush();
      post({ t: 'flushed', id: m.id });
      break;
    case 'stop-accepting':
      gateways.external.stopAccepting();
      gateways['cluster-local'].stopAccepting();
      break;
    case 'close':
      void (async () => {
        for (const { d } of revisions.values()) d.close();
        await Promise.all([gateways.external.close(), gateways['cluster-local'].close()]);
        if (flushTimer) clearTimeout(flushTimer);
        flush();
        await tracing?.shutdown();
        post({ t: 'closed' });
        port.close();
      })();
      break;
  }
});

// Tracing (its SDK) loads while the thread waits for its addresses.
const tracingReady = (async () => {
  if (init.tracing.protocol === 'none') return;
  tracing = (await import('../tracing/tracing.ts')).Tracing.from(init.tracing);
  gateways.external.tracing = gateways['cluster-local'].tracing = tracing;
})();

async function listenOn(at: Record<Listener, { host: string; port: number }>): Promise<void> {
  try {
    await tracingReady;
    const ea = await gateways.external.listen(at.external.host, at.external.port, true);
    const la = await gateways['cluster-local'].listen(at['cluster-local'].host, at['cluster-local'].port, true);
    post({ t: 'listening', ports: { external: ea.port, 'cluster-local': la.port } });
  } catch (err) {
    post({ t: 'error', message: (err as Error).message });
  }
}
