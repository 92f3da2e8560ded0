// Gateway HTTP/1.1 fast path over real sockets: keep-alive, pipelining, framing (chunked, HEAD,
// 204/304, close-delimited), request bodies, header rewriting, hand-off to Node's server,
// timeouts, retries and containerConcurrency.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Endpoint, QueueBound, RevisionDispatcher, type DispatcherSettings } from './dispatcher.ts';
import { Gateway } from './gateway.ts';
import { RoutingTable } from './routing.ts';
import { TrustedProxies } from './forwarding.ts';

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Reads HTTP/1.1 responses off a raw socket (enough framing for these tests). */
class RawClient {
  readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  ended = false;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.waiting?.();
    });
    this.socket.on('close', () => {
      this.ended = true;
      this.waiting?.();
    });
    this.socket.on('error', () => {});
  }

  write(s: string | Buffer): void {
    this.socket.write(s);
  }

  private async more(): Promise<void> {
    if (this.ended) throw new Error(`connection closed; unparsed: ${JSON.stringify(this.buf.toString('latin1'))}`);
    await new Promise<void>((resolve) => (this.waiting = resolve));
    this.waiting = undefined;
  }

  /** Bytes as they arrive, until `n` are there (for upgraded connections). */
  async raw(n: number): Promise<string> {
    while (this.buf.length < n) await this.more();
    const s = this.buf.subarray(0, n).toString('latin1');
    this.buf = this.buf.subarray(n);
    return s;
  }

  async response(head = false): Promise<Response> {
    let end: number;
    while ((end = this.buf.indexOf('\r\n\r\n')) < 0) await this.more();
    const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    this.buf = this.buf.subarray(end + 4);
    const status = Number(lines[0].split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      const k = l.slice(0, i).toLowerCase();
      headers[k] = headers[k] === undefined ? l.slice(i + 1).trim() : `${headers[k]}, ${l.slice(i + 1).trim()}`;
    }
    let body = '';
    if (head || status < 200 || status === 204 || status === 304) return { status, headers, body };
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        let le: number;
        while ((le = this.buf.indexOf('\r\n')) < 0) await this.more();
        const size = parseInt(this.buf.subarray(0, le).toString('latin1'), 16);
        while (this.buf.length < le + 2 + size + 2) await this.more();
        body += this.buf.subarray(le + 2, le + 2 + size).toString('latin1');
        this.buf = this.buf.subarray(le + 2 + size + 2);
        if (size === 0) break;
      }
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      while (this.buf.length < n) await this.more();
      body = this.buf.subarray(0, n).toString('latin1');
      this.buf = this.buf.subarray(n);
    } else {
      while (!this.ended) await this.more().catch(() => {});
      body = this.buf.toString('latin1');
      this.buf = Buffer.alloc(0);
    }
    return { status, headers, body };
  }

  async closed(): Promise<void> {
    while (!this.ended) await this.more().catch(() => {});
  }

  close(): void {
    this.socket.destroy();
  }
}

const HOST = 'app.default.example.com';

let backend: http.Server;
let backendPort: number;
let backendConnections = 0;
let inside = 0;
let maxInside = 0;
/** A backend speaking raw bytes, for framings Node's server does not produce. */
let rawBackend: net.Server;
let table: RoutingTable;
const dispatchers = new Map<string, RevisionDispatcher>();
const queue = new QueueBound();
let gateway: Gateway;
let gw: number;

function settings(over: Partial<DispatcherSettings> = {}): DispatcherSettings {
  return { containerConcurrency: 0, timeouts: { totalMs: 10_000, responseStartMs: 0, idleMs: 0 }, protocol: 'http1', ...over };
}

function revision(key: string, host: string, ports: number[], s: DispatcherSettings): RevisionDispatcher {
  const d = new RevisionDispatcher(key, s, queue);
  d.setEndpoints(ports.map((p, i) => new Endpoint(`${key}-${i}`, '127.0.0.1', p)));
  dispatchers.set(key, d);
  table.setRoute(key, [{ host, visibility: 'external', targets: [{ revision: key, percent: 100 }] }]);
  return d;
}

/** Waits until `cond` holds, failing after `ms`. */
async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A pause between two writes, so that the gateway reads them separately (the point of the tests using it). */
function gap(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  const p = await listen(s);
  await new Promise((r) => s.close(r));
  return p;
}

before(async () => {
  backend = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const ms = Number(url.searchParams.get('ms') ?? 0);
    inside++;
    maxInside = Math.max(maxInside, inside);
    res.on('close', () => inside--);
    switch (url.pathname) {
      case '/chunked':
        res.write('a');
        setTimeout(() => res.end('bc'), 5);
        return;
      case '/no-content':
        res.writeHead(204, { 'x-kind': 'none' });
        res.end();
        return;
      case '/not-modified':
        res.writeHead(304, { etag: '"x"' });
        res.end();
        return;
      case '/echo': {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => {
          const b = Buffer.concat(parts);
          res.end(`${req.method} ${req.headers['transfer-encoding'] ?? `cl=${req.headers['content-length']}`} ${b.length} ${b.toString().slice(0, 16)}`);
        });
        return;
      }
      case '/headers':
        res.setHeader('content-type', 'application/json');
        res.setHeader('keep-alive', 'timeout=7');
        res.setHeader('x-app', 'yes');
        res.end(JSON.stringify(req.headers));
        return;
      case '/sleep':
        setTimeout(() => res.end('slept\n'), ms);
        return;
      case '/stream': {
        // First byte at once, then silence for ?ms.
        res.write('start\n');
        const t = setTimeout(() => res.end('end\n'), ms);
        res.on('close', () => clearTimeout(t));
        return;
      }
      case '/big': {
        const n = Number(url.searchParams.get('n'));
        res.setHeader('content-length', n);
        res.end(Buffer.alloc(n, 'x'));
        return;
      }
      default:
        setTimeout(() => res.end(`hello ${req.method} ${req.url}\n`), ms);
    }
  });
  backend.on('connection', () => backendConnections++);
  backend.on('upgrade', (req, socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${req.headers.upgrade}\r\nconnection: Upgrade\r\n\r\n`);
    socket.on('data', (c: Buffer) => socket.write(`echo:${c.toString()}`));
    socket.on('end', () => socket.end());
  });
  const bp = await listen(backend);
  backendPort = bp;

  rawBackend = net.createServer((s) => {
    let buf = '';
    s.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const path = buf.split(' ')[1];
      buf = buf.slice(end + 4);
      if (path === '/until-close') s.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil close');
      else if (path === '/http10') s.end('HTTP/1.0 200 OK\r\n\r\nold');
      else if (path === '/early-hints') s.write('HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfinal');
      else if (path === '/hang-up') s.destroy();
      else if (path === '/trailers') s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: grpc-status\r\n\r\n2\r\nok\r\n0\r\ngrpc-status: 0\r\n\r\n');
      else s.end('HTTP/1.1 400 Bad\r\ncontent-length: 0\r\n\r\n');
    });
  });
  const rp = await listen(rawBackend);

  table = new RoutingTable();
  revision('default/app-1', HOST, [bp], settings());
  revision('default/raw-1', 'raw.default.example.com', [rp], settings());
  revision('default/slow-1', 'slow.default.example.com', [bp], settings({ timeouts: { totalMs: 400, responseStartMs: 0, idleMs: 0 } }));
  revision('default/first-1', 'first.default.example.com', [bp], settings({ timeouts: { totalMs: 10_000, responseStartMs: 300, idleMs: 0 } }));
  revision('default/idle-1', 'idle.default.example.com', [bp], settings({ timeouts: { totalMs: 10_000, responseStartMs: 0, idleMs: 300 } }));
  revision('default/one-1', 'one.default.example.com', [bp], settings({ containerConcurrency: 1 }));
  gateway = new Gateway('external', table, { dispatcher: (k) => dispatchers.get(k) });
  gw = (await gateway.listen('127.0.0.1', 0)).port;
});

after(async () => {
  await gateway.close();
  for (const d of dispatchers.values()) d.close();
  backend.closeAllConnections();
  await new Promise((r) => backend.close(r));
  await new Promise((r) => rawBackend.close(r));
});

function get(path: string, host = HOST, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

test('keep-alive: requests on one client connection reuse one pooled instance connection', async () => {
  const c = new RawClient(gw);
  const before = backendConnections;
  for (let i = 0; i < 5; i++) {
    c.write(get(`/n${i}`));
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.body, `hello GET /n${i}\n`);
    // The instance's own Connection header is dropped; knit's says what knit does.
    assert.equal(r.headers.connection, 'keep-alive');
    assert.equal(r.headers['keep-alive'], 'timeout=5');
  }
  assert.ok(backendConnections - before <= 1, `opened ${backendConnections - before} instance connections`);
  c.close();
});

test('pipelining: two requests in one write are answered in order', async () => {
  const c = new RawClient(gw);
  c.write(get('/first?ms=30') + get('/second'));
  const a = await c.response();
  const b = await c.response();
  assert.equal(a.body, 'hello GET /first?ms=30\n');
  assert.equal(b.body, 'hello GET /second\n');
  // A head split over several writes still parses.
  const req = get('/split');
  c.write(req.slice(0, 7));
  await gap(10);
  c.write(req.slice(7, 30));
  await gap(10);
  c.write(req.slice(30));
  assert.equal((await c.response()).body, 'hello GET /split\n');
  c.close();
});

test('chunked responses are relayed chunked; trailers pass through', async () => {
  const c = new RawClient(gw);
  c.write(get('/chunked'));
  const r = await c.response();
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  assert.equal(r.body, 'abc');
  const raw = new RawClient(gw);
  raw.write(get('/trailers', 'raw.default.example.com'));
  const head = await raw.raw(0).then(async () => {
    let text = '';
    while (!text.includes('grpc-status: 0\r\n\r\n')) text += await raw.raw(1);
    return text;
  });
  assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
  assert.doesNotMatch(head, /\r\ntrailer:/i, 'the Trailer header is hop-by-hop, as on the general path');
  assert.match(head, /\r\n\r\n2\r\nok\r\n0\r\ngrpc-status: 0\r\n\r\n$/);
  c.close();
  raw.close();
});

test('HEAD, 204 and 304 responses have no body and the connection goes on', async () => {
  const c = new RawClient(gw);
  c.write(`HEAD /big?n=100 HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  const h = await c.response(true);
  assert.equal(h.status, 200);
  assert.equal(h.headers['content-length'], '100');
  c.write(get('/no-content'));
  const nc = await c.response();
  assert.equal(nc.status, 204);
  assert.equal(nc.headers['x-kind'], 'none');
  c.write(get('/not-modified'));
  const nm = await c.response();
  assert.equal(nm.status, 304);
  assert.equal(nm.headers.etag, '"x"');
  c.write(get('/after'));
  assert.equal((await c.response()).body, 'hello GET /after\n');
  c.close();
});

test('Content-Length bodies of every size come through whole', async () => {
  const c = new RawClient(gw);
  for (const n of [0, 1, 16 * 1024, 16 * 1024 + 1, 1024 * 1024]) {
    c.write(get(`/big?n=${n}`));
    const r = await c.response();
    assert.equal(r.body.length, n);
  }
  c.close();
});

test('request bodies: Content-Length and chunked, with the next request right behind', async () => {
  const c = new RawClient(gw);
  c.write(`POST /echo HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 11\r\n\r\nhello world` + get('/next'));
  assert.equal((await c.response()).body, 'POST cl=11 11 hello world');
  assert.equal((await c.response()).body, 'hello GET /next\n');
  c.write(`PUT /echo HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`);
  await gap(20);
  c.write('6\r\n world\r\n0\r\n\r\n');
  assert.equal((await c.response()).body, 'PUT chunked 11 hello world');
  // A big body streams with back-pressure.
  const big = Buffer.alloc(3 * 1024 * 1024, 'y');
  c.write(`POST /echo HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${big.length}\r\n\r\n`);
  c.write(big);
  assert.equal((await c.response()).body, `POST cl=${big.length} ${big.length} yyyyyyyyyyyyyyyy`);
  c.close();
});

test('headers: Host kept, Forwarded and X-Forwarded-* built from the connection, hop-by-hop and Connection-named headers dropped', async () => {
  const c = new RawClient(gw);
  c.write(get('/headers', HOST, 'X-Forwarded-For: 10.1.2.3\r\nConnection: keep-alive, x-secret\r\nX-Secret: s\r\nProxy-Connection: keep-alive\r\nKeep-Alive: 5\r\nTE: trailers\r\nX-User: kept\r\nx-user: twice\r\n'));
  const r = await c.response();
  const seen = JSON.parse(r.body) as Record<string, string>;
  assert.equal(seen.host, HOST);
  // The peer is no trusted proxy: what it claims about earlier hops is dropped.
  assert.equal(seen['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen['x-forwarded-proto'], 'http');
  assert.equal(seen['x-forwarded-host'], HOST);
  assert.equal(seen.forwarded, `for=127.0.0.1;host=${HOST};proto=http`);
  assert.equal(seen['x-user'], 'kept, twice');
  assert.equal(seen.te, 'trailers');
  for (const h of ['x-secret', 'proxy-connection', 'keep-alive']) assert.equal(seen[h], undefined, h);
  assert.equal(r.headers['keep-alive'], 'timeout=5', "the instance's Keep-Alive is hop-by-hop");
  assert.equal(r.headers['x-app'], 'yes');
  // Forged elements never reach the instance; host= is the Host as received (RFC 7239 §5.3), quoted with its port.
  c.write(get('/headers', `${HOST}:80`, 'Forwarded: for=1.1.1.1\r\nX-Forwarded-Proto: https, for=6.6.6.6;host=evil.example;proto=https\r\nX-Forwarded-Host: evil.example\r\n'));
  const again = JSON.parse((await c.response()).body) as Record<string, string>;
  assert.equal(again.forwarded, `for=127.0.0.1;host="${HOST}:80";proto=http`);
  assert.equal(again['x-forwarded-for'], '127.0.0.1');
  assert.equal(again['x-forwarded-proto'], 'http');
  assert.equal(again['x-forwarded-host'], `${HOST}:80`);
  c.write(get('/headers'));
  const third = JSON.parse((await c.response()).body) as Record<string, string>;
  assert.equal(third.forwarded, `for=127.0.0.1;host=${HOST};proto=http`);
  c.close();
});

test("headers: a trusted proxy's forwarding headers are kept in front of knit's own element", async () => {
  const trustedGw = new Gateway('external', table, { dispatcher: (k) => dispatchers.get(k) }, { trustedProxies: new TrustedProxies(['127.0.0.0/8']) });
  const port = (await trustedGw.listen('127.0.0.1', 0)).port;
  const c = new RawClient(port);
  try {
    c.write(get('/headers', HOST, 'X-Forwarded-For: 10.1.2.3, 10.0.0.9\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: app.example.org\r\n'));
    const seen = JSON.parse((await c.response()).body) as Record<string, string>;
    assert.equal(seen['x-forwarded-for'], '10.1.2.3, 10.0.0.9, 127.0.0.1');
    assert.equal(seen['x-forwarded-proto'], 'https');
    assert.equal(seen['x-forwarded-host'], 'app.example.org');
    // The proxies' hops as knative/serving's forwarded shim writes them, then knit's own, always proto=http.
    assert.equal(seen.forwarded, `for=10.1.2.3;host=app.example.org;proto=https, for=10.0.0.9, for=127.0.0.1;host=${HOST};proto=http`);
    c.write(get('/headers', HOST, 'Forwarded: for=1.1.1.1;proto=https\r\nX-Forwarded-Proto: gopher\r\n'));
    const fwd = JSON.parse((await c.response()).body) as Record<string, string>;
    assert.equal(fwd.forwarded, `for=1.1.1.1;proto=https, for=127.0.0.1;host=${HOST};proto=http`);
    assert.equal(fwd['x-forwarded-proto'], 'http', 'only http and https are passed on');
  } finally {
    c.close();
    await trustedGw.close();
  }
});

test('unknown hosts and tags get the same 404 as on the general path; the connection stays usable', async () => {
  const c = new RawClient(gw);
  c.write(`POST / HTTP/1.1\r\nHost: nope.example.com\r\nContent-Length: 3\r\n\r\nabc` + get('/ok'));
  const r = await c.response();
  assert.equal(r.status, 404);
  assert.equal(r.body, 'knit: no service is routed for host "nope.example.com"\n');
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  assert.match(r.headers.date, /GMT$/);
  assert.equal((await c.response()).body, 'hello GET /ok\n');
  // The body arrives after the 404, with the next request behind it.
  c.write(`POST / HTTP/1.1\r\nHost: nope.example.com\r\nContent-Length: 3\r\n\r\n`);
  assert.equal((await c.response()).status, 404);
  c.write(`abc${get('/later')}`);
  assert.equal((await c.response()).body, 'hello GET /later\n');
  c.close();
});

test('an Upgrade request on a kept-alive connection is handed to the general path', async () => {
  const c = new RawClient(gw);
  c.write(get('/before'));
  assert.equal((await c.response()).body, 'hello GET /before\n');
  c.write(get('/ws', HOST, 'Connection: Upgrade\r\nUpgrade: websocket\r\n'));
  const up = await c.response();
  assert.equal(up.status, 101);
  c.write('ping');
  assert.equal(await c.raw(9), 'echo:ping');
  c.close();
});

test('HTTP/1.0 and Expect: 100-continue requests go through the general path', async () => {
  const c = new RawClient(gw);
  c.write(get('/fast'));
  assert.equal((await c.response()).body, 'hello GET /fast\n');
  c.write(`POST /echo HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`);
  const cont = await c.response();
  assert.equal(cont.status, 100);
  c.write('hi');
  assert.equal((await c.response()).body, 'POST cl=2 2 hi');
  c.close();
  const old = new RawClient(gw);
  old.write(`GET /old HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`);
  const r = await old.response();
  assert.equal(r.status, 200);
  assert.equal(r.body, 'hello GET /old\n');
  old.close();
});

test('responses delimited by the instance closing are re-framed chunked; HTTP/1.0 instances work', async () => {
  const c = new RawClient(gw);
  c.write(get('/until-close', 'raw.default.example.com'));
  const r = await c.response();
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  assert.equal(r.body, 'until close');
  assert.match(r.headers.date, /GMT$/, 'a Date header is added when the instance sends none');
  c.write(get('/http10', 'raw.default.example.com'));
  assert.equal((await c.response()).body, 'old');
  c.write(get('/early-hints', 'raw.default.example.com'));
  const eh = await c.response();
  assert.equal(eh.status, 200, '1xx responses are not passed on');
  assert.equal(eh.body, 'final');
  c.close();
});

test('Connection: close gets the whole response, then the connection ends; a half-close cancels the request as on the general path', async () => {
  const c = new RawClient(gw);
  c.write(get('/bye', HOST, 'Connection: close\r\n'));
  const r = await c.response();
  assert.equal(r.body, 'hello GET /bye\n');
  assert.equal(r.headers.connection, 'close');
  await c.closed();
  const d = dispatchers.get('default/app-1')!;
  const h = new RawClient(gw);
  h.socket.end(get('/half?ms=200'));
  await h.closed();
  assert.equal(d.stats.current, 0);
});

test('timeouts: total → 504 with the general path body; response start; idle ends a started stream with the timeout text', async () => {
  const c = new RawClient(gw);
  c.write(get('/sleep?ms=2000', 'slow.default.example.com'));
  const r = await c.response();
  assert.equal(r.status, 504);
  assert.equal(r.body, 'request timeout\n');
  c.write(get('/quick', 'slow.default.example.com'));
  assert.equal((await c.response()).status, 200, 'the connection survives a 504');
  c.write(get('/sleep?ms=2000', 'first.default.example.com'));
  const f = await c.response();
  assert.equal(f.status, 504);
  assert.equal(f.body, 'request timeout: no response started\n');
  c.close();
  // A started response is ended as Knative's timeout handler ends it: its text, then the last chunk.
  const s = new RawClient(gw);
  s.write(get('/stream?ms=2000', 'idle.default.example.com'));
  const st = await s.response();
  assert.equal(st.status, 200);
  assert.equal(st.headers['transfer-encoding'], 'chunked');
  assert.equal(st.body, 'start\nrequest timeout: response idle');
  s.write(get('/quick'));
  assert.equal((await s.response()).status, 200, 'the connection is still usable');
  s.close();
});

test('timeouts: a keep-alive connection whose next request has a shorter timeout gets its 504 on time', async () => {
  const c = new RawClient(gw);
  // The first request (10 s total) leaves the connection's timer armed far out; the next one's 400 ms must still hold.
  c.write(get('/quick'));
  assert.equal((await c.response()).status, 200);
  const t0 = Date.now();
  c.write(get('/sleep?ms=3000', 'slow.default.example.com'));
  const r = await c.response();
  assert.equal(r.status, 504);
  assert.ok(Date.now() - t0 < 2500, `504 after ${Date.now() - t0} ms`);
  // A timer armed for an earlier request's 400 ms fires during a later 10 s request, which goes on.
  c.write(get('/quick', 'slow.default.example.com'));
  assert.equal((await c.response()).status, 200);
  c.write(get('/wait?ms=700'));
  const later = await c.response();
  assert.equal(later.status, 200);
  assert.equal(later.body, 'hello GET /wait?ms=700\n');
  c.close();
});

test('routing: a keep-alive connection follows route changes, a deleted revision and a host turned in-process', async () => {
  const other = http.createServer((_req, res) => res.end('other\n'));
  const op = await listen(other);
  const host = 'moving.default.example.com';
  revision('default/moving-1', host, [backendPort], settings());
  const c = new RawClient(gw);
  try {
    c.write(get('/a', host));
    assert.equal((await c.response()).body, 'hello GET /a\n');
    // The route now sends the host to another revision.
    revision('default/moving-2', host, [op], settings());
    c.write(get('/b', host));
    assert.equal((await c.response()).body, 'other\n');
    // The revision goes away while the route still names it: 503, as for any connection.
    dispatchers.get('default/moving-2')!.close();
    dispatchers.delete('default/moving-2');
    c.write(get('/c', host));
    assert.equal((await c.response()).status, 503);
    // Back to a revision, then the host is answered inside knit: the next request goes to the in-process handler.
    table.setRoute('default/moving-2', [{ host, visibility: 'external', targets: [{ revision: 'default/moving-1', percent: 100 }] }]);
    c.write(get('/d', host));
    assert.equal((await c.response()).body, 'hello GET /d\n');
    const remove = gateway.serveInProcess(host, (_req, res) => res.end('in-process\n'));
    try {
      c.write(get('/e', host));
      assert.equal((await c.response()).body, 'in-process\n');
    } finally {
      remove();
    }
  } finally {
    c.close();
    table.deleteRoute('default/moving-1');
    table.deleteRoute('default/moving-2');
    dispatchers.get('default/moving-1')?.close();
    dispatchers.delete('default/moving-1');
    other.closeAllConnections();
    await new Promise((r) => other.close(r));
  }
});

test('an instance that drops fresh connections is retried for bodiless requests; bodies and refusals get 502', async () => {
  // Drops the first `drops` connections it accepts, then answers.
  let drops = 2;
  const accepted = new Set<net.Socket>();
  const flaky = net.createServer((s) => {
    accepted.add(s);
    if (drops > 0) {
      drops--;
      s.destroy();
      return;
    }
    s.on('data', () => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  });
  const fp = await listen(flaky);
  const d = revision('default/flaky-1', 'flaky.default.example.com', [fp], settings());
  const c = new RawClient(gw);
  c.write(get('/', 'flaky.default.example.com'));
  const ok = await c.response();
  assert.equal(ok.status, 200, ok.body);
  assert.equal(drops, 0, 'two attempts failed before the third one answered');
  drops = 1;
  const fresh = new Endpoint('fresh', '127.0.0.1', fp);
  d.setEndpoints([fresh]);
  c.write(`POST /echo HTTP/1.1\r\nHost: flaky.default.example.com\r\nContent-Length: 1\r\n\r\nx`);
  const r = await c.response();
  assert.equal(r.status, 502);
  // Which error the dropped connection shows depends on timing: the body may still be in flight.
  assert.match(r.body, /^knit: error reaching revision default\/flaky-1: (socket hang up|write EPIPE|read ECONNRESET)\n$/);
  const dead = await deadPort();
  d.setEndpoints([new Endpoint('dead', '127.0.0.1', dead)]);
  c.write(get('/', 'flaky.default.example.com'));
  const refused = await c.response();
  assert.equal(refused.status, 502);
  assert.equal(refused.body, `knit: error reaching revision default/flaky-1: connect ECONNREFUSED 127.0.0.1:${dead}\n`);
  c.close();
  d.close();
  fresh.close();
  dispatchers.delete('default/flaky-1');
  flaky.close();
  for (const s of accepted) s.destroy();
});

test('containerConcurrency 1 holds on the fast path, and the stats see every request', async () => {
  const d = dispatchers.get('default/one-1')!;
  d.stats.report();
  maxInside = 0;
  inside = 0;
  const clients = Array.from({ length: 5 }, () => new RawClient(gw));
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < 4; i++) {
        c.write(get('/cc?ms=10', 'one.default.example.com'));
        assert.equal((await c.response()).status, 200);
      }
    }),
  );
  assert.equal(maxInside, 1);
  const rep = d.stats.report();
  assert.equal(rep.requestCount, 20);
  assert.equal(d.stats.current, 0);
  for (const c of clients) c.close();
});

test('a client that goes away mid-request frees its slot', async () => {
  const d = dispatchers.get('default/one-1')!;
  const c = new RawClient(gw);
  c.write(get('/sleep?ms=300', 'one.default.example.com'));
  await until('the request to be in flight', () => d.stats.current === 1);
  assert.equal(d.queued, 0);
  c.close();
  // Well before the 300 ms answer: the slot is freed by the client leaving, not by the response.
  await until('the slot to be freed', () => d.stats.current === 0, 250);
  const again = new RawClient(gw);
  again.write(get('/after', 'one.default.example.com'));
  assert.equal((await again.response()).status, 200);
  again.close();
});

test('h2c prior knowledge still reaches the HTTP/2 server', async () => {
  const http2 = await import('node:http2');
  const session = http2.connect(`http://127.0.0.1:${gw}`);
  const body = await new Promise<string>((resolve, reject) => {
    const req = session.request({ ':path': '/h2', ':authority': HOST });
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => resolve(b));
    req.on('error', reject);
  });
  session.close();
  assert.equal(body, 'hello GET /h2\n');
});
