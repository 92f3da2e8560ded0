// Test helper: a tiny in-memory serving.knative.dev/v1 API server (REST + watch) with a toy reconciler, for CLI tests.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Condition, Revision, Route, Service, TrafficTarget } from '../../src/api/types.ts';

type Obj = { apiVersion?: string; kind?: string; metadata: Record<string, unknown> & { name?: string; namespace?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string> }; spec?: unknown; status?: unknown };

const KINDS: Record<string, string> = { services: 'Service', configurations: 'Configuration', revisions: 'Revision', routes: 'Route' };
const PLURAL: Record<string, string> = { services: 'services', configurations: 'configurations', revisions: 'revisions', routes: 'routes' };

interface Watcher {
  resource: string;
  namespace?: string;
  name?: string;
  res: ServerResponse;
}

/** One request as the fake saw it (for assertions). */
export interface SeenRequest {
  method: string;
  url: string;
  body?: unknown;
  authorization?: string;
}

/** Options of the fake. */
export interface FakeApiOptions {
  /** Milliseconds between the reconcile steps of a new generation (0 disables the toy reconciler). */
  reconcileDelayMs?: number;
  domain?: string;
  /** Milliseconds before the Configuration of a new service appears (0: at once). */
  configurationDelayMs?: number;
}

/** The fake server; `url` is its base URL. */
export class FakeApi {
  readonly requests: SeenRequest[] = [];
  url = '';
  private readonly server: Server;
  private readonly store = new Map<string, Obj>();
  private readonly watchers = new Set<Watcher>();
  private rv = 1;
  private readonly opts: Required<FakeApiOptions>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly templates = new Map<string, string>();
  private readonly configGenerations = new Map<string, number>();

  constructor(opts: FakeApiOptions = {}) {
    this.opts = { reconcileDelayMs: 20, domain: 'example.com', configurationDelayMs: 0, ...opts };
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const w of this.watchers) w.res.end();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Puts an object into the store as is (fixtures). */
  put(resource: string, obj: Obj): void {
    obj.metadata.resourceVersion = String(++this.rv);
    this.store.set(this.key(resource, obj.metadata.namespace ?? 'default', obj.metadata.name ?? ''), obj);
  }

  get(resource: string, namespace: string, name: string): Obj | undefined {
    return this.store.get(this.key(resource, namespace, name));
  }

  private key(resource: string, ns: string, name: string): string {
    return `${resource}/${ns}/${name}`;
  }

  private notFound(res: ServerResponse, resource: string, name: string): void {
    this.send(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `${resource}.serving.knative.dev "${name}" not found`, reason: 'NotFound', code: 404 });
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', body, authorization: req.headers.authorization });
    const m = /^\/apis\/serving\.knative\.dev\/v1(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m || !PLURAL[m[2]]) {
      this.send(res, 404, { kind: 'Status', status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 });
      return;
    }
    const ns = m[1] ? decodeURIComponent(m[1]) : undefined;
    const resource = m[2];
    const name = m[3] ? decodeURIComponent(m[3]) : undefined;
    const method = req.method ?? 'GET';

    if (method === 'GET' && !name) {
      const field = url.searchParams.get('fieldSelector') ?? '';
      const label = url.searchParams.get('labelSelector') ?? '';
      const byName = /^metadata\.name=(.*)$/.exec(field)?.[1];
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.flushHeaders();
        const w: Watcher = { resource, namespace: ns, name: byName, res };
        this.watchers.add(w);
        req.on('close', () => this.watchers.delete(w));
        return;
      }
      const items = [...this.store.entries()]
        .filter(([k]) => k.startsWith(`${resource}/${ns === undefined ? '' : ns + '/'}`))
        .map(([, v]) => v)
        .filter((o) => byName === undefined || o.metadata.name === byName)
        .filter((o) => {
          if (!label) return true;
          const [lk, lv] = label.split('=');
          return o.metadata.labels?.[lk] === lv;
        });
      this.send(res, 200, { kind: `${KINDS[resource]}List`, apiVersion: 'serving.knative.dev/v1', metadata: { resourceVersion: String(this.rv) }, items });
      return;
    }
    const namespace = ns ?? 'default';
    if (method === 'POST') {
      const obj = body as Obj;
      const objName = obj.metadata?.name ?? '';
      if (this.get(resource, namespace, objName)) {
        this.send(res, 409, { kind: 'Status', status: 'Failure', message: `${resource}.serving.knative.dev "${objName}" already exists`, reason: 'AlreadyExists', code: 409 });
        return;
      }
      obj.metadata.namespace = namespace;
      obj.metadata.generation = 1;
      if (resource === 'services') defaultTraffic(obj);
      obj.metadata.uid = `uid-${objName}`;
      obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      this.put(resource, obj);
      this.emit(resource, 'ADDED', obj);
      this.send(res, 201, obj);
      if (resource === 'services') {
        // As Serving's service controller: a Configuration named after the service, owned by it.
        const config: Obj = {
          apiVersion: 'serving.knative.dev/v1',
          kind: 'Configuration',
          metadata: {
            name: objName,
            namespace,
            uid: `uid-config-${objName}`,
            generation: 1,
            labels: { 'serving.knative.dev/service': objName },
            ownerReferences: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: objName, uid: obj.metadata.uid, controller: true }],
          },
          spec: { template: (obj.spec as { template?: unknown } | undefined)?.template },
        };
        if (this.opts.configurationDelayMs > 0) this.later(() => this.put('configurations', config), this.opts.configurationDelayMs);
        else this.put('configurations', config);
        this.reconcile(namespace, objName);
      }
      return;
    }
    if (!name) {
      this.send(res, 405, { kind: 'Status', status: 'Failure', message: 'method not allowed', code: 405 });
      return;
    }
    const current = this.get(resource, namespace, name);
    if (!current) {
      this.notFound(res, resource, name);
      return;
    }
    if (method === 'GET') {
      this.send(res, 200, current);
      return;
    }
    if (method === 'PUT' || method === 'PATCH') {
      let next: Obj;
      if (method === 'PUT') {
        next = body as Obj;
        if (next.metadata.resourceVersion !== current.metadata.resourceVersion) {
          this.send(res, 409, { kind: 'Status', status: 'Failure', message: `Operation cannot be fulfilled on ${resource}.serving.knative.dev "${name}": the object has been modified; please apply your changes to the latest version and try again`, reason: 'Conflict', code: 409 });
          return;
        }
      } else {
        next = mergePatch(structuredClone(current), body) as Obj;
      }
      next.metadata = { ...next.metadata, namespace, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp };
      if (resource === 'services') defaultTraffic(next);
      const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
      next.metadata.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
      next.status = current.status;
      this.put(resource, next);
      this.emit(resource, 'MODIFIED', next);
      this.send(res, 200, next);
      if (resource === 'services' && specChanged) this.reconcile(namespace, name);
      return;
    }
    if (method === 'DELETE') {
      this.store.delete(this.key(resource, namespace, name));
      this.emit(resource, 'DELETED', current);
      if (resource === 'services') {
        for (const r of ['revisions', 'routes', 'configurations']) {
          for (const [k, v] of [...this.store.entries()]) {
            if (k.startsWith(`${r}/${namespace}/`) && v.metadata.labels?.['serving.knative.dev/service'] === name) {
              this.store.delete(k);
              this.emit(r, 'DELETED', v);
            }
          }
        }
      }
      this.send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, kind: resource } });
      return;
    }
    this.send(res, 405, { kind: 'Status', status: 'Failure', message: 'method not allowed', code: 405 });
  }

  private emit(resource: string, type: string, obj: Obj): void {
    for (const w of this.watchers) {
      if (w.resource !== resource) continue;
      if (w.namespace !== undefined && w.namespace !== obj.metadata.namespace) continue;
      if (w.name !== undefined && w.name !== obj.metadata.name) continue;
      w.res.write(JSON.stringify({ type, object: obj }) + '\n');
    }
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private modify(ns: string, name: string, fn: (s: Service) => void): void {
    const svc = this.get('services', ns, name) as Service | undefined;
    if (!svc) return;
    fn(svc);
    this.put('services', svc as Obj);
    this.emit('services', 'MODIFIED', svc as Obj);
  }

  /** A toy reconciler: a progress message, then a revision and Ready=True (or RevisionFailed for images containing "fail"). */
  private reconcile(ns: string, name: string): void {
    const delay = this.opts.reconcileDelayMs;
    if (delay <= 0) return;
    const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const cond = (type: string, status: Condition['status'], reason?: string, message?: string): Condition => ({ type, status, lastTransitionTime: now(), ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
    this.later(() => {
      this.modify(ns, name, (svc) => {
        svc.status = {
          ...(svc.status ?? {}),
          observedGeneration: svc.metadata.generation,
          conditions: [
            cond('Ready', 'Unknown', 'RevisionMissing', `Configuration "${name}" is waiting for a Revision to become ready.`),
            cond('ConfigurationsReady', 'Unknown', 'RevisionMissing', `Configuration "${name}" is waiting for a Revision to become ready.`),
            cond('RoutesReady', 'Unknown', 'RevisionMissing', `Configuration "${name}" is waiting for a Revision to become ready.`),
          ],
        };
      });
      this.later(() => {
        const svc = this.get('services', ns, name) as Service | undefined;
        if (!svc) return;
        // A new revision only when the template changed (traffic-only updates keep the latest one).
        const template = JSON.stringify(svc.spec.template);
        const templateChanged = this.templates.get(`${ns}/${name}`) !== template;
        this.templates.set(`${ns}/${name}`, template);
        if (templateChanged) this.configGenerations.set(`${ns}/${name}`, (this.configGenerations.get(`${ns}/${name}`) ?? 0) + 1);
        const gen = this.configGenerations.get(`${ns}/${name}`) ?? 1;
        const revName = svc.spec.template.metadata?.name || `${name}-${String(gen).padStart(5, '0')}`;
        const image = svc.spec.template.spec.containers[0]?.image ?? '';
        const failed = image.includes('fail');
        const rev: Revision = {
          apiVersion: 'serving.knative.dev/v1',
          kind: 'Revision',
          metadata: {
            name: revName,
            namespace: ns,
            generation: 1,
            creationTimestamp: now(),
            labels: {
              'serving.knative.dev/service': name,
              'serving.knative.dev/configuration': name,
              'serving.knative.dev/configurationGeneration': String(gen),
              'serving.knative.dev/routingState': 'active',
            },
            annotations: { ...(svc.spec.template.metadata?.annotations ?? {}) },
          },
          spec: svc.spec.template.spec,
          status: {
            observedGeneration: 1,
            actualReplicas: failed ? 0 : 1,
            desiredReplicas: failed ? 0 : 1,
            conditions: failed
              ? [cond('Ready', 'Unknown', 'Deploying'), cond('ContainerHealthy', 'Unknown', 'Deploying')]
              : [cond('Ready', 'True'), cond('Active', 'True'), cond('ContainerHealthy', 'True'), cond('ResourcesAvailable', 'True')],
          },
        };
        if (templateChanged) {
          this.put('revisions', rev as Obj);
          this.emit('revisions', 'ADDED', rev as Obj);
        }
        this.modify(ns, name, (s) => {
          const url = `http://${name}.${ns}.${this.opts.domain}`;
          if (failed) {
            // As knit's controllers do: the route's RevisionMissing reaches Ready first, the root cause follows.
            const missing = `Configuration "${name}" does not have any ready Revision.`;
            s.status = { ...s.status, observedGeneration: s.metadata.generation, latestCreatedRevisionName: revName, conditions: [cond('Ready', 'False', 'RevisionMissing', missing), cond('ConfigurationsReady', 'Unknown'), cond('RoutesReady', 'False', 'RevisionMissing', missing)] };
            this.later(() => {
              const r = this.get('revisions', ns, revName) as Revision | undefined;
              if (r?.status) r.status.conditions = [cond('Ready', 'False', 'ExitCode1', 'Container failed with: exit status 1'), cond('ContainerHealthy', 'False', 'ExitCode1', 'Container failed with: exit status 1')];
              const msg = `Revision "${revName}" failed with message: Container failed with: exit status 1.`;
              this.modify(ns, name, (s2) => {
                s2.status!.conditions = [cond('Ready', 'False', 'RevisionMissing', missing), cond('ConfigurationsReady', 'False', 'RevisionFailed', msg), cond('RoutesReady', 'False', 'RevisionMissing', missing)];
              });
            }, delay * 3);
            return;
          }
          const spec: TrafficTarget[] = s.spec.traffic ?? [{ latestRevision: true, percent: 100 }];
          const traffic = spec.map((t) => ({ ...t, revisionName: t.latestRevision ? revName : t.revisionName, ...(t.tag ? { url: `http://${t.tag}-${name}.${ns}.${this.opts.domain}` } : {}) }));
          s.status = {
            observedGeneration: s.metadata.generation,
            latestCreatedRevisionName: revName,
            latestReadyRevisionName: revName,
            url,
            address: { url: `http://${name}.${ns}.svc.cluster.local` },
            traffic,
            conditions: [cond('Ready', 'True'), cond('ConfigurationsReady', 'True'), cond('RoutesReady', 'True')],
          };
          const route: Route = {
            apiVersion: 'serving.knative.dev/v1',
            kind: 'Route',
            metadata: { name, namespace: ns, labels: { 'serving.knative.dev/service': name }, ownerReferences: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name, uid: `uid-${name}` }], creationTimestamp: s.metadata.creationTimestamp },
            spec: { traffic: spec },
            status: { url, traffic, conditions: [cond('Ready', 'True'), cond('AllTrafficAssigned', 'True'), cond('IngressReady', 'True')] },
          };
          this.put('routes', route as Obj);
        });
      }, delay);
    }, delay);
  }
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Serving's defaulting of Service spec.traffic: everything to the latest revision. */
function defaultTraffic(obj: Obj): void {
  const spec = obj.spec as { traffic?: TrafficTarget[] } | undefined;
  if (spec && (!spec.traffic || spec.traffic.length === 0)) spec.traffic = [{ latestRevision: true, percent: 100 }];
}
