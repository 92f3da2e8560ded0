// The API server: Kubernetes-style REST (list, get, create, replace, merge-patch, delete, watch)
// for serving.knative.dev/v1, with Knative's admission (defaulting + validation) in front.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { listen } from '../listen.ts';
import { timingSafeEqual } from 'node:crypto';
import { API_VERSION, GROUP, RESOURCES, VERSION, type Resource } from '../api/types.ts';
import { Store, type StoredObject, type WatchEvent } from '../store/store.ts';
import { Admission } from './admission.ts';
import type { ServingConfig } from '../api/config.ts';
import { StatusError, asStatusError, badRequest, methodNotAllowed } from '../api/status-error.ts';
import { discovery } from './discovery.ts';
import { streamRevisionLogs } from './logs.ts';

/** Largest request body the API accepts (bytes). */
export const MAX_BODY = 3 * 1024 * 1024;

interface Parsed {
  resource: Resource;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

const PREFIX = `/apis/${GROUP}/${VERSION}/`;

function parsePath(pathname: string): Parsed | undefined {
  if (!pathname.startsWith(PREFIX)) return undefined;
  const parts = pathname.slice(PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
  let namespace: string | undefined;
  if (parts[0] === 'namespaces') {
    if (parts.length < 3) return undefined;
    namespace = parts[1];
    parts.splice(0, 2);
  }
  const [resource, name, subresource, ...rest] = parts;
  if (rest.length > 0 || !(resource in RESOURCES)) return undefined;
  if (subresource && subresource !== 'status' && !(subresource === 'log' && resource === 'revisions')) return undefined;
  if (name && namespace === undefined) return undefined;
  return { resource: resource as Resource, namespace, name, subresource };
}

function sendJSON(res: http.ServerResponse, code: number, body: unknown, warnings?: string[]): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  if (warnings && warnings.length > 0) headers.warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
  res.writeHead(code, headers);
  res.end(text);
}

/** Answers with the error's Kubernetes Status; anything but a StatusError is a logged 500 InternalError. */
function sendError(res: http.ServerResponse, err: unknown): void {
  if (!(err instanceof StatusError)) console.error('knit: API error:', err);
  const e = asStatusError(err);
  sendJSON(res, e.code, e.toStatus());
}


function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit, keep draining (so the client reads the 413) up to a hard cap.
      if (size > 16 * MAX_BODY) req.destroy();
      else if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) reject(new StatusError(413, 'RequestEntityTooLarge', `the request body exceeds ${MAX_BODY} bytes`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

async function readJSON(req: http.IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function parseSelector(sel: string | null): Record<string, string> | undefined {
  if (!sel) return undefined;
  const out: Record<string, string> = {};
  for (const part of sel.split(',')) {
    const m = /^\s*([^=!\s]+)\s*==?\s*([^\s]*)\s*$/.exec(part);
    if (!m) throw badRequest(`unable to parse requirement: ${part}`);
    out[m[1]] = m[2];
  }
  return out;
}

function parseFieldSelector(sel: string | null): { name?: string; namespace?: string } {
  const out: { name?: string; namespace?: string } = {};
  if (!sel) return out;
  for (const part of sel.split(',')) {
    const m = /^\s*metadata\.(name|namespace)\s*==?\s*(\S*)\s*$/.exec(part);
    if (!m) throw badRequest(`field label not supported: ${part.split('=')[0]}`);
    out[m[1] as 'name' | 'namespace'] = m[2];
  }
  return out;
}

export interface ApiServerOptions {
  store: Store;
  /** Bearer token every request must carry; undefined disables authentication. */
  token?: string;
  /** The user recorded in creator/lastModifier annotations. */
  user: string;
  /** Where instance logs live (`DIR/NS/REVISION/INSTANCE.log`). */
  logDir?: string;
  /** Serve HTTPS with this certificate and key (PEM); plain HTTP when absent. */
  tls?: { cert: string; key: string };
  /** The serving configuration admission applies; Knative's defaults when omitted. */
  config?: ServingConfig;
}

/** What Go's net/http (and so kube-apiserver) answers a plain-HTTP request on a TLS port. */
const PLAIN_HTTP_ON_TLS = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';
/** The first byte of a TLS record carrying a handshake (RFC 8446 §5.1 ContentType handshake). */
const TLS_HANDSHAKE = 0x16;

/** The REST API of one knit process. */
export class ApiServer {
  readonly server: http.Server | https.Server;
  /** With TLS: the listener that hands TLS connections to `server` and answers plain HTTP with a 400. */
  private readonly front: net.Server | undefined;
  private readonly frontSockets = new Set<net.Socket>();
  private readonly store: Store;
  private readonly token: Buffer | undefined;
  private readonly user: string;
  private readonly logDir: string | undefined;
  private readonly admission: Admission;
  private readonly watches = new Set<http.ServerResponse>();

  constructor(opts: ApiServerOptions) {
    this.store = opts.store;
    this.token = opts.token ? Buffer.from(opts.token) : undefined;
    this.user = opts.user;
    this.logDir = opts.logDir;
    this.admission = new Admission(opts.config);
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => sendError(res, err));
    };
    const options = { maxHeaderSize: 16 * 1024, requestTimeout: 60_000 };
    if (!opts.tls) {
      this.server = http.createServer(options, handler);
      return;
    }
    const server = https.createServer({ ...options, cert: opts.tls.cert, key: opts.tls.key }, handler);
    this.server = server;
    const sockets = this.frontSockets;
    this.front = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        if (first[0] === TLS_HANDSHAKE) server.emit('connection', socket);
        else socket.end(PLAIN_HTTP_ON_TLS);
      });
      socket.on('error', () => socket.destroy());
    });
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return listen(this.front ?? this.server, host, port);
  }

  close(): Promise<void> {
    for (const w of this.watches) w.end();
    const closing = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    const front = this.front;
    if (!front) return closing;
    for (const socket of this.frontSockets) socket.destroy();
    return Promise.all([closing, new Promise<void>((resolve) => front.close(() => resolve()))]).then(() => undefined);
  }

  private authorized(req: http.IncomingMessage): boolean {
    if (!this.token) return true;
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (!m) return false;
    const got = Buffer.from(m[1].trim());
    return got.length === this.token.length && timingSafeEqual(got, this.token);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (!this.authorized(req)) {
      sendError(res, new StatusError(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const disc = discovery(url.pathname);
    if (disc !== undefined) {
      if (req.method !== 'GET') throw methodNotAllowed(`method ${req.method} not allowed`);
      sendJSON(res, 200, disc);
      return;
    }
    const p = parsePath(url.pathname);
    if (!p) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    const method = req.method ?? 'GET';
    if (!p.name) {
      if (method === 'GET') return this.list(req, res, p, url);
      if (method === 'POST' && p.namespace !== undefined) return this.create(req, res, p, url);
      throw methodNotAllowed(`method ${method} not allowed on a collection`);
    }
    const ns = p.namespace ?? 'default';
    if (p.subresource === 'log') {
      if (method !== 'GET') throw methodNotAllowed(`method ${method} not allowed on revisions/log`);
      this.store.mustGet(p.resource, ns, p.name);
      if (!this.logDir) throw new StatusError(404, 'NotFound', 'logs are not kept by this server');
      const tail = url.searchParams.get('tailLines');
      const tailLines = tail === null ? undefined : Number(tail);
      if (tailLines !== undefined && (!Number.isInteger(tailLines) || tailLines < 0)) throw badRequest(`invalid tailLines "${tail}"`);
      streamRevisionLogs(path.join(this.logDir, ns, p.name), res, { tailLines, follow: url.searchParams.get('follow') === 'true' });
      return;
    }
    switch (method) {
      case 'GET':
        sendJSON(res, 200, this.store.mustGet(p.resource, ns, p.name));
        return;
      case 'PUT':
        return this.replace(req, res, p, ns, p.name, (await readJSON(req)) as StoredObject, url);
      case 'PATCH': {
        const ctype = (req.headers['content-type'] ?? '').split(';')[0].trim();
        if (ctype !== 'application/merge-patch+json' && ctype !== 'application/json') {
          throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`);
        }
        const patch = await readJSON(req);
        const current = this.store.mustGet(p.resource, ns, p.name);
        const merged = mergePatch(current, patch) as StoredObject;
        if (merged && typeof merged === 'object' && merged.metadata && typeof merged.metadata === 'object') {
          merged.metadata.resourceVersion ??= current.metadata.resourceVersion;
        }
        return this.replace(req, res, p, ns, p.name, merged, url);
      }
      case 'DELETE': {
        const obj = this.store.delete(p.resource, ns, p.name);
        sendJSON(res, 200, obj);
        return;
      }
      default:
        throw methodNotAllowed(`method ${method} not allowed`);
    }
  }

  private list(req: http.IncomingMessage, res: http.ServerResponse, p: Parsed, url: URL): void {
    const labelSelector = parseSelector(url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
    const namespace = p.namespace ?? fields.namespace;
    const matches = (o: StoredObject): boolean => {
      if (namespace !== undefined && o.metadata.namespace !== namespace) return false;
      if (fields.name !== undefined && o.metadata.name !== fields.name) return false;
      if (labelSelector) for (const [k, v] of Object.entries(labelSelector)) if (o.metadata.labels?.[k] !== v) return false;
      return true;
    };
    const watch = url.searchParams.get('watch');
    if (watch === 'true' || watch === '1') return this.watch(req, res, p, url, matches);
    const items = this.store.list(p.resource, { namespace, labelSelector, name: fields.name });
    sendJSON(res, 200, {
      apiVersion: API_VERSION,
      kind: `${RESOURCES[p.resource]}List`,
      metadata: { resourceVersion: this.store.resourceVersion },
      items,
    });
  }

  private watch(req: http.IncomingMessage, res: http.ServerResponse, p: Parsed, url: URL, matches: (o: StoredObject) => boolean): void {
    const from = url.searchParams.get('resourceVersion') ?? undefined;
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const send = (ev: WatchEvent): void => {
      if (!matches(ev.object)) return;
      res.write(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
    };
    let unwatch: () => void;
    try {
      // Without a resourceVersion, a watch starts with ADDED events for what exists (like k8s).
      if (!from || from === '0') for (const obj of this.store.list(p.resource)) send({ type: 'ADDED', resource: p.resource, object: obj });
      unwatch = this.store.watch(p.resource, send, from && from !== '0' ? from : undefined);
    } catch (err) {
      // A watch that cannot start answers 200 with one ERROR event carrying the Status, as the apiserver does.
      res.end(`${JSON.stringify({ type: 'ERROR', object: asStatusError(err).toStatus() })}\n`);
      return;
    }
    this.watches.add(res);
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      unwatch();
      this.watches.delete(res);
      if (timer) clearTimeout(timer);
    };
    if (timeoutSeconds > 0) timer = setTimeout(() => res.end(), timeoutSeconds * 1000);
    res.once('close', stop);
    req.once('close', stop);
  }

  private async create(req: http.IncomingMessage, res: http.ServerResponse, p: Parsed, url: URL): Promise<void> {
    const raw = await readJSON(req);
    const ns = p.namespace ?? 'default';
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
      const md = (raw as { metadata?: unknown }).metadata;
      if (md && typeof md === 'object' && !Array.isArray(md)) {
        const mns = (md as { namespace?: unknown }).namespace;
        if (mns !== undefined && mns !== ns) {
          throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
        }
        (md as { namespace?: string }).namespace = ns;
      }
    }
    const { object, warnings } = this.admission.admit(p.resource, 'create', raw, undefined, this.user);
    if (url.searchParams.get('dryRun') === 'All') {
      sendJSON(res, 201, object, warnings);
      return;
    }
    const created = this.store.create(p.resource, object);
    sendJSON(res, 201, created, warnings);
  }

  private replace(_req: http.IncomingMessage, res: http.ServerResponse, p: Parsed, ns: string, name: string, raw: StoredObject, url: URL): void {
    const current = this.store.mustGet(p.resource, ns, name);
    if (raw && typeof raw === 'object' && raw.metadata && typeof raw.metadata === 'object') {
      if (raw.metadata.name !== undefined && raw.metadata.name !== name) {
        throw badRequest(`the name of the object (${String(raw.metadata.name)}) does not match the name on the URL (${name})`);
      }
      raw.metadata.name = name;
      raw.metadata.namespace = ns;
    }
    if (p.subresource === 'status') {
      const updated = this.store.update(p.resource, { ...current, status: (raw as { status?: unknown }).status, metadata: { ...current.metadata, resourceVersion: raw.metadata?.resourceVersion } }, { subresource: 'status' });
      sendJSON(res, 200, updated);
      return;
    }
    const { object, warnings } = this.admission.admit(p.resource, 'update', raw, current, this.user);
    if (url.searchParams.get('dryRun') === 'All') {
      sendJSON(res, 200, object, warnings);
      return;
    }
    const updated = this.store.update(p.resource, object);
    sendJSON(res, 200, updated, warnings);
  }
}
