// The gateway's HTTP/1.1 fast path: request heads parsed straight from the client socket, routed,
// rewritten and relayed over pooled raw connections to the instance, parsing only what framing
// needs. Anything unusual (upgrades, Expect, HTTP/1.0, odd or huge heads, h2c revisions) goes to
// Node's http.Server at a request boundary, so it behaves exactly as the general path.

import http from 'node:http';
import type net from 'node:net';
import type { Lease, RevisionDispatcher } from './dispatcher.ts';
import { DataPlaneError, mayRetry } from './errors.ts';
import { ChunkedScanner, HeaderLines, Hdr, MAX_HEAD, findHeadEnd, isHeadMethod, parseLength, parseRequestLine, parseStatusLine, tokens } from './h1.ts';
import { RequestTimeouts, type TimeoutKind } from './timeouts.ts';
import type { UpstreamConnection, UpstreamUser } from './upstream.ts';
import { forwardingFields, forwardingLines, type ClientForwarding, type TrustedProxies } from './forwarding.ts';
import { validHost } from './routing.ts';
import type { RequestTrace, Tracing } from '../tracing/tracing.ts';
import type { TraceHeaders } from '../tracing/config.ts';

/**
 * Where a request goes: a revision's dispatcher (`split`: picked from a traffic split, so it holds for this
 * request alone), or the error to answer with.
 */
export type RouteResult = { host: string; d: RevisionDispatcher; split: boolean; error?: undefined } | { host: string; d?: undefined; error: DataPlaneError };

/** What the fast path needs from its gateway. */
export interface FastPathGateway {
  route(hostHeader: string | undefined, tagHeader: string | undefined): RouteResult;
  routesBehind: (() => Promise<void> | undefined) | undefined;
  /** The https URL a plain-HTTP request is redirected to (http-protocol Redirected), if any. */
  redirectLocation(authority: string, path: string, encrypted: boolean): string | undefined;
  /** Gives the connection to Node's HTTP/1 or HTTP/2 server; `rest` are bytes read but not handled. */
  handOff(socket: net.Socket, rest: Buffer | undefined, to: 'h1' | 'h2'): void;
  /** True when `hostHeader`'s host is answered by a handler inside knit (Gateway.serveInProcess): the general path's. */
  servesInProcess(hostHeader: string): boolean;
  /** Peers whose own forwarding headers are kept. */
  readonly trusted: TrustedProxies;
  /** Set when tracing is on (src/tracing/tracing.ts). */
  readonly tracing?: Tracing | undefined;
  /**
   * Changes whenever routes, domain mappings, in-process hosts or the HTTPS port do: until it does (and while
   * the revision's dispatcher is open), a Host routed once to one revision routes there again.
   */
  readonly routingVersion: number;
}

/** The W3C trace context headers: read from the client, and the traceparent replaced by knit's when tracing. */
const TRACE_HEADERS = new Set(['traceparent', 'tracestate']);
const TRACEPARENT = new Set(['traceparent']);

/** Node's http.Server defaults, kept for fast-path connections. */
const KEEP_ALIVE_TIMEOUT_S = 5;
const HEADERS_TIMEOUT_S = 60;
/** Bodies up to this size go out in the same write as the response head (one copy, one syscall). */
const INLINE_BODY = 16 * 1024;
/** Client bytes buffered while no upstream can take them before the client is paused. */
const MAX_BUFFERED = 64 * 1024;
/**
 * Response bytes knit may hold for a client that does not read: once the socket's unsent bytes pass
 * this, no further pipelined request is started until they drain (nginx stops reading the same way).
 */
export const MAX_UNREAD_RESPONSE = 64 * 1024;
/** What Node's server answers to a request its parser refuses. */
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

// Connection states.
const IDLE = 0; // between requests (maybe with a partial head buffered)
const ACTIVE = 1; // a request is being proxied
const CLOSING = 2; // the last response is written; waiting for the client to go
const GONE = 3; // closed or handed off

// Response framing.
const NONE = 0;
const LENGTH = 1;
const CHUNKED = 2;
const UNTIL_CLOSE = 3;

const CRLF = Buffer.from('\r\n');
/** One more than the largest Hdr kind: the length of a connection's `values`. */
const HDR_KINDS = Math.max(...Object.values(Hdr)) + 1;
// What Node's server tells clients, so that their pools stop reusing a connection before the sweep closes it.
const KEEP_ALIVE = `connection: keep-alive\r\nkeep-alive: timeout=${KEEP_ALIVE_TIMEOUT_S}\r\n`;
const CLOSE = 'connection: close\r\n';
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** True if buf[from, …) holds an LF not preceded by CR (a line ending Node's strict parser refuses). */
function bareLf(buf: Buffer, from: number): boolean {
  for (let i = buf.indexOf(10, from); i >= 0; i = buf.indexOf(10, i + 1)) if (i === 0 || buf[i - 1] !== 13) return true;
  return false;
}

function hangUp(): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error('socket hang up');
  e.code = 'ECONNRESET';
  return e;
}

function parseError(what: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`Parse Error: ${what}`);
  e.code = 'HPE_INVALID_RESPONSE';
  return e;
}

/** Request kinds dropped from the forwarded head (hop-by-hop, or rewritten by knit). */
function dropRequestHeader(kind: Hdr): boolean {
  return (
    kind === Hdr.Connection ||
    kind === Hdr.KeepAlive ||
    kind === Hdr.Te ||
    kind === Hdr.TransferEncoding ||
    kind === Hdr.Upgrade ||
    kind === Hdr.Drop ||
    kind === Hdr.XForwardedFor ||
    kind === Hdr.XForwardedProto ||
    kind === Hdr.XForwardedHost ||
    kind === Hdr.Forwarded
  );
}

/** Response kinds dropped before the client sees them (hop-by-hop, as the general path does). */
function dropResponseHeader(kind: Hdr): boolean {
  return kind === Hdr.Connection || kind === Hdr.KeepAlive || kind === Hdr.Te || kind === Hdr.TransferEncoding || kind === Hdr.Upgrade || kind === Hdr.Drop || kind === Hdr.Host;
}

/**
 * Copies buf[0, L.blankLine) into a new Buffer without the header lines whose kind `drop` selects
 * (or whose name is in `connTokens`), then `extra` (header lines), the blank line and
 * body[bodyStart, bodyEnd). `prefix` replaces the first `prefixLen` bytes (the response's version).
 */
function rewriteHead(buf: Buffer, L: HeaderLines, drop: (kind: Hdr) => boolean, connTokens: Set<string> | undefined, extra: string, prefix: string, prefixLen: number, body: Buffer | undefined, bodyStart: number, bodyEnd: number): Buffer {
  const offs = L.offsets;
  const kinds = L.kinds;
  const count = L.count;
  let total = prefix.length - prefixLen + L.blankLine + extra.length + 2 + (bodyEnd - bodyStart);
  let dropped = 0;
  for (let n = 0; n < count; n++) {
    if (drop(kinds[n]) || (connTokens !== undefined && kinds[n] === Hdr.Other && L.nameIn(buf, n, connTokens))) {
      kinds[n] = Hdr.Drop;
      total -= offs[n * 5 + 4] - offs[n * 5];
      dropped++;
    }
  }
  const out = Buffer.allocUnsafe(total);
  let pos = prefix.length > 0 ? out.write(prefix, 0, 'latin1') : 0;
  let runStart = prefixLen;
  if (dropped > 0) {
    for (let n = 0; n < count; n++) {
      if (kinds[n] !== Hdr.Drop) continue;
      const s = offs[n * 5];
      if (s > runStart) pos += buf.copy(out, pos, runStart, s);
      runStart = offs[n * 5 + 4];
    }
  }
  if (L.blankLine > runStart) pos += buf.copy(out, pos, runStart, L.blankLine);
  if (extra.length > 0) pos += out.write(extra, pos, 'latin1');
  out[pos++] = 13;
  out[pos++] = 10;
  if (body !== undefined && bodyEnd > bodyStart) body.copy(out, pos, bodyStart, bodyEnd);
  return out;
}

/** Accepts HTTP/1.x connections for one gateway listener and closes idle ones as Node would. */
export class FastPath {
  readonly gw: FastPathGateway;
  /** Seconds since start, advanced by the sweep: a cheap clock for idle and header timeouts. */
  tick = 0;
  /** The Date header value, refreshed by the sweep (Node's and Go's servers add one when missing). */
  date = new Date().toUTCString();
  private readonly conns = new Set<FastConnection>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(gw: FastPathGateway) {
    this.gw = gw;
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  /** Takes a new client connection (its first bytes decide between HTTP/1.x and h2c). */
  accept(socket: net.Socket): void {
    const c = new FastConnection(this, socket);
    this.conns.add(c);
  }

  /** @internal */
  forget(c: FastConnection): void {
    this.conns.delete(c);
  }

  private sweep(): void {
    const t = ++this.tick;
    this.date = new Date().toUTCString();
    for (const c of this.conns) c.sweep(t);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
  }
}

/** One client connection on the fast path; it proxies one request at a time. */
class FastConnection implements UpstreamUser {
  readonly socket: net.Socket;
  private readonly fp: FastPath;
  private readonly lines = new HeaderLines();
  /**
   * The current head's header values by Hdr kind: Host and Transfer-Encoding (which may come once), and
   * the comma-combined list headers (Connection, TE, X-Forwarded-*, Forwarded, the tag header).
   */
  private readonly values: (string | undefined)[] = new Array<string | undefined>(HDR_KINDS).fill(undefined);
  private readonly remote: string;
  /** The listener's scheme: a TLS socket (the --https listener hands its connections here) is https. */
  private readonly proto: 'http' | 'https';
  /** The peer is a trusted proxy: its Forwarded / X-Forwarded-* are kept in front of knit's own. */
  private readonly trusted: boolean;
  private state = IDLE;
  private sniffed = false;
  /** Client bytes not handled yet (a partial head, or pipelined requests). */
  private buf: Buffer | undefined;
  private scanFrom = 0;
  private lastActive: number;
  /** When the head being waited for began (tick), or -1 while a request runs or the connection idles. */
  private headSince: number;
  private pausedForBuffer = false;
  /** Paused until the client reads what knit wrote (MAX_UNREAD_RESPONSE). */
  private pausedForClient = false;
  private driveScheduled = false;
  // Forwarding headers for the last host seen on this connection without X-Forwarded-*/Forwarded.
  private suffixHost: string | undefined;
  private suffix = '';
  // The last Host routed on this connection to a single revision, and when (FastPathGateway.routingVersion).
  private routedHost: string | undefined;
  private routed: RouteResult | undefined;
  private routedVersion = -1;

  // The request in progress.
  private d: RevisionDispatcher | undefined;
  /** The request's hold on its revision (waiting, or an endpoint's slot). */
  private lease: Lease | undefined;
  private up: UpstreamConnection | undefined;
  /** The connection's request clock, reused by each request (its timer too, see timeouts.ts). */
  private readonly clock: RequestTimeouts;
  /** The clock while a request to a revision runs. */
  private timeouts: RequestTimeouts | undefined;
  /** The rewritten head, kept until the response starts in case the request is retried. */
  private upHead: Buffer | undefined;
  private attempts = 0;
  private isHead = false;
  private closeAfter = false;
  private hasBody = false;
  /** Request body bytes still to come: > 0 content-length left, -1 chunked, 0 none. */
  private reqLeft = 0;
  private readonly reqChunks = new ChunkedScanner();
  /** Body bytes that arrived before an upstream connection was assigned. */
  private bodyQueue: Buffer[] | undefined;
  private bodyQueued = 0;
  private clientPausedForUp = false;
  // The response in progress.
  private headSent = false;
  private resDone = false;
  private resBuf: Buffer | undefined;
  private resMode = NONE;
  private resLeft = 0;
  private readonly resChunks = new ChunkedScanner();
  private upReusable = false;
  private upKeepAliveMs = 0;
  private upPaused = false;
  private readonly status = { next: 0, minor: 1 };
  // For the metrics (when the dispatcher has an observer): arrival, send time, status, who answered, queued.
  private t0 = 0;
  private tSent = 0;
  private resStatus = 0;
  private fromApp = false;
  private queued = false;
  /** The request's spans, when tracing is on. */
  private trace: RequestTrace | undefined;

  constructor(fp: FastPath, socket: net.Socket) {
    this.fp = fp;
    this.socket = socket;
    this.remote = socket.remoteAddress ?? '';
    this.proto = (socket as net.Socket & { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
    this.trusted = fp.gw.trusted.trusts(this.remote);
    this.clock = new RequestTimeouts(this.onTimeout);
    // As in Node, a new connection has the headers timeout to send its first request.
    this.lastActive = this.headSince = fp.tick;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (!this.sniffed) {
      const b = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
      // HTTP/2 prior knowledge starts with "PRI * HTTP/2.0".
      if (b.length < 3 && b.equals(Buffer.from('PRI').subarray(0, b.length))) {
        this.buf = b;
        return;
      }
      this.sniffed = true;
      this.buf = b;
      if (b[0] === 0x50 && b[1] === 0x52 && b[2] === 0x49) {
        this.handOff('h2');
        return;
      }
      this.drive();
      return;
    }
    if (this.state === ACTIVE) {
      let off = 0;
      if (this.reqLeft !== 0) {
        off = this.requestBody(chunk);
        if (off >= chunk.length) return;
      }
      // Pipelined bytes: kept until this request is done.
      const rest = off === 0 ? chunk : chunk.subarray(off);
      this.buf = this.buf ? Buffer.concat([this.buf, rest]) : rest;
      // (The state may have moved on: the body's last bytes can complete an answered request.)
      const now = this.state as number;
      if (now === IDLE) {
        this.drive();
        return;
      }
      if (now === ACTIVE && this.buf.length > MAX_HEAD && !this.pausedForBuffer) {
        this.pausedForBuffer = true;
        this.socket.pause();
      }
      return;
    }
    if (this.state !== IDLE) return;
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    this.drive();
  };

  private readonly onEnd = (): void => {
    // As Node's server (and Knative's Go one): a client that ends its side cancels its request.
    if (this.state === ACTIVE) this.abort();
    if (this.state !== CLOSING) this.close();
  };

  private readonly onClose = (): void => {
    if (this.state === ACTIVE) this.abort();
    this.clock.done();
    this.state = GONE;
    this.fp.forget(this);
  };

  private readonly onDrain = (): void => {
    if (this.upPaused) {
      this.upPaused = false;
      this.up?.socket.resume();
    }
    if (this.pausedForClient && this.state === IDLE) {
      this.pausedForClient = false;
      this.socket.resume();
      this.drive();
    }
  };

  private readonly driveSoon = (): void => {
    this.driveScheduled = false;
    if (this.state === IDLE) this.drive();
  };

  /** Idle and header timeouts, checked once a second. */
  sweep(t: number): void {
    // A client that has not read its responses yet is not idle (Node's server keeps it too); what it costs is bounded.
    if (this.pausedForClient) return;
    if (this.state === IDLE) {
      if (this.headSince >= 0) {
        if (t - this.headSince > HEADERS_TIMEOUT_S) {
          this.state = GONE;
          this.socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
          this.socket.destroySoon();
        }
      } else if (t - this.lastActive > KEEP_ALIVE_TIMEOUT_S) this.socket.destroy();
    } else if (this.state === CLOSING && t - this.lastActive > KEEP_ALIVE_TIMEOUT_S) this.socket.destroy();
  }

  /** Starts every complete request head in the buffer, one at a time. */
  private drive(): void {
    while (this.state === IDLE && this.buf !== undefined && !this.pausedForClient) {
      const buf = this.buf;
      const end = findHeadEnd(buf, this.scanFrom);
      if (end < 0) {
        // A bare LF can never end a head here; Node's parser answers it (400) at once.
        if (buf.length > MAX_HEAD || bareLf(buf, this.scanFrom)) this.handOff('h1');
        else {
          this.scanFrom = Math.max(0, buf.length - 3);
          if (this.headSince < 0) this.headSince = this.fp.tick;
        }
        return;
      }
      this.scanFrom = 0;
      this.headSince = -1;
      if (end > MAX_HEAD || !this.start(buf, end)) {
        this.handOff('h1');
        return;
      }
    }
  }

  /** Gives the connection to Node's server with the bytes not handled yet. */
  private handOff(to: 'h1' | 'h2'): void {
    this.state = GONE;
    const s = this.socket;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onClose);
    s.off('drain', this.onDrain);
    this.fp.forget(this);
    this.clock.done();
    const rest = this.buf;
    this.buf = undefined;
    this.fp.gw.handOff(s, rest, to);
  }

  private close(): void {
    this.state = CLOSING;
    this.lastActive = this.fp.tick;
    this.socket.end();
  }

  /**
   * Parses the head in buf[0, end) and starts proxying it. Returns false, consuming nothing,
   * when Node's server should handle it instead.
   */
  private start(buf: Buffer, end: number): boolean {
    const lineEnd = parseRequestLine(buf, end);
    if (lineEnd < 0) return false;
    const L = this.lines;
    if (!L.scan(buf, lineEnd, end)) return false;
    const values = this.values;
    values.fill(undefined);
    let teCount = 0;
    let cl = -1;
    const kinds = L.kinds;
    for (let n = 0; n < L.count; n++) {
      const kind = kinds[n];
      switch (kind) {
        case Hdr.Other:
        case Hdr.KeepAlive:
        case Hdr.Drop:
          break;
        case Hdr.Host:
        case Hdr.TransferEncoding:
          if (values[kind] !== undefined) return false;
          values[kind] = L.value(buf, n);
          break;
        case Hdr.ContentLength:
          if (cl >= 0) return false;
          cl = parseLength(buf, L.offsets[n * 5 + 2], L.offsets[n * 5 + 3]);
          if (cl < 0) return false;
          break;
        case Hdr.Upgrade:
        case Hdr.Expect:
          return false;
        case Hdr.Te:
        case Hdr.Connection:
        case Hdr.XForwardedFor:
        case Hdr.XForwardedProto:
        case Hdr.XForwardedHost:
        case Hdr.Forwarded:
        case Hdr.Tag:
          values[kind] = L.joined(buf, n, values[kind]);
          if (kind === Hdr.Te) teCount++;
          break;
      }
    }
    const host = values[Hdr.Host];
    const transfer = values[Hdr.TransferEncoding];
    const conn = values[Hdr.Connection];
    const tag = values[Hdr.Tag];
    // HTTP/1.1 without Host is a 400 from Node.
    if (!host) return false;
    let chunked = false;
    if (transfer !== undefined) {
      if (cl >= 0 || transfer.toLowerCase() !== 'chunked') return false;
      chunked = true;
    }
    const gw = this.fp.gw;
    let r = this.routed;
    // A keep-alive connection usually sends one Host: its route holds until the routing changes.
    if (r === undefined || host !== this.routedHost || tag !== undefined || this.routedVersion !== gw.routingVersion || r.d === undefined || r.d.isClosed) {
      // An invalid Host is a 400 from the general path (RFC 9112 §3.2).
      if (!validHost(host)) return false;
      // An http-protocol Redirected host's 301 is the general path's.
      if (this.proto === 'http' && gw.redirectLocation(host, '/', false) !== undefined) return false;
      // Hosts served in-process (broker ingress, channels) are answered by Node's http server.
      if (gw.servesInProcess(host)) return false;
      r = gw.route(host, tag);
      // HTTP/2 to the instance is the general path's job.
      if (r.d !== undefined && r.d.protocol !== 'http1') return false;
      // So is waiting for a routing table on its way (Gateway.routesBehind).
      if (r.d === undefined && gw.routesBehind?.() !== undefined) return false;
      if (r.d !== undefined && !r.split && tag === undefined) {
        this.routedHost = host;
        this.routed = r;
        this.routedVersion = gw.routingVersion;
      } else this.routed = undefined;
    }

    // Committed: this head is handled here.
    let closeConn = false;
    let connTokens: Set<string> | undefined;
    if (conn !== undefined) {
      const toks = tokens(conn);
      closeConn = toks.includes('close');
      if (conn !== 'keep-alive' && conn !== 'close') connTokens = new Set(toks);
    }
    this.state = ACTIVE;
    this.isHead = isHeadMethod(buf);
    this.closeAfter = closeConn;
    this.hasBody = chunked || cl > 0;
    this.reqLeft = chunked ? -1 : cl > 0 ? cl : 0;
    if (chunked) this.reqChunks.reset();
    this.attempts = 0;
    this.headSent = false;
    this.resDone = false;
    this.upHead = undefined;
    this.resStatus = 0;
    this.queued = false;
    const tracing = this.fp.gw.tracing;
    if (r.d !== undefined && tracing !== undefined) {
      const th: TraceHeaders = {};
      for (let n = 0; n < L.count; n++) {
        if (kinds[n] !== Hdr.Other || !L.nameIn(buf, n, TRACE_HEADERS)) continue;
        if (L.nameIn(buf, n, TRACEPARENT)) th.traceparent = L.value(buf, n);
        else th.tracestate = L.value(buf, n);
      }
      this.trace = tracing.begin(th, { host: r.host, revision: r.d.key, method: buf.toString('latin1', 0, buf.indexOf(32)) });
      // knit's upstream_call span becomes the instance's parent: the caller's traceparent is replaced.
      connTokens = new Set([...(connTokens ?? []), 'traceparent']);
    }
    if (r.d !== undefined) {
      const client: ClientForwarding | undefined = this.trusted ? { xff: values[Hdr.XForwardedFor], xfp: values[Hdr.XForwardedProto], xfh: values[Hdr.XForwardedHost], forwarded: values[Hdr.Forwarded] } : undefined;
      this.upHead = this.upstreamHead(buf, host, client, values[Hdr.Te], teCount, chunked, connTokens);
    }
    this.buf = end < buf.length ? buf.subarray(end) : undefined;
    const d = r.d;
    if (d === undefined) {
      this.reply(r.error);
    } else {
      this.d = d;
      d.stats.requestIn();
      const now = performance.now();
      this.t0 = now;
      this.timeouts = this.clock;
      this.clock.begin(d.timeouts, now);
      this.dispatch();
    }
    // Body bytes that came with the head.
    if (this.reqLeft !== 0 && this.buf !== undefined && this.state === ACTIVE) {
      const b = this.buf;
      this.buf = undefined;
      const off = this.requestBody(b);
      if (off < b.length) this.buf = this.buf ? Buffer.concat([b.subarray(off), this.buf]) : b.subarray(off);
    }
    return true;
  }

  /** The head sent to the instance: hop-by-hop headers out, Forwarded / X-Forwarded-* set (forwarding.ts). */
  private upstreamHead(buf: Buffer, authority: string, client: ClientForwarding | undefined, te: string | undefined, teCount: number, chunked: boolean, connTokens: Set<string> | undefined): Buffer {
    const L = this.lines;
    let extra: string;
    const own = client === undefined || (client.xff === undefined && client.xfp === undefined && client.xfh === undefined && client.forwarded === undefined);
    if (own && te === undefined && !chunked) {
      if (this.suffixHost !== authority) {
        this.suffixHost = authority;
        this.suffix = forwardingLines(forwardingFields(this.remote, authority, this.proto, undefined));
      }
      extra = this.suffix;
    } else {
      extra = forwardingLines(forwardingFields(this.remote, authority, this.proto, own ? undefined : client));
      // gRPC needs `te: trailers` end to end.
      if (teCount === 1 && te === 'trailers') extra += 'te: trailers\r\n';
      if (chunked) extra += 'transfer-encoding: chunked\r\n';
    }
    return rewriteHead(buf, L, dropRequestHeader, connTokens, extra, '', 0, undefined, 0, 0);
  }

  /** Forwards the request body bytes at the start of `chunk`; returns where the body ended in it. */
  private requestBody(chunk: Buffer): number {
    let end: number;
    if (this.reqLeft > 0) {
      const n = Math.min(this.reqLeft, chunk.length);
      this.reqLeft -= n;
      end = n;
    } else {
      const r = this.reqChunks.scan(chunk, 0, chunk.length);
      if (r === -2) {
        // A chunked body Node's parser would refuse: none of this chunk reaches the instance.
        this.badBody();
        return chunk.length;
      }
      end = r === -1 ? chunk.length : r;
      if (r >= 0) this.reqLeft = 0;
    }
    const part = end === chunk.length ? chunk : chunk.subarray(0, end);
    const up = this.up;
    if (this.resDone || this.d === undefined) {
      // Answered already (or never routed): the rest of the body is read and dropped.
    } else if (up !== undefined) {
      if (!up.socket.write(part) && !this.clientPausedForUp) {
        this.clientPausedForUp = true;
        this.socket.pause();
      }
    } else {
      (this.bodyQueue ??= []).push(part);
      this.bodyQueued += part.length;
      if (this.bodyQueued > MAX_BUFFERED && !this.clientPausedForUp) {
        this.clientPausedForUp = true;
        this.socket.pause();
      }
    }
    if (this.reqLeft === 0 && this.resDone) this.finish();
    return end;
  }

  /**
   * The request body broke framing: the instance's connection is dropped (it saw only well-formed
   * chunks, then an end of stream) and the client gets Node's 400, or a cut if its response started.
   */
  private badBody(): void {
    const started = this.headSent;
    this.abort();
    this.buf = undefined;
    if (started) {
      this.socket.destroy();
      return;
    }
    this.socket.end(BAD_REQUEST);
    this.socket.destroySoon();
  }

  /** Gets an endpoint (now or after waiting) and sends the request to it. */
  private dispatch(): void {
    const lease = this.d!.acquire(0, this.onLease);
    this.lease = lease;
    if (lease.endpoint !== undefined) this.send();
    else if (lease.error !== undefined) {
      this.lease = undefined;
      this.reply(lease.error);
    } else {
      this.queued = true;
      this.trace?.queued(this.d!.readyCount === 0);
    }
  }

  /** A lease that had to wait is settled; it is stale if its request ended (or was retried) meanwhile. */
  private readonly onLease = (l: Lease): void => {
    if (this.state !== ACTIVE || this.resDone || this.lease !== l) {
      l.release();
      return;
    }
    this.trace?.admitted();
    if (l.error !== undefined) {
      this.lease = undefined;
      this.reply(l.error);
    } else this.send();
  };

  private send(): void {
    this.attempts++;
    const ep = this.lease!.endpoint!;
    if (this.d!.observer !== undefined) this.tSent = performance.now();
    const up = ep.raw.acquire(this);
    this.up = up;
    this.resBuf = undefined;
    this.upPaused = false;
    const s = up.socket;
    let ok: boolean;
    const head = this.upHead!;
    if (this.trace !== undefined) {
      // The head ends with the blank line: knit's traceparent goes in before it.
      s.cork();
      s.write(head.subarray(0, head.length - 2));
      ok = s.write(`traceparent: ${this.trace.upstream(ep.id)}\r\n\r\n`, 'latin1');
      s.uncork();
    } else ok = s.write(head);
    if (this.hasBody) this.upHead = undefined;
    const q = this.bodyQueue;
    if (q !== undefined) {
      this.bodyQueue = undefined;
      this.bodyQueued = 0;
      for (const b of q) ok = s.write(b);
    }
    if (ok && this.clientPausedForUp) {
      this.clientPausedForUp = false;
      this.socket.resume();
    }
  }

  upstreamDrain(): void {
    if (this.clientPausedForUp) {
      this.clientPausedForUp = false;
      this.socket.resume();
    }
  }

  upstreamData(chunk: Buffer): void {
    if (this.resMode !== NONE && this.headSent && !this.resDone) {
      this.responseBody(chunk, 0);
      return;
    }
    if (this.headSent) {
      // Bytes after a complete response: the connection cannot be reused.
      this.upReusable = false;
      return;
    }
    let buf = this.resBuf ? Buffer.concat([this.resBuf, chunk]) : chunk;
    for (;;) {
      const end = findHeadEnd(buf, 0);
      if (end < 0) {
        if (buf.length > MAX_HEAD) this.upstreamFailed(parseError('response head too large'));
        else this.resBuf = Buffer.from(buf); // kept past this read: copied out of the shared read buffer
        return;
      }
      const st = this.status;
      const status = parseStatusLine(buf, end, st);
      if (status < 0 || !this.lines.scan(buf, st.next, end)) {
        this.upstreamFailed(parseError('invalid response head'));
        return;
      }
      if (status >= 200) {
        this.resBuf = undefined;
        this.responseHead(buf, end, status);
        return;
      }
      // 1xx: not passed on (as the general path); 101 without an upgrade is a broken instance.
      if (status === 101) {
        this.upstreamFailed(parseError('unexpected 101 response'));
        return;
      }
      if (end === buf.length) {
        this.resBuf = undefined;
        return;
      }
      buf = buf.subarray(end);
    }
  }

  private responseHead(buf: Buffer, end: number, status: number): void {
    const L = this.lines;
    const kinds = L.kinds;
    let cl = -1;
    let transfer: string | undefined;
    let connClose = false;
    let connKeepAlive = false;
    let keepAliveMs = 0;
    let dated = false;
    for (let n = 0; n < L.count; n++) {
      switch (kinds[n]) {
        case Hdr.Date:
          dated = true;
          break;
        case Hdr.ContentLength: {
          const v = parseLength(buf, L.offsets[n * 5 + 2], L.offsets[n * 5 + 3]);
          if (v < 0 || (cl >= 0 && v !== cl)) {
            this.upstreamFailed(parseError('invalid content-length'));
            return;
          }
          cl = v;
          break;
        }
        case Hdr.TransferEncoding:
          transfer = transfer === undefined ? L.value(buf, n) : `${transfer}, ${L.value(buf, n)}`;
          break;
        case Hdr.Connection:
          // Mostly the one token: read without making strings.
          if (L.valueIs(buf, n, 'keep-alive')) connKeepAlive = true;
          else if (L.valueIs(buf, n, 'close')) connClose = true;
          else
            for (const t of tokens(L.value(buf, n))) {
              if (t === 'close') connClose = true;
              else if (t === 'keep-alive') connKeepAlive = true;
            }
          break;
        case Hdr.KeepAlive: {
          const m = /timeout=(\d+)/i.exec(L.value(buf, n));
          if (m) keepAliveMs = Number(m[1]) * 1000;
          break;
        }
      }
    }
    let mode: number;
    let extra = '';
    const noBody = this.isHead || status === 204 || status === 304;
    if (noBody) mode = NONE;
    else if (transfer !== undefined) {
      if (cl >= 0) {
        this.upstreamFailed(parseError('content-length with transfer-encoding'));
        return;
      }
      const toks = tokens(transfer);
      if (toks[toks.length - 1] === 'chunked') {
        mode = CHUNKED;
        extra = toks.length === 1 ? 'transfer-encoding: chunked\r\n' : `transfer-encoding: ${transfer}\r\n`;
      } else {
        mode = UNTIL_CLOSE;
        extra = 'transfer-encoding: chunked\r\n';
      }
    } else if (cl >= 0) mode = LENGTH;
    else {
      mode = UNTIL_CLOSE;
      extra = 'transfer-encoding: chunked\r\n';
    }
    extra += this.closeAfter ? CLOSE : KEEP_ALIVE;
    if (!dated) extra += `date: ${this.fp.date}\r\n`;
    this.resMode = mode;
    this.upReusable = mode !== UNTIL_CLOSE && (this.status.minor === 1 ? !connClose : connKeepAlive);
    this.upKeepAliveMs = keepAliveMs;
    this.upHead = undefined;
    // The first body bytes go out with the head when they are few: a whole small response is one write.
    let bodyEnd = end;
    /** CHUNKED: where the body's last chunk ended in `buf` (-1: not in it), scanned once. */
    let chunksEnd = -1;
    if (mode === LENGTH) {
      bodyEnd = end + Math.min(cl, buf.length - end);
      this.resLeft = cl;
    } else if (mode === CHUNKED) {
      this.resChunks.reset();
      if (end < buf.length) {
        chunksEnd = this.resChunks.scan(buf, end, buf.length);
        bodyEnd = chunksEnd < 0 ? buf.length : chunksEnd;
      }
    }
    const inline = (mode === LENGTH || (mode === CHUNKED && chunksEnd !== -2)) && bodyEnd - end <= INLINE_BODY;
    const head = rewriteHead(buf, L, dropResponseHeader, undefined, extra, 'HTTP/1.1', 8, inline ? buf : undefined, end, inline ? bodyEnd : end);
    this.headSent = true;
    this.resStatus = status;
    this.fromApp = true;
    const leased = this.lease?.endpoint;
    if (leased !== undefined) this.d!.firstByte(leased);
    if (inline) {
      this.write(head);
      if (mode === CHUNKED ? chunksEnd >= 0 : (this.resLeft -= bodyEnd - end) === 0) {
        if (bodyEnd < buf.length) this.upReusable = false;
        this.responseDone();
      }
      return;
    }
    this.write(head);
    if (mode === CHUNKED && end < buf.length) {
      if (chunksEnd === -2) {
        // A broken chunked body from the instance: the client's response is cut.
        this.socket.destroy();
        return;
      }
      // Scanned above: relayed as it is, not scanned again.
      this.write(Buffer.from(buf.subarray(end, bodyEnd)));
      if (chunksEnd >= 0) {
        if (chunksEnd < buf.length) this.upReusable = false;
        this.responseDone();
      }
      return;
    }
    if (mode === NONE) {
      if (end < buf.length) this.upReusable = false;
      this.responseDone();
      return;
    }
    if (mode === LENGTH && cl === 0) {
      if (end < buf.length) this.upReusable = false;
      this.responseDone();
      return;
    }
    if (end < buf.length) this.responseBody(buf, end);
  }

  /**
   * Relays response body bytes buf[off, …) according to the framing. `buf` may be the upstream read
   * buffer (upstream.ts), so what goes to the client is a copy: the socket may queue it.
   */
  private responseBody(buf: Buffer, off: number): void {
    const len = buf.length;
    switch (this.resMode) {
      case LENGTH: {
        const n = Math.min(this.resLeft, len - off);
        this.resLeft -= n;
        this.write(Buffer.from(buf.subarray(off, off + n)));
        if (this.resLeft === 0) {
          if (off + n < len) this.upReusable = false;
          this.responseDone();
        }
        return;
      }
      case CHUNKED: {
        const r = this.resChunks.scan(buf, off, len);
        if (r === -2) {
          // A broken chunked body from the instance: the client's response is cut.
          this.socket.destroy();
          return;
        }
        const e = r === -1 ? len : r;
        this.write(Buffer.from(buf.subarray(off, e)));
        if (r >= 0) {
          if (r < len) this.upReusable = false;
          this.responseDone();
        }
        return;
      }
      case UNTIL_CLOSE: {
        const part = off === 0 ? buf : buf.subarray(off);
        if (part.length === 0) return;
        this.socket.cork();
        this.socket.write(`${part.length.toString(16)}\r\n`, 'latin1');
        this.socket.write(Buffer.from(part));
        this.write(CRLF);
        this.socket.uncork();
        return;
      }
    }
  }

  private write(b: Buffer): void {
    this.timeouts?.wrote();
    if (!this.socket.write(b) && !this.upPaused && this.up !== undefined && !this.resDone) {
      this.upPaused = true;
      this.up.socket.pause();
    }
  }

  upstreamClosed(err: NodeJS.ErrnoException | undefined): void {
    this.up = undefined;
    if (this.headSent && !this.resDone) {
      if (this.resMode === UNTIL_CLOSE && err === undefined) {
        this.write(LAST_CHUNK);
        this.upReusable = false;
        this.responseDone();
      } else {
        // Cut mid-response: the client must see an incomplete message, not a short one.
        this.socket.destroy();
      }
      return;
    }
    if (!this.headSent) this.upstreamFailed(err ?? hangUp());
  }

  /** The instance failed before a response started: retry a bodiless request, or answer 502. */
  private upstreamFailed(err: NodeJS.ErrnoException): void {
    const up = this.up;
    this.up = undefined;
    up?.discard();
    const partial = this.resBuf !== undefined;
    this.resBuf = undefined;
    this.releaseSlot();
    if (this.state !== ACTIVE || this.resDone) return;
    if (mayRetry(err, this.attempts, this.hasBody, partial)) {
      this.dispatch();
      return;
    }
    this.reply(DataPlaneError.upstream(this.d!.key, err));
  }

  /** Ends the request's lease: its slot goes back, or it leaves the queue. */
  private releaseSlot(): void {
    const l = this.lease;
    this.lease = undefined;
    l?.release();
  }

  private readonly onTimeout = (kind: TimeoutKind): void => {
    if (this.state !== ACTIVE || this.resDone) return;
    const up = this.up;
    this.up = undefined;
    up?.discard();
    this.releaseSlot();
    const err = DataPlaneError.timeout(kind);
    if (this.headSent) {
      // Knative's timeout handler writes its message into a response that already started and returns,
      // and Go's server then ends the response (knative/serving pkg/http/handler/timeout.go
      // timeoutAndWriteError): a chunked response gets the text and its last chunk, a response with a
      // Content-Length is left short and its connection closed. Mid-chunk, knit can only cut.
      if (this.resMode === UNTIL_CLOSE || (this.resMode === CHUNKED && this.resChunks.atChunkBoundary)) {
        const msg = Buffer.from(err.message);
        this.socket.write(`${msg.length.toString(16)}\r\n${err.message}\r\n0\r\n\r\n`, 'latin1');
        this.upReusable = false;
        this.responseDone();
        return;
      }
      this.socket.destroy();
      return;
    }
    this.reply(err);
  };

  /** Answers the request from knit itself (no route, no instance, instance errors, timeouts). */
  private reply(err: DataPlaneError): void {
    this.headSent = true;
    this.resStatus = err.status;
    this.fromApp = false;
    const { status, body } = err;
    let more = '';
    for (const [k, v] of Object.entries(err.headers)) more += `${k}: ${v}\r\n`;
    this.socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\ndate: ${this.fp.date}\r\n${more}${this.closeAfter ? CLOSE : KEEP_ALIVE}\r\n${body}`,
    );
    this.upReusable = false;
    this.responseDone();
  }

  /** The response is complete: the instance connection and slot go back at once. */
  private responseDone(): void {
    this.resDone = true;
    const up = this.up;
    if (up !== undefined) {
      this.up = undefined;
      if (this.upPaused) {
        this.upPaused = false;
        up.socket.resume();
      }
      if (this.upReusable && this.reqLeft === 0) up.pool.release(up, this.upKeepAliveMs);
      else up.discard();
    }
    this.releaseSlot();
    this.endExchange();
    if (this.reqLeft === 0) this.finish();
    else if (this.clientPausedForUp) {
      // The rest of the body is read and dropped.
      this.clientPausedForUp = false;
      this.socket.resume();
    }
  }

  /** The revision is done with this request: timers off, stats updated. */
  private endExchange(): void {
    const d = this.d;
    if (d === undefined) return;
    this.timeouts?.end();
    this.timeouts = undefined;
    this.releaseSlot();
    this.d = undefined;
    d.stats.requestOut();
    if (this.trace !== undefined) {
      this.trace.end(this.resStatus);
      this.trace = undefined;
    }
    const o = d.observer;
    if (o !== undefined && this.resStatus > 0) {
      const now = performance.now();
      o.request(this.resStatus, now - this.t0, this.fromApp ? now - this.tSent : -1, this.queued);
    }
  }

  /** Request and response are both complete: the connection takes the next request. */
  private finish(): void {
    this.bodyQueue = undefined;
    this.bodyQueued = 0;
    this.state = IDLE;
    this.lastActive = this.fp.tick;
    if (this.closeAfter) {
      this.close();
      return;
    }
    this.pausedForBuffer = false;
    this.clientPausedForUp = false;
    if (this.socket.writableLength > MAX_UNREAD_RESPONSE) {
      // The client is not reading: stop reading its requests (and fetching their responses) until it does.
      this.pausedForClient = true;
      this.socket.pause();
      return;
    }
    this.socket.resume();
    // Pipelined requests are started from a fresh stack (this may run inside a callback).
    if (this.buf !== undefined && !this.driveScheduled) {
      this.driveScheduled = true;
      process.nextTick(this.driveSoon);
    }
  }

  /** The client went away mid-request. */
  private abort(): void {
    this.state = GONE;
    this.resDone = true;
    const up = this.up;
    this.up = undefined;
    up?.discard();
    this.releaseSlot();
    this.endExchange();
    this.bodyQueue = undefined;
  }
}
