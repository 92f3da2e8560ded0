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
import type { Endpoint, RevisionDispatcher, Waiter } from './dispatcher.ts';
import { DataPlaneError, retriable } from './errors.ts';
import { FastPath, type FastPathGateway, type RouteResult } from './fastpath.ts';
import { hostOnly, type RoutingTable } from './routing.ts';
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
const REWRITTEN = new Set(['x-forwarded-for', 'forwarded', 'x-forwarded-proto']);

/**
 * Request headers for the instance: hop-by-hop removed (RFC 9110 §7.6.1), Forwarded (RFC 7239) and
 * X-Forwarded-For/-Proto appended as an ingress does before the queue-proxy sees the request.
 */
export function forwardHeaders(req: ClientRequest, host: string): Record<string, string> {
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
  const client = req.socket?.remoteAddress ?? '';
  const xff = req.headers['x-forwarded-for'];
  out['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${client}` : client;
  const xfp = req.headers['x-forwarded-proto'];
  const proto = typeof xfp === 'string' && xfp ? xfp : 'http';
  out['x-forwarded-proto'] = proto;
  const forNode = client.includes(':') ? `"[${client}]"` : client;
  const element = `for=${forNode};host=${host || 'unknown'};proto=${proto}`;
  const fwd = req.headers.forwarded;
  out.forwarded = fwd ? `${Array.isArray(fwd) ? fwd.join(', ') : fwd}, ${element}` : element;
  return out;
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
  readonly host: string;
  ep: Endpoint | undefined;
  waiter: Waiter | undefined;
  timeouts: RequestTimeouts;
  upstream: http.ClientRequest | http2.ClientHttp2Stream | undefined;
  attempts = 0;
  finished = false;
  // For the metrics (when the dispatcher has an observer): arrival and send times, queued, answered by the instance.
  t0 = 0;
  tSent = 0;
  queued = false;
  fromApp = false;
  /** The request's spans, when tracing is on. */
  trace: RequestTrace | undefined;

  constructor(req: ClientRequest, res: ClientResponse, d: RevisionDispatcher, host: string, tracing: Tracing | undefined) {
    this.req = req;
    this.res = res;
    this.d = d;
    this.host = host;
    if (tracing !== undefined) {
      const tp = req.headers.traceparent;
      const ts = req.headers.tracestate;
      this.trace = tracing.begin({ traceparent: typeof tp === 'string' ? tp : undefined, tracestate: typeof ts === 'string' ? ts : undefined }, { host, revision: d.key, method: req.method ?? '' });
    }
    this.timeouts = new RequestTimeouts(d.timeouts, (kind) => this.timedOut(kind));
    d.stats.requestIn();
    if (d.observer !== undefined) this.t0 = performance.now();
    res.once('close', () => this.finish());
  }

  private timedOut(kind: TimeoutKind): void {
    if (this.waiter) {
      this.d.cancel(this.waiter);
      this.waiter = undefined;
    }
    this.abortUpstream();
    reply(this.res, DataPlaneError.timeout(kind));
    this.finish();
  }

  private abortUpstream(): void {
    const up = this.upstream;
    this.upstream = undefined;
    if (!up) return;
    if ('close' in up && typeof (up as http2.ClientHttp2Stream).close === 'function' && 'session' in up) (up as http2.ClientHttp2Stream).close(http2.constants.NGHTTP2_CANCEL);
    else up.destroy();
  }

  releaseSlot(): void {
    const ep = this.ep;
    if (!ep) return;
    this.ep = undefined;
    this.d.release(ep);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timeouts.done();
    if (this.waiter) {
      this.d.cancel(this.waiter);
      this.waiter = undefined;
    }
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
    const ep = this.d.tryAcquire();
    if (ep) {
      this.ep = ep;
      this.send();
      return;
    }
    this.queued = true;
    this.trace?.queued(this.d.readyCount === 0);
    this.waiter = this.d.enqueue(0, (got) => {
      this.waiter = undefined;
      this.trace?.admitted();
      if (this.finished) {
        if (!(got instanceof DataPlaneError)) this.d.release(got);
        return;
      }
      if (got instanceof DataPlaneError) {
        reply(this.res, got);
        this.finish();
        return;
      }
      this.ep = got;
      this.send();
    });
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
    if (this.ep !== undefined) this.d.firstByte(this.ep);
  }

  /** A connection refused before any byte was sent goes to another instance. */
  private failed(err: NodeJS.ErrnoException): void {
    this.upstream = undefined;
    this.releaseSlot();
    if (!this.finished && !this.res.headersSent && retriable(err) && !hasBody(this.req) && this.attempts < 3) {
      this.dispatch();
      return;
    }
    reply(this.res, DataPlaneError.upstream(this.d.key, err));
    this.finish();
  }

  private sendH1(): void {
    const ep = this.ep!;
    const headers = forwardHeaders(this.req, this.host);
    headers.host = (this.req.headers.host ?? this.req.headers[':authority'] ?? this.host) as string;
    if (this.trace !== undefined) headers.traceparent = this.trace.upstream(ep.id);
    const up = http.request({ host: ep.host, port: ep.port, method: this.req.method, path: this.req.url, headers, agent: ep.agent });
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
    const ep = this.ep!;
    let session: http2.ClientHttp2Session;
    try {
      session = ep.h2Session();
    } catch (err) {
      this.failed(err as NodeJS.ErrnoException);
      return;
    }
    const headers: http2.OutgoingHttpHeaders = forwardHeaders(this.req, this.host);
    if (this.trace !== undefined) headers.traceparent = this.trace.upstream(ep.id);
    headers[':method'] = this.req.method ?? 'GET';
    headers[':path'] = this.req.url ?? '/';
    headers[':authority'] = (this.req.headers[':authority'] ?? this.req.headers.host ?? this.host) as string;
    const body = hasBody(this.req);
    const up = session.request(headers, { endStream: !body });
    this.upstream = up;
    up.on('response', (h) => {
      if (this.finished) return;
      this.timeouts.wrote();
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
  /** Set by `knit serve` when config-observability turns tracing on; undefined costs nothing. */
  tracing: Tracing | undefined;

  constructor(listener: 'external' | 'cluster-local', table: RoutingTable, lookup: DispatcherLookup) {
    this.listener = listener;
    this.table = table;
    this.lookup = lookup;
    this.h1 = http.createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000, maxHeaderSize: 64 * 1024 }, (req, res) => this.handle(req, res));
    this.h1.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.h2 = http2.createServer({ maxSessionMemory: 64 }, (req, res) => this.handle(req, res as unknown as ClientResponse));
    this.fast = new FastPath(this);
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /** New connections start on the fast path, which tells h2c from HTTP/1.x by the first bytes. */
  private accept(socket: net.Socket): void {
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

  listen(host: string, port: number): Promise<AddressInfo> {
    return listen(this.server, host, port);
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
    return { host, d };
  }

  private handle(req: ClientRequest, res: ClientResponse): void {
    const r = this.route((req.headers.host ?? req.headers[':authority']) as string | undefined, req.headers['knative-serving-tag']);
    if (!r.d) {
      reply(res, r.error);
      return;
    }
    new Exchange(req, res, r.d, r.host, this.tracing).dispatch();
  }

  /** WebSocket (and other HTTP/1.1 upgrades): the connection holds an instance slot while open. */
  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const r = this.route(req.headers.host, req.headers['knative-serving-tag']);
    const fail = (err: DataPlaneError): void => {
      const body = err.body;
      let extra = '';
      for (const [k, v] of Object.entries(err.headers)) extra += `${k}: ${v}\r\n`;
      socket.end(`HTTP/1.1 ${err.status} ${http.STATUS_CODES[err.status]}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`);
    };
    if (!r.d) {
      fail(r.error);
      return;
    }
    const d = r.d;
    d.stats.requestIn();
    let ep: Endpoint | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (ep) d.release(ep);
      d.stats.requestOut();
    };
    socket.once('close', finish);
    socket.on('error', () => socket.destroy());
    const go = (got: Endpoint): void => {
      ep = got;
      const headers = forwardHeaders(req, r.host);
      headers.host = req.headers.host ?? r.host;
      headers.connection = 'Upgrade';
      headers.upgrade = req.headers.upgrade ?? 'websocket';
      const up = http.request({ host: got.host, port: got.port, method: req.method, path: req.url, headers, agent: false });
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
    const now = d.tryAcquire();
    if (now) {
      go(now);
      return;
    }
    const waiter = d.enqueue(d.timeouts.totalMs, (got) => {
      if (done) {
        if (!(got instanceof DataPlaneError)) d.release(got);
        return;
      }
      if (got instanceof DataPlaneError) fail(got);
      else go(got);
    });
    socket.once('close', () => {
      if (waiter) d.cancel(waiter);
    });
  }
}
