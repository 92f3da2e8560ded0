// The gateway against an attacker's raw bytes: framing refused exactly where Node's strict parser refuses it
// (plus RFC 9112's Host rules), absolute-form and :authority routing, unforgeable forwarding headers, bounded
// buffering for a pipelining client that never reads, and the instance never seeing what the gateway did not.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Endpoint, QueueBound, RevisionDispatcher } from '../src/dataplane/dispatcher.ts';
import { Gateway } from '../src/dataplane/gateway.ts';
import { MAX_UNREAD_RESPONSE } from '../src/dataplane/fastpath.ts';
import { RoutingTable } from '../src/dataplane/routing.ts';

/** What a server said to one raw request: the status (0 if nothing within the deadline) and the body. */
interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** Sends `raw` on a new connection and reads one response (Content-Length or chunked), or until close or `ms`. */
function exchange(port: number, raw: string, ms = 3_000): Promise<Answer> {
  return new Promise((resolve) => {
    const start = Date.now();
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(t);
      s.destroy();
      const text = buf.toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const at = text.indexOf('\r\n\r\n');
      resolve({ status: status ? Number(status[1]) : 0, body: at >= 0 ? text.slice(at + 4) : '', ms: Date.now() - start });
    };
    const t = setTimeout(done, ms);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const text = buf.toString('latin1');
      const at = text.indexOf('\r\n\r\n');
      if (at < 0) return;
      const head = text.slice(0, at).toLowerCase();
      const cl = /\r\ncontent-length: *(\d+)/.exec(head);
      if (cl && text.length >= at + 4 + Number(cl[1])) done();
      else if (/\r\ntransfer-encoding: *chunked/.test(head) && text.endsWith('0\r\n\r\n')) done();
    });
    s.on('close', done);
    s.on('error', () => {});
    // The client keeps its side open: a half-close cancels a request at knit and at Node alike.
    s.write(Buffer.from(raw, 'latin1'));
  });
}

/** What the reference server and the instance echo: what their parser made of the request. */
function describe(req: http.IncomingMessage, body: Buffer): string {
  return JSON.stringify({ method: req.method, url: req.url, body: body.toString('latin1'), trailers: req.rawTrailers });
}

function echoHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/stream' || req.url === '/stream-cl') {
    // The first bytes at once, then silence.
    if (req.url === '/stream-cl') res.setHeader('content-length', 100);
    res.write('start\n');
    const t = setTimeout(() => res.destroy(), 10_000);
    res.on('close', () => clearTimeout(t));
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    if (req.url === '/big') {
      res.end(Buffer.alloc(32 * 1024, 'b'));
      return;
    }
    if (req.url === '/headers') {
      res.end(JSON.stringify(req.headers));
      return;
    }
    res.end(describe(req, Buffer.concat(parts)));
  });
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

let reference: http.Server;
let refPort: number;
let backend: http.Server;
/** A recording TCP hop in front of the backend: every byte the gateway sent to the instance. */
let recorder: net.Server;
const recorded: Buffer[] = [];
let backendRequests = 0;
const recorderSockets = new Set<net.Socket>();
let gateway: Gateway;
let gw: number;
const dispatchers = new Map<string, RevisionDispatcher>();

function seenByInstance(): string {
  return Buffer.concat(recorded).toString('latin1');
}

before(async () => {
  reference = http.createServer({ insecureHTTPParser: false }, echoHandler);
  refPort = await listen(reference);
  backend = http.createServer((req, res) => {
    backendRequests++;
    echoHandler(req, res);
  });
  const bp = await listen(backend);
  recorder = net.createServer((client) => {
    recorderSockets.add(client);
    const up = net.connect(bp, '127.0.0.1');
    recorderSockets.add(up);
    client.on('data', (c: Buffer) => recorded.push(c));
    client.pipe(up).pipe(client);
    const drop = (): void => {
      client.destroy();
      up.destroy();
      recorderSockets.delete(client);
      recorderSockets.delete(up);
    };
    client.on('close', drop);
    up.on('close', drop);
    client.on('error', drop);
    up.on('error', drop);
  });
  const rp = await listen(recorder);
  const table = new RoutingTable();
  const queue = new QueueBound();
  for (const [key, host, idleMs] of [
    ['default/a-1', 'a', 0],
    ['default/b-1', 'b', 0],
    ['default/idle-1', 'idle', 300],
  ] as const) {
    const d = new RevisionDispatcher(key, { containerConcurrency: 0, timeouts: { totalMs: 30_000, responseStartMs: 0, idleMs }, protocol: 'http1' }, queue);
    d.setEndpoints([new Endpoint(`${key}-0`, '127.0.0.1', rp)]);
    dispatchers.set(key, d);
    table.setRoute(key, [{ host, visibility: 'external', targets: [{ revision: key, percent: 100 }] }]);
  }
  gateway = new Gateway('external', table, { dispatcher: (k) => dispatchers.get(k) });
  gw = (await gateway.listen('127.0.0.1', 0)).port;
});

after(async () => {
  await gateway?.close();
  for (const d of dispatchers.values()) d.close();
  for (const s of recorderSockets) s.destroy();
  for (const s of [reference, backend]) {
    s?.closeAllConnections();
    await new Promise((r) => s?.close(r));
  }
  await new Promise((r) => recorder?.close(r));
});

const H = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';

/**
 * Raw requests. `knit` overrides Node's decision where RFC 9112 asks a server for more than Node's
 * parser checks (Host rules, absolute-form targets); `poison` is a part the instance must never see.
 */
const CASES: Array<{ name: string; raw: string; knit?: 400 | 501; poison?: string }> = [
  { name: 'plain GET', raw: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' },
  { name: 'bare LF line endings', raw: 'GET / HTTP/1.1\nHost: a\n\n' },
  { name: 'bare LF after a header', raw: 'GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n' },
  { name: 'bare LF ending the head', raw: 'GET / HTTP/1.1\r\nHost: a\r\n\n' },
  { name: 'bare CR in a header', raw: 'GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n' },
  { name: 'obs-fold', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n' },
  { name: 'Content-Length with Transfer-Encoding', raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' },
  { name: 'Transfer-Encoding: chunked, gzip', raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n' },
  { name: 'Transfer-Encoding: gzip, chunked', raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', knit: 501 },
  { name: 'Transfer-Encoding twice', raw: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' },
  { name: 'chunked body', raw: `${H}5\r\nhello\r\n0\r\n\r\n` },
  { name: 'chunk size with trailing space', raw: `${H}5 \r\nhello\r\n0\r\n\r\n`, poison: 'hello' },
  { name: 'chunk size with trailing tab', raw: `${H}5\t\r\nhello\r\n0\r\n\r\n`, poison: 'hello' },
  { name: 'chunk extension', raw: `${H}5;a=b;c;d="x \\" y"\r\nhello\r\n0\r\n\r\n` },
  { name: 'chunk extension after a space', raw: `${H}5 ;a=b\r\nhello\r\n0\r\n\r\n`, poison: 'hello' },
  { name: 'chunk extension value with a space', raw: `${H}5;a=b c\r\nhello\r\n0\r\n\r\n`, poison: 'hello' },
  { name: 'empty chunk extension', raw: `${H}5;\r\nhello\r\n0\r\n\r\n`, poison: 'hello' },
  { name: 'chunk size line ended by bare LF', raw: `${H}5\nhello\r\n0\r\n\r\n`, poison: 'hello' },
  { name: 'chunk data not followed by CRLF', raw: `${H}5\r\nhelloXX0\r\n\r\n`, poison: 'XX' },
  { name: 'chunk size 0x5', raw: `${H}0x5\r\nhello\r\n0\r\n\r\n`, poison: 'hello' },
  { name: 'chunk size overflow', raw: `${H}fffffffffffffffff\r\nhello\r\n0\r\n\r\n`, poison: 'hello' },
  { name: 'trailer field', raw: `${H}0\r\nX-T: 1\r\n\r\n` },
  { name: 'trailer that is a request line (smuggling)', raw: `${H}0\r\nGET /SMUGGLED HTTP/1.1\r\nHost: a\r\n\r\n`, poison: 'SMUGGLED' },
  { name: 'trailer that is not a header', raw: `${H}0\r\nnot a header\r\n\r\n`, poison: 'not a header' },
  { name: 'trailer with a space before the colon', raw: `${H}0\r\nX-T : 1\r\n\r\n`, poison: 'X-T' },
  { name: 'trailer obs-fold', raw: `${H}0\r\nX-T: 1\r\n 2\r\n\r\n`, poison: 'X-T' },
  { name: 'trailer with a control byte', raw: `${H}0\r\nX-T: \x01\r\n\r\n`, poison: 'X-T' },
  { name: 'invalid byte in a header value', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n' },
  { name: 'NUL in a header value', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n' },
  { name: 'space in a header name', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX Y: b\r\n\r\n' },
  { name: 'space before a colon', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX : b\r\n\r\n' },
  { name: 'obs-text in a header value', raw: 'GET / HTTP/1.1\r\nHost: a\r\nX: a\xffb\r\n\r\n' },
  { name: 'Content-Length not a number', raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\nhello' },
  { name: 'Content-Length twice', raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!' },
  { name: 'Content-Length list', raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello' },
  { name: 'Content-Length +5', raw: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello' },
  { name: 'no Host', raw: 'GET / HTTP/1.1\r\n\r\n' },
  { name: 'two Host fields', raw: 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', knit: 400 },
  { name: 'Host with a space', raw: 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', knit: 400 },
  { name: 'Host with userinfo', raw: 'GET / HTTP/1.1\r\nHost: u@a\r\n\r\n', knit: 400 },
  { name: 'absolute-form target', raw: 'GET http://b/x HTTP/1.1\r\nHost: a\r\n\r\n' },
  { name: 'absolute-form with userinfo', raw: 'GET http://u@b/x HTTP/1.1\r\nHost: a\r\n\r\n', knit: 400 },
  { name: 'absolute-form, other scheme', raw: 'GET ftp://b/x HTTP/1.1\r\nHost: a\r\n\r\n', knit: 400 },
  { name: 'absolute-form, empty host', raw: 'GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n', knit: 400 },
  { name: 'lower-case method', raw: 'get / HTTP/1.1\r\nHost: a\r\n\r\n' },
  { name: 'HTTP/1.2', raw: 'GET / HTTP/1.2\r\nHost: a\r\n\r\n' },
  { name: 'control byte in the target', raw: 'GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n' },
  { name: 'leading CRLF', raw: '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n' },
  { name: 'HTTP/1.0 without Host', raw: 'GET / HTTP/1.0\r\n\r\n' },
];

test('framing: knit refuses with 400, at once, exactly what Node’s strict parser refuses (and RFC 9112’s Host rules)', async () => {
  const problems: string[] = [];
  for (const c of CASES) {
    recorded.length = 0;
    const ref = await exchange(refPort, c.raw);
    const got = await exchange(gw, c.raw);
    assert.ok(ref.status !== 0, `${c.name}: the reference answered`);
    if (c.knit !== undefined) {
      if (got.status !== c.knit) problems.push(`${c.name}: knit ${got.status}, RFC 9112 wants ${c.knit}`);
    } else if ((ref.status === 400) !== (got.status === 400)) problems.push(`${c.name}: Node ${ref.status}, knit ${got.status}`);
    if (got.ms > 2_000) problems.push(`${c.name}: knit took ${got.ms} ms`);
    const seen = seenByInstance();
    if (got.status === 400 || got.status === 501) {
      // A refused head never reaches the instance; a refused body never past its last good byte.
      if (c.poison === undefined && seen !== '') problems.push(`${c.name}: the instance saw ${JSON.stringify(seen)}`);
      if (c.poison !== undefined && seen.includes(c.poison)) problems.push(`${c.name}: the instance saw ${JSON.stringify(c.poison)}`);
    } else if (got.status === 200 && ref.status === 200 && !c.raw.startsWith('GET http://')) {
      // Accepted: the instance's strict parser read the same message as the reference did.
      if (got.body !== ref.body) problems.push(`${c.name}: instance read ${got.body}, reference ${ref.body}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('absolute-form: the target’s authority routes and replaces Host; the path goes on in origin form (RFC 9112 §3.2.2)', async () => {
  const r = await exchange(gw, 'GET http://b/headers HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body) as Record<string, string>;
  assert.equal(seen.host, 'b');
  assert.equal(seen['x-forwarded-host'], 'b');
  recorded.length = 0;
  const again = await exchange(gw, 'GET http://b/x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(again.status, 200);
  assert.equal((JSON.parse(again.body) as { url: string }).url, '/x?y=1');
  assert.match(seenByInstance(), /^GET \/x\?y=1 HTTP\/1\.1\r\n/);
});

test('h2c: :authority routes; a host field that disagrees is not used (RFC 9113 §8.3.1)', async (t) => {
  const session = http2.connect(`http://127.0.0.1:${gw}`);
  t.after(() => session.destroy());
  session.on('error', () => {});
  const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = session.request({ ':path': '/headers', ':authority': 'b', host: 'a' });
    let text = '';
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve({ status, text }));
    req.on('error', reject);
    req.end();
  });
  assert.equal(body.status, 200);
  const seen = JSON.parse(body.text) as Record<string, string>;
  assert.equal(seen.host, 'b');
  assert.equal(seen['x-forwarded-host'], 'b');
});

test('forwarding headers cannot be forged on either path: the client’s values are dropped, knit’s own element is built from the connection', async () => {
  const forged = 'X-Forwarded-Proto: https, for=6.6.6.6;host=evil.example;proto=https\r\nForwarded: for=6.6.6.6;host=evil.example;proto=https\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil.example\r\n';
  // The fast path, then Node's server (HTTP/1.0 is handed to it).
  for (const raw of [`GET /headers HTTP/1.1\r\nHost: a\r\n${forged}\r\n`, `GET /headers HTTP/1.0\r\nHost: a\r\n${forged}\r\n`]) {
    const r = await exchange(gw, raw);
    assert.equal(r.status, 200, raw);
    const seen = JSON.parse(r.body) as Record<string, string>;
    assert.equal(seen.forwarded, 'for=127.0.0.1;host=a;proto=http', raw);
    assert.equal(seen['x-forwarded-for'], '127.0.0.1', raw);
    assert.equal(seen['x-forwarded-proto'], 'http', 'XFP https over cleartext is not passed on');
    assert.equal(seen['x-forwarded-host'], 'a', raw);
    assert.doesNotMatch(JSON.stringify(seen), /6\.6\.6\.6|evil/);
  }
});

test('a client pipelining requests and never reading makes knit fetch only a bounded number of responses, then all of them once it reads', async (t) => {
  const N = 2_000;
  const before = backendRequests;
  const s = net.connect(gw, '127.0.0.1');
  t.after(() => s.destroy());
  s.on('error', () => {});
  await new Promise<void>((resolve) => s.once('connect', resolve));
  s.pause();
  s.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(N));
  // Wait until knit stops fetching: the backend's count holds still for a second.
  let last = -1;
  let still = Date.now();
  const deadline = Date.now() + 20_000;
  while (Date.now() - still < 1_000) {
    assert.ok(Date.now() < deadline, 'the backend count never settled');
    const n = backendRequests - before;
    if (n !== last) {
      last = n;
      still = Date.now();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const fetched = backendRequests - before;
  // 32 KB responses: what the kernel's socket buffers hold, plus MAX_UNREAD_RESPONSE in knit, plus one in flight.
  t.diagnostic(`fetched ${fetched} of ${N} pipelined 32 KB responses while the client did not read (knit holds at most ${MAX_UNREAD_RESPONSE} bytes)`);
  assert.ok(fetched < 400, `knit fetched ${fetched} responses for a client that does not read`);
  assert.ok(fetched < N);
  // Once the client reads, every response arrives.
  let bytes = 0;
  const want = N * 32 * 1024;
  s.on('data', (c: Buffer) => (bytes += c.length));
  s.resume();
  const end = Date.now() + 60_000;
  while (backendRequests - before < N || bytes < want) {
    assert.ok(Date.now() < end, `only ${backendRequests - before} requests and ${bytes} bytes arrived`);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(backendRequests - before, N);
});

test('a timeout after the first byte ends the response as Knative’s handler does, on every path', async (t) => {
  const text = 'start\nrequest timeout: response idle';
  // Fast path: the timeout text as the last chunk, then the terminating chunk.
  const fast = await exchange(gw, 'GET /stream HTTP/1.1\r\nHost: idle\r\n\r\n');
  assert.equal(fast.status, 200);
  const msg = 'request timeout: response idle';
  assert.equal(fast.body, `6\r\nstart\n\r\n${msg.length.toString(16)}\r\n${msg}\r\n0\r\n\r\n`);
  // Node's server (HTTP/1.0: no chunking, the end is the close).
  const old = await exchange(gw, 'GET /stream HTTP/1.0\r\nHost: idle\r\n\r\n');
  assert.equal(old.status, 200);
  assert.equal(old.body, text);
  // A response with a Content-Length is left short, its connection closed (as Go's server does), on both paths.
  for (const version of ['1.1', '1.0']) {
    const cl = await exchange(gw, `GET /stream-cl HTTP/${version}\r\nHost: idle\r\n\r\n`);
    assert.equal(cl.status, 200, version);
    assert.equal(cl.body, 'start\n', version);
  }
  // h2c: the stream ends normally (no RST_STREAM) after the text.
  const session = http2.connect(`http://127.0.0.1:${gw}`);
  t.after(() => session.destroy());
  session.on('error', () => {});
  const h2 = await new Promise<{ status: number; body: string; rst: number }>((resolve, reject) => {
    const req = session.request({ ':path': '/stream', ':authority': 'idle' });
    let body = '';
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('close', () => resolve({ status, body, rst: req.rstCode }));
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(h2, { status: 200, body: text, rst: http2.constants.NGHTTP2_NO_ERROR });
});
