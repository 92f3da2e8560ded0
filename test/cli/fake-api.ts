// Test helper for CLI tests: a tiny in-memory serving.knative.dev/v1 API server (REST + watch) that records every
// request and answers with the objects a test put in; no controllers run (wait and progress run against a real
// `knit serve`, see test/e2e-cli.test.ts).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mergePatch, type JSONValue } from '../../src/kube/json-safety.ts';

type Obj = { apiVersion?: string; kind?: string; metadata: Record<string, unknown> & { name?: string; namespace?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string> }; spec?: unknown; status?: unknown };

const KINDS: Record<string, string> = { services: 'Service', configurations: 'Configuration', revisions: 'Revision', routes: 'Route' };

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

/** The fake server; `url` is its base URL. */
export class FakeApi {
  readonly requests: SeenRequest[] = [];
  url = '';
  /** Called after each answer (a test plays a controller here, e.g. creates the Configuration of a new Service). */
  afterAnswer: ((req: SeenRequest, status: number) => void) | undefined;
  private readonly server: Server;
  private readonly store = new Map<string, Obj>();
  private readonly watchers = new Set<Watcher>();
  private rv = 1;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Puts an object into the store as is (fixtures, or what a controller would write); watchers see the change. */
  put(resource: string, obj: Obj): void {
    const key = this.key(resource, obj.metadata.namespace ?? 'default', obj.metadata.name ?? '');
    const type = this.store.has(key) ? 'MODIFIED' : 'ADDED';
    obj.metadata.resourceVersion = String(++this.rv);
    this.store.set(key, obj);
    this.emit(resource, type, obj);
  }

  /** Puts a copy of each object (the originals stay as they are for other tests). */
  putAll(objects: readonly (readonly [resource: string, obj: object])[]): void {
    for (const [resource, obj] of objects) this.put(resource, structuredClone(obj) as Obj);
  }

  get(resource: string, namespace: string, name: string): Obj | undefined {
    return this.store.get(this.key(resource, namespace, name));
  }

  private key(resource: string, ns: string, name: string): string {
    return `${resource}/${ns}/${name}`;
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private failure(res: ServerResponse, code: number, reason: string, message: string): void {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
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
    const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', body, authorization: req.headers.authorization };
    this.requests.push(seen);
    this.answer(req, res, url, body);
    this.afterAnswer?.(seen, res.statusCode);
  }

  private answer(req: IncomingMessage, res: ServerResponse, url: URL, body: unknown): void {
    const m = /^\/apis\/serving\.knative\.dev\/v1(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m || !KINDS[m[2]]) {
      this.failure(res, 404, 'NotFound', 'the server could not find the requested resource');
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
        this.failure(res, 409, 'AlreadyExists', `${resource}.serving.knative.dev "${objName}" already exists`);
        return;
      }
      obj.metadata.namespace = namespace;
      obj.metadata.generation = 1;
      obj.metadata.uid = `uid-${objName}`;
      obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      this.put(resource, obj);
      this.send(res, 201, obj);
      return;
    }
    if (!name) {
      this.failure(res, 405, 'MethodNotAllowed', 'method not allowed');
      return;
    }
    const current = this.get(resource, namespace, name);
    if (!current) {
      this.failure(res, 404, 'NotFound', `${resource}.serving.knative.dev "${name}" not found`);
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
          this.failure(res, 409, 'Conflict', `Operation cannot be fulfilled on ${resource}.serving.knative.dev "${name}": the object has been modified; please apply your changes to the latest version and try again`);
          return;
        }
      } else {
        next = mergePatch(structuredClone(current) as unknown as JSONValue, body as JSONValue) as unknown as Obj;
      }
      next.metadata = { ...next.metadata, namespace, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp };
      // As the API server does: a spec change bumps metadata.generation; status stays the controllers' business.
      const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
      next.metadata.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
      next.status = current.status;
      this.put(resource, next);
      this.send(res, 200, next);
      return;
    }
    if (method === 'DELETE') {
      this.store.delete(this.key(resource, namespace, name));
      this.emit(resource, 'DELETED', current);
      this.send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, kind: resource } });
      return;
    }
    this.failure(res, 405, 'MethodNotAllowed', 'method not allowed');
  }

  private emit(resource: string, type: string, obj: Obj): void {
    for (const w of this.watchers) {
      if (w.resource !== resource) continue;
      if (w.namespace !== undefined && w.namespace !== obj.metadata.namespace) continue;
      if (w.name !== undefined && w.name !== obj.metadata.name) continue;
      w.res.write(JSON.stringify({ type, object: obj }) + '\n');
    }
  }
}
