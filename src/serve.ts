// `knit serve`: wires the store, controllers, runtimes, gateway and API server into one process.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Store } from './store/store.ts';
import { RoutingTable } from './dataplane/routing.ts';
import { Gateway } from './dataplane/gateway.ts';
import { TrustedProxies } from './dataplane/forwarding.ts';
import { HttpsListener } from './dataplane/https.ts';
import { createCells, SlotAllocator } from './dataplane/shared.ts';
import { GatewayThreads } from './dataplane/threads.ts';
import { tlsSecret } from './controllers/domainmapping.ts';
import { EventingManager, EVENTING_CONTROLLERS } from './eventing/manager.ts';
import { RouteCertificates } from './controllers/certificates.ts';
import { InstanceManager } from './runtime/instances.ts';
import { ProcessRuntime } from './runtime/process.ts';
import { PodmanRuntime } from './runtime/podman.ts';
import { UnavailableRuntime } from './runtime/unavailable.ts';
import { GPU_INVENTORY_ENV, gpuInventory } from './runtime/gpu.ts';
import { detectCgroups, GatewayCgroup } from './runtime/cgroups.ts';
import { ControllerManager } from './controllers/manager.ts';
import { StoredEventRecorder } from './controllers/stored-events.ts';
import { Projector } from './controllers/projector.ts';
import { ApiServer } from './server/api.ts';
import { controllerFieldRecorder } from './server/rest.ts';
import { loadKnitSettings, loadServingConfig, loadTracingConfig } from './config-file.ts';
import { Autoscaler } from './autoscaler/kpa.ts';
import { apiHosts, ensureApiPki } from './kube/pki.ts';
import { kubeconfigYaml, writeKubeconfig } from './kube/kubeconfig.ts';
import { KnitMetrics } from './metrics/metrics.ts';
import { MetricsServer } from './metrics/server.ts';
import type { WorkQueue } from './controllers/queue.ts';
import { restoreIngresses } from './controllers/route/ingress.ts';
import { objectKey } from './controllers/names.ts';
import type { Configuration } from './api/types.ts';

/** How long, at most, the revisions routes send traffic to start before the others as knit starts again. */
const RESTART_PRIORITY_MS = 5000;

export interface ServeOptions {
  dataDir: string;
  /** External gateway HOST:PORT (`:0` picks a free port). */
  http: string;
  /** API HOST:PORT. */
  api: string;
  /** Cluster-local gateway HOST:PORT. */
  localHttp?: string;
  /** HTTPS gateway HOST:PORT for DomainMappings with spec.tls (off when omitted). */
  https?: string;
  /** Metrics listener HOST:PORT (default 127.0.0.1:9095, see docs/configuration.md "Metrics"). */
  metrics?: string;
  domain: string;
  /** Optional YAML file with Knative config-map keys (see docs/configuration.md). */
  configFile?: string;
  /** Optional GPU inventory file (docs/configuration.md "GPUs"); default $KNIT_GPU_INVENTORY, else the detected GPUs. */
  gpuInventory?: string;
  /** Print nothing (tests). */
  quiet?: boolean;
  /** Proxies whose Forwarded / X-Forwarded-* the gateways keep: comma-separated addresses and CIDR ranges. */
  trustedProxies?: string;
  /** Worker threads running the gateway (docs/architecture.md "Gateway threads"); 1 (default) keeps it on the main thread. */
  gatewayThreads?: number;
}

export interface Endpoints {
  api: string;
  http: string;
  localHttp: string;
  /** The HTTPS gateway, with `knit serve --https`. */
  https?: string;
  /** The Prometheus metrics URL (`http://HOST:PORT/metrics`). */
  metrics: string;
  pid: number;
}

/** A running knit. */
export interface Knit {
  endpoints: Endpoints;
  store: Store;
  controllers: ControllerManager;
  instances: InstanceManager;
  /** The pods, deployments, replicasets and services projected from knit's state. */
  projector: Projector;
  token: string;
  stop(): Promise<void>;
}

/** The metrics listener's default: loopback, beside Knative's 9090 (controllers, autoscaler, activator) and 9091 (queue-proxy). */
export const DEFAULT_METRICS = '127.0.0.1:9095';

/** How long a stopping knit waits for in-flight requests (queue-proxy's drain is 30 s). */
const DRAIN_TIMEOUT_MS = 30_000;

/** Splits `HOST:PORT` (`:PORT` means 127.0.0.1; `[::1]:PORT` for IPv6). */
export function parseHostPort(s: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s.trim());
  if (!m) throw new Error(`invalid ${flag} "${s}": want HOST:PORT, e.g. 127.0.0.1:8080 or :0`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid ${flag} "${s}": port out of range`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

function urlOf(host: string, port: number, scheme = 'http'): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** An address clients can dial for a listener bound to `host` (a wildcard bind is reached on loopback). */
function dialHost(host: string): string {
  return host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

/** Reads DATA_DIR/token, creating it (mode 0600) on first start. */
export function ensureToken(dataDir: string): string {
  const file = path.join(dataDir, 'token');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const token = randomBytes(32).toString('base64url');
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
    return token;
  }
}

/** Starts knit and resolves once every listener is up. */
export async function startKnit(opts: ServeOptions): Promise<Knit> {
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  const httpAddr = parseHostPort(opts.http, '--http');
  const apiAddr = parseHostPort(opts.api, '--api');
  const localAddr = parseHostPort(opts.localHttp ?? '127.0.0.1:8082', '--local-http');
  const metricsAddr = parseHostPort(opts.metrics ?? DEFAULT_METRICS, '--metrics');
  const config = loadServingConfig(opts.configFile);
  const tracingConfig = loadTracingConfig(opts.configFile);
  // The OpenTelemetry SDK is loaded only when config-observability turns tracing on.
  const tracing = tracingConfig.protocol === 'none' ? undefined : (await import('./tracing/tracing.ts')).Tracing.from(tracingConfig);
  config.network.domain = opts.domain;
  const httpsAddr = opts.https ? parseHostPort(opts.https, '--https') : undefined;
  config.network.gatewayHttps = httpsAddr !== undefined;
  const token = ensureToken(dataDir);
  const pki = ensureApiPki(dataDir, apiHosts(apiAddr.host));
  // config-network external-domain-tls: route certificates from the API's CA, presented by the HTTPS listener.
  if (config.network.externalDomainTLS && !httpsAddr) throw new Error('config: network: external-domain-tls is Enabled, which needs knit serve --https HOST:PORT');
  const routeCerts = httpsAddr && config.network.externalDomainTLS ? new RouteCertificates(path.join(dataDir, 'pki', 'routes'), { certPem: pki.caPem, keyPem: pki.caKeyPem }) : undefined;

  const store = new Store(path.join(dataDir, 'knit.db'));
  store.fieldRecorder = controllerFieldRecorder('controller');
  const containers = (await PodmanRuntime.available()) ? new PodmanRuntime() : new UnavailableRuntime();
  const gpus = gpuInventory(opts.gpuInventory ?? process.env[GPU_INVENTORY_ENV]);
  // Once: the process runtime's instance cgroups and, below, the gateway threads' cgroup.
  const cgroups = detectCgroups();
  const instances = new InstanceManager(dataDir, [new ProcessRuntime({ cgroups }), containers], loadKnitSettings(opts.configFile).instances, () => new Date(), gpus);
  const reaped = await instances.reapOrphans();
  // Gateway threads count in shared memory; the dispatchers must know before the first revision exists.
  // One gateway thread per core by default (docs/architecture.md "Gateway threads"); 0 keeps it on the main thread.
  const gatewayThreadCount = opts.gatewayThreads ?? defaultGatewayThreads();
  const slots = gatewayThreadCount >= 1 ? new SlotAllocator(createCells(true)) : undefined;
  // The gateway threads weigh as much as a storm of starting instances (runtime/cgroups.ts GatewayCgroup).
  const gatewayCgroup = slots && cgroups.ok ? GatewayCgroup.open(cgroups.hierarchy, instances.ownerTag) : undefined;
  if (slots) instances.useSharedCounters(slots);
  const table = new RoutingTable();
  // What the routes programmed last is served at once, and those revisions start first (docs/architecture.md "Restarts").
  const first = restoreIngresses(store, table);
  // The latest revision of each configuration is what its route is about to send traffic to.
  store.scan<Configuration>('configurations', undefined, (c) => {
    const latest = c.status?.latestCreatedRevisionName;
    if (latest) first.add(objectKey(c.metadata.namespace, latest));
  });
  instances.prioritizeRouted(first, RESTART_PRIORITY_MS);
  const autoscaler = new Autoscaler(config.autoscaler, instances);
  const metrics = new KnitMetrics({ instances, scaler: autoscaler, store });
  instances.requestObserver = (key) => metrics.observer(key);
  const events = new StoredEventRecorder(store);
  // What the Serving controllers and the Eventing manager both see.
  const controllerBase = { store, events, logDir: instances.logDir, now: () => new Date(), table, instances, autoscaler };
  const servingSettings = {
    domain: opts.domain,
    domainTemplate: config.network.domainTemplate,
    tagTemplate: config.network.tagTemplate,
    clusterDomain: config.network.clusterDomain,
    progressDeadlineSeconds: config.deployment.progressDeadlineSeconds,
    initialScale: config.autoscaler.initialScale,
    rolloutDurationSeconds: config.network.rolloutDurationSeconds,
    tagHeaderBasedRouting: config.network.tagHeaderBasedRouting,
  };
  const controllers = new ControllerManager({
    ...controllerBase,
    ...(routeCerts ? { certificates: routeCerts } : {}),
    settings: {
      ...servingSettings,
      autocreateClusterDomainClaims: config.network.autocreateClusterDomainClaims,
      httpsGateway: httpsAddr !== undefined,
      externalDomainTLS: config.network.externalDomainTLS,
      httpProtocol: config.network.httpProtocol,
      gc: config.gc,
    },
  });
  let localGateway: { host: string; port: number } | undefined;
  let apiUrl: string | undefined;
  const eventing = new EventingManager(
    {
      ...controllerBase,
      settings: servingSettings,
      dataDir,
      localGateway: () => localGateway,
      hostRouted: (host) => table.lookup('cluster-local', host) !== undefined,
      apiServer: () => apiUrl,
      serveLocal: (host, handler) => local.serveInProcess(host, handler),
      metrics: metrics.eventing,
    },
    EVENTING_CONTROLLERS,
  );
  for (const q of [controllers.services, controllers.configurations, controllers.revisions, controllers.routes]) q.observer = metrics.queue(q.name, () => q.depth);
  const metricsServer = new MetricsServer(metrics, token);
  const projector = new Projector({
    store,
    instances,
    now: () => new Date(),
    node: { nodeName: os.hostname(), hostIP: '127.0.0.1' },
    settings: { clusterDomain: config.network.clusterDomain, tagTemplate: config.network.tagTemplate, progressDeadlineSeconds: config.deployment.progressDeadlineSeconds },
  });
  const trustedProxies = TrustedProxies.parse(opts.trustedProxies);
  const external = new Gateway('external', table, instances, { trustedProxies });
  const local = new Gateway('cluster-local', table, instances, { trustedProxies });
  // DomainMapping spec.tls: the kubernetes.io/tls Secret named for the host SNI asks for; else a route's own certificate.
  const https = httpsAddr ? new HttpsListener(external, (servername) => tlsSecret(store, table.tlsFor(servername)) ?? routeCerts?.forHost(servername)) : undefined;
  external.tracing = local.tracing = tracing;
  const api = new ApiServer({ store, token, user: 'knit-admin', logDir: instances.logDir, config, tls: { cert: pki.certPem, key: pki.keyPem }, pods: projector, dashboardMetrics: (ns) => metrics.revisionSummary(ns), dashboardEventing: (ns) => metrics.eventing.summary(ns) });
  const started: { close(): Promise<void> }[] = [];
  const threads = slots
    ? new GatewayThreads({
        threads: gatewayThreadCount,
        slots,
        queueLimit: instances.queue.limit,
        table,
        gateways: { external, 'cluster-local': local },
        endpoints: () => instances.endpointSnapshot(),
        revision: (key) => instances.revisionSnapshot(key),
        onDemand: (key) => instances.onDemand(key),
        observer: instances.requestObserver,
        trustedProxies: opts.trustedProxies,
        tracing: tracingConfig,
        cpuCgroup: gatewayCgroup?.dir,
      })
    : undefined;
  try {
    let ea: { port: number };
    let la: { port: number };
    started.push(external, local);
    if (threads) {
      // The gateway threads own the gateway ports; the main thread's gateways serve HTTPS and, on loopback, in-process hosts.
      started.push(threads);
      instances.onEndpoints = (key) => threads.publishEndpoints(key);
      metrics.beforeScrape = () => threads.flush();
      const ports = await threads.start({ external: httpAddr, 'cluster-local': localAddr });
      ea = { port: ports.external };
      la = { port: ports['cluster-local'] };
    } else {
      ea = await external.listen(httpAddr.host, httpAddr.port);
      la = await local.listen(localAddr.host, localAddr.port);
    }
    const ha = https && httpsAddr ? await https.listen(httpsAddr.host, httpsAddr.port) : undefined;
    if (ha) external.httpsPort = ha.port;
    if (ha) threads?.setHttpsPort(ha.port);
    if (https) started.push(https);
    const ma = await metricsServer.listen(metricsAddr.host, metricsAddr.port);
    started.push(metricsServer);
    events.start();
    projector.setGateways({ external: { ip: dialHost(httpAddr.host), port: ea.port }, local: { ip: dialHost(localAddr.host), port: la.port } });
    localGateway = { host: dialHost(localAddr.host), port: la.port };
    controllers.start();
    eventing.start();
    projector.start();
    const aa = await api.listen(apiAddr.host, apiAddr.port);
    // Ready once the Eventing controllers' first pass settled (the hosts of brokers' ingress and channels are
    // served in-process once reconciled) and the gateway threads route by the result, as Knative's broker
    // ingress is ready once its informers synced. (Serving's queues are not waited for: after a restart its
    // revisions keep them busy while their instances start.)
    await settleQueues(eventing.queues(), STARTUP_SETTLE_MS);
    await threads?.sync();
    started.push(api);
    apiUrl = urlOf(dialHost(apiAddr.host), aa.port, 'https');
    void metrics.start(); // the Node.js process metrics, off the start-up path
    const endpoints: Endpoints = {
      api: urlOf(dialHost(apiAddr.host), aa.port, 'https'),
      http: urlOf(httpAddr.host, ea.port),
      localHttp: urlOf(localAddr.host, la.port),
      ...(ha && httpsAddr ? { https: urlOf(httpsAddr.host, ha.port, 'https') } : {}),
      metrics: `${urlOf(dialHost(metricsAddr.host), ma.port)}/metrics`,
      pid: process.pid,
    };
    if (!opts.quiet && reaped > 0) console.log(`knit: stopped ${reaped} instance(s) left by a previous run`);
    writeKubeconfig(path.join(dataDir, 'kubeconfig'), kubeconfigYaml({ server: endpoints.api, caPem: pki.caPem, token }));
    fs.writeFileSync(path.join(dataDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        // Drain as the queue-proxy does on SIGTERM (knative/serving pkg/queue/sharedmain/main.go): no new connections,
        // in-flight and queued requests finish, then stop.
        external.stopAccepting();
        local.stopAccepting();
        threads?.stopAccepting();
        https?.stopAccepting();
        await api.close();
        await instances.drained(DRAIN_TIMEOUT_MS);
        controllers.stop();
        await eventing.stop();
        projector.stop();
        await Promise.all([external.close(), local.close(), threads?.close(), https?.close(), metricsServer.close()]);
        await gatewayCgroup?.remove();
        await instances.stopAll();
        await tracing?.shutdown();
        events.stop();
        store.close();
      })();
      return stopping;
    };
    return { endpoints, store, controllers, instances, projector, token, stop };
  } catch (err) {
    controllers.stop();
    await eventing.stop();
    projector.stop();
    await Promise.all(started.map((s) => s.close()));
    await gatewayCgroup?.remove();
    await tracing?.shutdown();
    events.stop();
    store.close();
    throw err;
  }
}

/** Runs `knit serve` until SIGINT or SIGTERM. */
export async function runServe(opts: ServeOptions): Promise<void> {
  const knit = await startKnit(opts);
  const e = knit.endpoints;
  if (!opts.quiet) {
    const home = os.homedir();
    const dd = path.resolve(opts.dataDir);
    // Paths that work when pasted in this terminal (npm start runs from the repository).
    const repo = path.resolve(import.meta.dirname, '..');
    const rel = (p: string): string => {
      const r = path.relative(process.cwd(), p);
      return r.startsWith('..') ? p : r.startsWith('.') ? r : `./${r}`;
    };
    const cli = process.env.PATH?.split(':').some((d) => fs.existsSync(path.join(d, 'knit'))) ? 'knit' : rel(path.join(repo, 'bin', 'knit')).replace(/^\.\//, '');
    console.log(`knit is serving Knative Services on one machine
  gateway:        ${e.http}   (curl -H 'Host: NAME.default.${opts.domain}' ${e.http})
  cluster-local:  ${e.localHttp}
  metrics:        ${e.metrics}   (Prometheus)${e.https ? `
  https:          ${e.https}   (domain mappings with a TLS Secret)` : ''}
  API:            ${e.api}   (HTTPS; CA and token in the kubeconfig below)
  data:           ${dd.startsWith(home) ? `~${dd.slice(home.length)}` : dd}

Try:
  ${cli} service create hello --image ${rel(path.join(repo, 'examples', 'helloworld'))} --env TARGET=knit
  curl -H 'Host: hello.default.${opts.domain}' ${e.http}

kubectl and the Kubernetes client libraries:
  export KUBECONFIG=${path.join(dd, 'kubeconfig')}
  kubectl get ksvc
`);
  }
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      if (!opts.quiet) console.log(`knit: ${sig} received, stopping`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void knit.stop().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** `--gateway-threads`' default: one per core the process may use. */
export function defaultGatewayThreads(): number {
  return Math.max(1, os.availableParallelism());
}

/** How long start-up waits for the Eventing controllers' first pass over the store (settleQueues). */
const STARTUP_SETTLE_MS = 1000;

/** Resolves once every queue is idle at the same time (one reconcile enqueues the next kind's), or after `timeoutMs`. */
async function settleQueues(queues: WorkQueue[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    await Promise.all(queues.map((q) => q.settled(left)));
    // A reconcile that ended last may have enqueued another queue's key: look once more on the next turn.
    await new Promise((r) => setImmediate(r));
    if (queues.every((q) => q.idle)) return;
  }
}
