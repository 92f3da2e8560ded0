// The gateway: Host → route → revision → instance in one proxy hop. Speaks HTTP/1.1 and h2c
// (prior knowledge) on one port, upgrades WebSockets, buffers while a revision has no instance
// with room, and applies the revision's timeouts (docs/architecture.md "Data plane"). Plain HTTP/1.1
// requests take the fast path (fastpath.ts); this file is the general path everything else is handed to.

import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { listen } from '../listen.ts';
import type { Duplex } from 'node:stream';
import type { Endpoint, Lease, RevisionDispatcher } from './dispatcher.ts';
import { DataPlaneError, mayRetry } from './errors.ts';
import { FastPath, type FastPathGateway, type RouteResult } from './fastpath.ts';
import { absoluteTarget, hostOnly, validHost, type RoutingTable } from './routing.ts';
import { forwardingFields, TrustedProxies } from './forwarding.ts';
import { RequestTimeouts, type TimeoutKind } from './timeouts.ts';
import type { RequestTrace, Tracing } from '../tracing/tracing.ts';

export interface DispatcherLookup {
  dispatcher(revisionKey: string): RevisionDispatcher | undefined;
}

type ClientRequest = http.IncomingMessage | http2.Http2ServerRequest;
// HTTP/2 compatibility responses offer the same methods knit uses (writeHead, write, end,
// addTrailers); they are typed as HTTP/1 responses and told apart by their `stream`.
type ClientResponse = http.ServerResponse;

// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded; neither are the ones knit rewrites.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings', 'host']);
const REWRITTEN = new Set(['x-forwarded-for', 'forwarded', 'x-forwarded-proto', 'x-forwarded-host']);

/** One header as a comma-joined string (repeated list fields combine so, RFC 9110 §5.3). */
function joined(v: string | string[] | undefined): string | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : v;
}

/**
 * Request headers for the instance: hop-by-hop removed (RFC 9110 §7.6.1), Forwarded (RFC 7239) and
 * X-Forwarded-For/-Proto/-Host built from the connection (forwarding.ts); the client's own are kept
 * in front only when `trusted` (its peer is a configured trusted proxy).
 */
export function forwardHeaders(req: ClientRequest, authority: string, trusted: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = req.rawHeaders;
  let connectionTokens: Set<string> | undefined;
  const conn = req.headers.connection;
  if (typeof conn === 'string' && conn !== 'keep-alive' && conn !== 'close') connectionTokens = new Set(conn.toLowerCase().split(/\s*,\s*/));
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.charCodeAt(0) === 58 /* ':' pseudo-header */ || HOP_BY_HOP.has(name) || REWRITTEN.has(name) || connectionTokens?.has(name)) continue;
    const prev = out[name];
    out[name] = prev === undefined ? raw[i + 1] : name === 'cookie' ? `${prev}; ${raw[i + 1]}` : `${prev}, ${raw[i + 1]}`;
  }
  if (req.headers.te === 'trailers') out.te = 'trailers'; // gRPC needs it end to end
  const h = req.headers;
  const client = trusted ? { xff: joined(h['x-forwarded-for']), xfp: joined(h['x-forwarded-proto']), xfh: joined(h['x-forwarded-host']), forwarded: joined(h.forwarded) } : undefined;
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  Object.assign(out, forwardingFields(req.socket?.remoteAddress ?? '', authority, encrypted ? 'https' : 'http', client));
  return out;
}

/** Where a request goes: the authority that routes it (and is sent as Host / :authority) and the origin-form path. */
export interface RequestTarget {
  authority: string;
  path: string;
}

/**
 * The request's authority and path: `:authority` for HTTP/2 (RFC 9113 §8.3.1: a `host` field does not
 * override it), the absolute-form target's authority over Host for HTTP/1.1 (RFC 9112 §3.2.2), else
 * Host; a 400 for two Host fields, an invalid Host, or an absolute-form target a server must refuse,
 * a 501 for a transfer coding other than chunked.
 */
export function requestTarget(req: ClientRequest): RequestTarget | DataPlaneError {
  const url = req.url ?? '/';
  let authority: string;
  let path = url;
  if ('stream' in req) authority = (req.headers[':authority'] ?? req.headers.host ?? '') as string;
  else {
    let hosts = 0;
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].length === 4 && req.rawHeaders[i].toLowerCase() === 'host') hosts++;
    if (hosts > 1) return DataPlaneError.badRequest('too many Host headers');
    // Node's parser only removes the chunked coding; a body in any other coding would reach the
    // instance mislabelled once Transfer-Encoding (hop-by-hop) is dropped. Go's server answers 501 too.
    const te = req.headers['transfer-encoding'];
    if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return DataPlaneError.unsupportedTransferCoding();
    const abs = absoluteTarget(url);
    if (abs === 'invalid') return DataPlaneError.badRequest('invalid request target');
    if (abs !== undefined) ({ authority, path } = abs);
    else authority = req.headers.host ?? '';
  }
  if (!validHost(authority)) return DataPlaneError.badRequest('invalid Host header');
  return { authority, path };
}

function responseHeaders(raw: string[], h2: boolean): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || name.charCodeAt(0) === 58) continue;
    if (h2 && name === 'content-length' && headers[name] !== undefined) continue;
    const prev = headers[name];
    headers[name] = prev === undefined ? raw[i + 1] : Array.isArray(prev) ? [...prev, raw[i + 1]] : [String(prev), raw[i + 1]];
  }
  return headers;
}

function h2ResponseHeaders(h: http2.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.charCodeAt(0) === 58 || HOP_BY_HOP.has(k) || v === undefined) continue;
    headers[k] = v;
  }
  return headers;
}

/** Answers with one of the data plane's errors (or cuts the response if it already started). */
function reply(res: ClientResponse, err: DataPlaneError): void {
  if (res.headersSent) {
    destroy(res);
    return;
  }
  if (res.destroyed || res.writableEnded) return;
  // After a malformed request nothing on the connection can be trusted (Node's and Go's servers close it too).
  if ((err.status === 400 || err.status === 501) && !isH2(res)) res.shouldKeepAlive = false;
  const body = err.body;
  res.writeHead(err.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...err.headers });
  res.end(body);
}

function destroy(res: ClientResponse): void {
  if (isH2(res)) (res as unknown as http2.Http2ServerResponse).stream.close(http2.constants.NGHTTP2_CANCEL);
  else res.destroy();
}

function isH2(res: ClientResponse): boolean {
  return 'stream' in res;
}

function hasBody(req: ClientRequest): boolean {
  const cl = req.headers['content-length'];
  if (cl !== undefined && cl !== '0') return true;
  if (req.headers['transfer-encoding'] !== undefined) return true;
  // An HTTP/2 request without content-length may still stream a body until END_STREAM.
  return 'stream' in req && !req.stream.endAfterHeaders;
}

/** One proxied request: its dispatcher, endpoint slot, timeouts and upstream. */
class Exchange {
  readonly req: ClientRequest;
  readonly res: ClientResponse;
  readonly d: RevisionDispatcher;
  readonly target: RequestTarget;
  readonly trusted: boolean;
  /** The request's hold on its revision (waiting, or an endpoint's slot). */
  lease: Lease | undefined;
  timeouts: RequestTimeouts;
  upstream: http.ClientRequest | http2.ClientHttp2Stream | undefined;
  attempts = 0;
  finished = false;
  /** The instance's response declared a Content-Length (a timeout then cannot end it cleanly). */
  lengthDelimited = false;
  // For the metrics (when the dispatcher has an observer): arrival and send times, queued, answered by the instance.
  t0 = 0;
  tSent = 0;
  queued = false;
  fromApp = false;
  /** The request's spans, when tracing is on. */
  trace: RequestTrace | undefined;

  constructor(req: ClientRequest, res: ClientResponse, d: RevisionDispatcher, target: RequestTarget, trusted: boolean, tracing: Tracing | undefined) {
    this.req = req;
    this.res = res;
    this.d = d;
    this.target = target;
    this.trusted = trusted;
    if (tracing !== undefined) {
      const tp = req.headers.traceparent;
      const ts = req.headers.tracestate;
      this.trace = tracing.begin({ traceparent: typeof tp === 'string' ? tp : undefined, tracestate: typeof ts === 'string' ? ts : undefined }, { host: target.authority, revision: d.key, method: req.method ?? '' });
    }
    this.timeouts = new RequestTimeouts((kind) => this.timedOut(kind));
    this.timeouts.begin(d.timeouts);
    d.stats.requestIn();
    if (d.observer !== undefined) this.t0 = performance.now();
    res.once('close', () => this.finish());
  }

  private timedOut(kind: TimeoutKind): void {
    this.releaseSlot();
    this.abortUpstream();
    const err = DataPlaneError.timeout(kind);
    const res = this.res;
    if (res.headersSent && !res.writableEnded && !res.destroyed) {
      // As Knative's timeout handler (knative/serving pkg/http/handler/timeout.go timeoutAndWriteError):
      // its text goes into the started response, which then ends (cleanly unless a Content-Length is left short).
      if (!this.lengthDelimited) res.end(err.message);
      else destroy(res);
    } else reply(res, err);
    this.finish();
  }

  private abortUpstream(): void {
    const up = this.upstream;
    this.upstream = undefined;
    if (!up) return;
    if ('close' in up && typeof (up as http2.ClientHttp2Stream).close === 'function' && 'session' in up) (up as http2.ClientHttp2Stream).close(http2.constants.NGHTTP2_CANCEL);
    else up.destroy();
  }

  /** Ends the lease: its slot goes back, or it leaves the queue. */
  releaseSlot(): void {
    const l = this.lease;
    this.lease = undefined;
    l?.release();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timeouts.done();
    if (!this.res.writableFinished) this.abortUpstream();
    this.releaseSlot();
    this.d.stats.requestOut();
    this.trace?.end(this.res.headersSent ? this.res.statusCode : 0);
    const o = this.d.observer;
    if (o !== undefined && this.res.headersSent) {
      const now = performance.now();
      o.request(this.res.statusCode, now - this.t0, this.fromApp ? now - this.tSent : -1, this.queued);
    }
  }

  /** Gets an endpoint (now or after waiting) and sends the request to it. */
  dispatch(): void {
    const refused = (err: DataPlaneError): void => {
      this.lease = undefined;
      reply(this.res, err);
      this.finish();
    };
    const lease = this.d.acquire(0, (l) => {
      this.trace?.admitted();
      if (this.finished || this.lease !== l) l.release();
      else if (l.error !== undefined) refused(l.error);
      else this.send();
    });
    this.lease = lease;
    if (lease.endpoint !== undefined) this.send();
    else if (lease.error !== undefined) refused(lease.error);
    else {
      this.queued = true;
      this.trace?.queued(this.d.readyCount === 0);
    }
  }

  private send(): void {
    this.attempts++;
    if (this.d.observer !== undefined) this.tSent = performance.now();
    if (this.d.protocol === 'h2c') this.sendH2();
    else this.sendH1();
  }

  /** The instance's response head arrived: it answered (metrics), and a cold start it was started for ends. */
  private answered(): void {
    this.fromApp = true;
    const ep = this.lease?.endpoint;
    if (ep !== undefined) this.d.firstByte(ep);
  }

  /** A connection refused before any byte was sent goes to another instance. */
  private failed(err: NodeJS.ErrnoException): void {
    this.upstream = undefined;
    this.releaseSlot();
    if (!this.finished && mayRetry(err, this.attempts, hasBody(this.req), this.res.headersSent)) {
      this.dispatch();
      return;
    }
    reply(this.res, DataPlaneError.upstream(this.d.key, err));
    this.finish();
  }

  private sendH1(): void {
    const ep = this.lease!.endpoint!;
    const headers = forwardHeaders(this.req, this.target.authority, this.trusted);
    headers.host = this.target.authority;
    if (this.trace !== undefined) headers.traceparent = this.trace.upstream(ep.id);
    const up = http.request({ host: ep.host, port: ep.port, method: this.req.method, path: this.target.path, headers, agent: ep.agent });
    this.upstream = up;
    up.on('response', (ures) => this.relayH1(ures));
    up.on('error', (err) => {
      if (this.upstream === up) this.failed(err);
    });
    if (hasBody(this.req)) this.req.pipe(up);
    else up.end();
  }

  private relayH1(ures: http.IncomingMessage): void {
    const res = this.res;
    if (this.finished) {
      ures.resume();
      return;
    }
    this.timeouts.wrote();
    this.lengthDelimited = ures.headers['content-length'] !== undefined;
    this.answered();
    res.writeHead(ures.statusCode ?? 502, responseHeaders(ures.rawHeaders, isH2(res)));
    ures.on('data', (chunk: Buffer) => {
      this.timeouts.wrote();
      if (!res.write(chunk)) {
        ures.pause();
        res.once('drain', () => ures.resume());
      }
    });
    ures.once('end', () => {
      this.upstream = undefined;
      if (ures.rawTrailers.length > 0) res.addTrailers(responseHeaders(ures.rawTrailers, isH2(res)));
      res.end();
      this.releaseSlot();
    });
    ures.once('error', () => {
      this.upstream = undefined;
      destroy(res);
      this.finish();
    });
  }

  private sendH2(): void {
    const ep = this.lease!.endpoint!;
    let session: http2.ClientHttp2Session;
    try {
      session = ep.h2Session();
    } catch (err) {
      this.failed(err as NodeJS.ErrnoException);
      return;
    }
    const headers: http2.OutgoingHttpHeaders = forwardHeaders(this.req, this.target.authority, this.trusted);
    if (this.trace !== undefined) headers.traceparent = this.trace.upstream(ep.id);
    headers[':method'] = this.req.method ?? 'GET';
    headers[':path'] = this.target.path;
    headers[':authority'] = this.target.authority;
    const body = hasBody(this.req);
    const up = session.request(headers, { endStream: !body });
    this.upstream = up;
    up.on('response', (h) => {
      if (this.finished) return;
      this.timeouts.wrote();
      this.lengthDelimited = h['content-length'] !== undefined;
      this.answered();
      this.res.writeHead(Number(h[':status'] ?? 502), h2ResponseHeaders(h));
      if ('flushHeaders' in this.res && typeof this.res.flushHeaders === 'function') this.res.flushHeaders();
    });
    up.on('trailers', (t) => this.res.addTrailers(h2ResponseHeaders(t)));
    up.on('data', (chunk: Buffer) => {
      this.timeouts.wrote();
      if (!this.res.write(chunk)) {
        up.pause();
        this.res.once('drain', () => up.resume());
      }
    });
    up.once('end', () => {
      this.upstream = undefined;
      if (this.res.headersSent) this.res.end();
      else reply(this.res, DataPlaneError.upstream(this.d.key, new Error('stream ended before a response')));
      this.releaseSlot();
    });
    up.on('error', (err) => {
      if (this.upstream === up) this.failed(err);
    });
    if (body) this.req.pipe(up);
  }
}

/**
 * A handler for a host knit answers itself (Gateway.serveInProcess): it gets Node's request and response,
 * HTTP/1.1 or HTTP/2 (compatibility API), and must answer.
 */
export type InProcessHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse) => void;

/** One listener of the gateway (external or cluster-local). */
export class Gateway implements FastPathGateway {
  readonly server: net.Server;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly listener: 'external' | 'cluster-local';
  private readonly table: RoutingTable;
  private readonly lookup: DispatcherLookup;
  private readonly sockets = new Set<net.Socket>();
  private readonly fast: FastPath;
  private readonly inProcess = new Map<string, InProcessHandler>();
  readonly trusted: TrustedProxies;
  /** Set by `knit serve` when config-observability turns tracing on; undefined costs nothing. */
  tracing: Tracing | undefined;

  /** `trustedProxies`: peers whose Forwarded / X-Forwarded-* headers are kept (none by default). */
  constructor(listener: 'external' | 'cluster-local', table: RoutingTable, lookup: DispatcherLookup, options: { trustedProxies?: TrustedProxies } = {}) {
    this.listener = listener;
    this.trusted = options.trustedProxies ?? new TrustedProxies();
    this.table = table;
    this.lookup = lookup;
    this.h1 = http.createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000, maxHeaderSize: 64 * 1024 }, (req, res) => this.handle(req, res));
    this.h1.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.h2 = http2.createServer({ maxSessionMemory: 64 }, (req, res) => this.handle(req, res as unknown as ClientResponse));
    this.fast = new FastPath(this);
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /**
   * New connections start on the fast path, which tells h2c from HTTP/1.x by the first bytes; the HTTPS
   * listener (https.ts) hands its decrypted connections in here too.
   */
  accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    this.fast.accept(socket);
  }

  /** Gives a connection to Node's HTTP/1 or HTTP/2 server; `rest` are bytes read but not handled. */
  handOff(socket: net.Socket, rest: Buffer | undefined, to: 'h1' | 'h2'): void {
    socket.pause();
    if (rest !== undefined && rest.length > 0) socket.unshift(rest);
    if (to === 'h2') {
      // The HTTP/2 session reads what is buffered itself, then takes the handle over.
      this.h2.emit('connection', socket);
      return;
    }
    this.h1.emit('connection', socket);
    // Node's parser reads buffered bytes through 'data', which a paused socket would not emit.
    socket.resume();
  }

  /** `reusePort`: the gateway threads share the port (SO_REUSEPORT). */
  listen(host: string, port: number, reusePort = false): Promise<AddressInfo> {
    return listen(this.server, host, port, reusePort);
  }

  /** Called when a host served in-process comes or goes (thread mode tells the gateway threads). */
  onInProcessChange: (() => void) | undefined;

  /** The hosts answered in-process now. */
  inProcessHosts(): string[] {
    return [...this.inProcess.keys()];
  }

  /**
   * Answers requests for `host` (a bare host name, any port) with `handler` inside knit instead of routing
   * them to a revision (Eventing's broker ingress and channels). The fast path hands such connections to
   * Node's HTTP server. Returns a function that removes the handler.
   */
  serveInProcess(host: string, handler: InProcessHandler): () => void {
    const h = host.toLowerCase();
    this.inProcess.set(h, handler);
    this.ownVersion++;
    this.onInProcessChange?.();
    return () => {
      if (this.inProcess.get(h) !== handler) return;
      this.inProcess.delete(h);
      this.ownVersion++;
      this.onInProcessChange?.();
    };
  }

  servesInProcess(hostHeader: string): boolean {
    return this.inProcess.size > 0 && this.inProcess.has(hostOnly(hostHeader));
  }

  /** Stops accepting connections; requests on open connections are still served (draining). */
  stopAccepting(): void {
    if (this.server.listening) this.server.close();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.server.listening) this.server.close(() => resolve());
      else resolve();
      this.fast.close();
      this.h1.closeAllConnections();
      for (const s of this.sockets) s.destroy();
    });
  }

  private httpsListenerPort: number | undefined;
  /** Bumped when in-process hosts or the HTTPS port change (see routingVersion). */
  private ownVersion = 0;

  /** The HTTPS listener's port (`knit serve --https`), the target of `http-protocol: Redirected` redirects. */
  get httpsPort(): number | undefined {
    return this.httpsListenerPort;
  }

  set httpsPort(port: number | undefined) {
    this.httpsListenerPort = port;
    this.ownVersion++;
  }

  /** Moves on whenever anything the fast path's per-connection route depends on changes (FastPathGateway). */
  get routingVersion(): number {
    return this.table.version + this.ownVersion;
  }

  /**
   * config-network http-protocol Redirected: the https URL a plain-HTTP request for a certified external host is
   * sent to with a 301, as Knative's ingresses do (net-kourier's HTTPS redirect keeps host, path and query).
   */
  redirectLocation(authority: string, path: string, encrypted: boolean): string | undefined {
    if (encrypted || this.listener !== 'external' || this.httpsPort === undefined) return undefined;
    const host = hostOnly(authority);
    if (!this.table.redirectsToHttps(host)) return undefined;
    return `https://${host}${this.httpsPort === 443 ? '' : `:${this.httpsPort}`}${path}`;
  }

  /**
   * On a gateway thread: a promise while the routing table the main thread published is newer than this
   * thread's copy (it settles when the copy catches up), else undefined. A request that found no route waits
   * for it and is routed again, so what the API reports Ready is routed on every thread (worker.ts).
   */
  routesBehind: (() => Promise<void> | undefined) | undefined;

  /** Host (and tag header) → the revision's dispatcher, or the error (404/503) to answer with. */
  route(hostHeader: string | undefined, tagHeader: string | string[] | undefined): RouteResult {
    const host = hostOnly(hostHeader);
    let entry = this.table.lookup(this.listener, host);
    if (!entry) return { host, error: DataPlaneError.noRoute(host) };
    if (entry.byTag && typeof tagHeader === 'string') {
      // Knative: an unknown tag in the header is a 404, not a fallback to the default split.
      const tagged = entry.byTag.get(tagHeader);
      if (!tagged) return { host, error: DataPlaneError.noTag(tagHeader, host) };
      entry = tagged;
    }
    const revKey = entry.pick();
    const d = revKey ? this.lookup.dispatcher(revKey) : undefined;
    if (!d) return { host, error: DataPlaneError.unavailable(revKey, host) };
    return { host, d, split: entry.revisions.length > 1 };
  }

  private handle(req: ClientRequest, res: ClientResponse, waited = false): void {
    const target = requestTarget(req);
    if (target instanceof DataPlaneError) {
      reply(res, target);
      return;
    }
    const location = this.redirectLocation(target.authority, target.path, (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true);
    if (location) {
      res.writeHead(301, { location, 'content-length': 0 });
      res.end();
      return;
    }
    const own = this.inProcess.size > 0 ? this.inProcess.get(hostOnly(target.authority)) : undefined;
    if (own !== undefined) {
      own(req, res);
      return;
    }
    const r = this.route(target.authority, req.headers['knative-serving-tag']);
    if (!r.d) {
      const behind = waited ? undefined : this.routesBehind?.();
      if (behind) void behind.then(() => this.handle(req, res, true));
      else reply(res, r.error);
      return;
    }
    new Exchange(req, res, r.d, target, this.trusted.trusts(req.socket?.remoteAddress), this.tracing).dispatch();
  }

  /** WebSocket (and other HTTP/1.1 upgrades): the connection holds an instance slot while open. */
  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, waited = false): void {
    const fail = (err: DataPlaneError): void => {
      const body = err.body;
      let extra = '';
      for (const [k, v] of Object.entries(err.headers)) extra += `${k}: ${v}\r\n`;
      socket.end(`HTTP/1.1 ${err.status} ${http.STATUS_CODES[err.status]}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`);
    };
    const target = requestTarget(req);
    if (target instanceof DataPlaneError) {
      fail(target);
      return;
    }
    const location = this.redirectLocation(target.authority, target.path, (req.socket as { encrypted?: boolean }).encrypted === true);
    if (location) {
      socket.end(`HTTP/1.1 301 Moved Permanently\r\nlocation: ${location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
      return;
    }
    const r = this.route(target.authority, req.headers['knative-serving-tag']);
    if (!r.d) {
      const behind = waited ? undefined : this.routesBehind?.();
      if (behind) void behind.then(() => this.upgrade(req, socket, head, true));
      else fail(r.error);
      return;
    }
    const d = r.d;
    d.stats.requestIn();
    let lease: Lease | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      lease?.release();
      d.stats.requestOut();
    };
    socket.once('close', finish);
    socket.on('error', () => socket.destroy());
    const go = (got: Endpoint): void => {
      const headers = forwardHeaders(req, target.authority, this.trusted.trusts(req.socket.remoteAddress));
      headers.host = target.authority;
      headers.connection = 'Upgrade';
      headers.upgrade = req.headers.upgrade ?? 'websocket';
      const up = http.request({ host: got.host, port: got.port, method: req.method, path: target.path, headers, agent: false });
      up.on('upgrade', (ures, usocket, uhead) => {
        let head101 = `HTTP/1.1 ${ures.statusCode} ${ures.statusMessage}\r\n`;
        for (let i = 0; i < ures.rawHeaders.length; i += 2) head101 += `${ures.rawHeaders[i]}: ${ures.rawHeaders[i + 1]}\r\n`;
        socket.write(`${head101}\r\n`);
        if (uhead.length > 0) socket.write(uhead);
        if (head.length > 0) usocket.write(head);
        usocket.pipe(socket).pipe(usocket);
        usocket.on('error', () => socket.destroy());
        usocket.once('close', () => socket.destroy());
        socket.once('close', () => usocket.destroy());
      });
      up.on('response', (ures) => {
        let text = `HTTP/1.1 ${ures.statusCode} ${ures.statusMessage}\r\n`;
        for (let i = 0; i < ures.rawHeaders.length; i += 2) text += `${ures.rawHeaders[i]}: ${ures.rawHeaders[i + 1]}\r\n`;
        socket.write(`${text}\r\n`);
        ures.pipe(socket);
      });
      up.on('error', (err) => fail(DataPlaneError.upstream(d.key, err)));
      up.end();
    };
    // The connection holds its lease (an instance slot) until it closes; waiting counts against timeoutSeconds.
    lease = d.acquire(d.timeouts.totalMs, (l) => {
      if (done) l.release();
      else if (l.error !== undefined) fail(l.error);
      else go(l.endpoint!);
    });
    if (lease.endpoint !== undefined) go(lease.endpoint);
    else if (lease.error !== undefined) fail(lease.error);
  }
}
