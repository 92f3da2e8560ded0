// The API server: Kubernetes' REST API over HTTPS for every kind in knit's registry (kube/registry.ts):
// discovery, OpenAPI and /version, then the verbs of rest.ts, with Knative's admission in front of
// serving.knative.dev. A refused request changes nothing.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { listen } from '../listen.ts';
import { timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { Admission } from './admission.ts';
import type { ServingConfig } from '../api/config.ts';
import { StatusError, asStatusError } from '../api/status-error.ts';
import { apiDocumentResponse } from '../kube/api-documents.ts';
import { GO_BAD_REQUEST, decodeRequestPath, requestEntityTooLarge } from '../kube/json-safety.ts';
import { queryBool } from '../kube/query.ts';
import { PROTOBUF_MEDIA_TYPE, protobufBodyToJSON, protobufTarget } from '../kube/protobuf.ts';
import { decodeApplyBody } from '../kube/patch.ts';
import { unsupportedMediaType } from '../kube/status.ts';
import { noRoute, resolveResourcePath } from './request.ts';
import { RestHandler, type RestAnswer } from './rest.ts';
import type { ProjectedWrites } from '../controllers/projector.ts';
import { Namespaces } from './namespaces.ts';
import { verbNotAllowed } from './kinds.ts';
import { serveDashboard } from '../dashboard/static.ts';

/** Largest request body the API accepts (bytes): kube-apiserver's 3 MiB. */
export const MAX_BODY = 3 * 1024 * 1024;

function sendJSON(res: http.ServerResponse, code: number, body: unknown, warnings?: string[], contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = { 'content-type': contentType, 'content-length': Buffer.byteLength(text) };
  if (warnings && warnings.length > 0) headers.warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
  res.writeHead(code, headers);
  res.end(text);
}

/** Answers with the error's Kubernetes Status; anything but a StatusError is a logged 500 InternalError. */
function sendError(res: http.ServerResponse, err: unknown): void {
  if (!(err instanceof StatusError)) console.error('knit: API error:', err);
  const e = asStatusError(err);
  if (res.headersSent) {
    res.end();
    return;
  }
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
      if (size > MAX_BODY) reject(requestEntityTooLarge(MAX_BODY));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
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
  /** The projector's write paths (delete a pod, its logs). */
  pods?: ProjectedWrites;
  now?: () => Date;
  /** The dashboard's per-revision counters of a namespace (`GET /dashboard/api/namespaces/NS/metrics`, with the token). */
  dashboardMetrics?: (namespace: string) => unknown;
  /** The dashboard's broker and trigger counts of a namespace (sent beside `items` as `eventing`). */
  dashboardEventing?: (namespace: string) => unknown;
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
  private readonly token: Buffer | undefined;
  private readonly rest: RestHandler;
  private readonly watches = new Set<http.ServerResponse>();
  private readonly namespaces: Namespaces;
  private readonly dashboardMetrics: ((namespace: string) => unknown) | undefined;
  private readonly dashboardEventing: ((namespace: string) => unknown) | undefined;

  constructor(opts: ApiServerOptions) {
    this.dashboardMetrics = opts.dashboardMetrics;
    this.dashboardEventing = opts.dashboardEventing;
    this.token = opts.token ? Buffer.from(opts.token) : undefined;
    const now = opts.now ?? (() => new Date());
    this.namespaces = new Namespaces(opts.store, now);
    this.rest = new RestHandler({
      store: opts.store,
      admission: new Admission(opts.config),
      namespaces: this.namespaces,
      user: opts.user,
      now,
      logDir: opts.logDir,
      pods: opts.pods,
      watches: this.watches,
    });
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
      // A connection that never speaks is closed, as Go's server closes one that sends no TLS handshake.
      socket.setTimeout(10_000, () => socket.destroy());
      socket.once('data', (first: Buffer) => {
        socket.setTimeout(0);
        socket.pause();
        socket.unshift(first);
        if (first[0] === TLS_HANDSHAKE) server.emit('connection', socket);
        else socket.end(PLAIN_HTTP_ON_TLS);
      });
      socket.on('error', () => socket.destroy());
    });
  }

  /** Creates the system namespaces (namespaces.ts) and listens. */
  listen(host: string, port: number): Promise<AddressInfo> {
    this.namespaces.ensureInitial();
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
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const rawPath = q < 0 ? raw : raw.slice(0, q);
    if (rawPath === '/healthz' || rawPath === '/readyz' || rawPath === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    // The dashboard's static page and assets (docs/configuration.md "Dashboard"); its API calls carry the token.
    if (serveDashboard(rawPath, req.method, res)) return;
    if (!this.authorized(req)) {
      sendError(res, new StatusError(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const decoded = decodeRequestPath(rawPath);
    if (!decoded.ok) {
      res.writeHead(GO_BAD_REQUEST.status, GO_BAD_REQUEST.headers);
      res.end(GO_BAD_REQUEST.body);
      return;
    }
    const dm = /^\/dashboard\/api\/namespaces\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/metrics$/.exec(rawPath);
    if (dm && this.dashboardMetrics && (req.method === 'GET' || req.method === undefined)) {
      sendJSON(res, 200, { items: this.dashboardMetrics(dm[1]), ...(this.dashboardEventing ? { eventing: this.dashboardEventing(dm[1]) } : {}) });
      return;
    }
    const doc = apiDocumentResponse(req.method, raw, req.headers.accept, { serverAddress: req.headers.host });
    if (doc) {
      res.writeHead(doc.status, { ...doc.headers, ...(doc.etag ? { etag: doc.etag } : {}), 'content-type': doc.contentType, 'content-length': Buffer.byteLength(doc.body) });
      res.end(doc.body);
      return;
    }
    const r = resolveResourcePath(decoded.segments);
    if (!r) throw noRoute();
    const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    const method = req.method ?? 'GET';
    const answer = (a: RestAnswer): void => sendJSON(res, a.status, a.body, a.warnings, a.contentType);
    const bodyType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    // Built-in kinds also take Kubernetes protobuf (kubectl's typed clients send it); CRD kinds only JSON.
    const builtin = r.kind.definition.startsWith('io.k8s.');
    const protobuf = builtin && bodyType === PROTOBUF_MEDIA_TYPE;
    const yaml = bodyType === 'application/yaml';
    if ((method === 'POST' || method === 'PUT') && bodyType !== '' && bodyType !== 'application/json' && bodyType !== '*/*' && !protobuf && !yaml) {
      // The apiserver's answer to a media type it cannot decode (negotiation errUnsupportedMediaType).
      throw unsupportedMediaType(builtin ? ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE] : ['application/json', 'application/yaml']);
    }
    // The write verbs take JSON: a protobuf body becomes the JSON object it encodes (DELETE's may be empty).
    const body = async (): Promise<Buffer> => {
      const raw = await readBody(req);
      if (yaml && (method === 'POST' || method === 'PUT')) return Buffer.from(JSON.stringify(decodeApplyBody(raw.toString('utf8'))));
      return protobuf && !(method === 'DELETE' && raw.length === 0) ? protobufBodyToJSON(raw, protobufTarget(r.kind, r.subresource, method)) : raw;
    };
    switch (method) {
      case 'GET':
        if (r.subresource === 'log') return this.rest.log(r, res, query);
        if (queryBool(query.get('watch') ?? undefined)) return this.rest.watch(r, req, res, query);
        return answer(r.name === undefined ? this.rest.list(r, req.headers.accept, query) : this.rest.get(r, req.headers.accept, query));
      case 'POST':
        return answer(this.rest.create(r, req, await body(), query));
      case 'PUT':
        if (r.name === undefined) throw verbNotAllowed();
        return answer(this.rest.update(r, req, await body(), query));
      case 'PATCH':
        if (r.name === undefined) throw verbNotAllowed();
        return answer(this.rest.patch(r, req, await readBody(req), query));
      case 'DELETE':
        if (r.name === undefined) return answer(this.rest.deleteCollection(r, query));
        return answer(this.rest.delete(r, await body(), query));
      default:
        throw verbNotAllowed();
    }
  }
}
