// HTTP/1.1 scanners of the fast path: request lines, header lines, status lines, chunked bodies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedScanner, HeaderLines, Hdr, findHeadEnd, parseLength, parseRequestLine, parseStatusLine } from './h1.ts';

function head(s: string): { buf: Buffer; end: number } {
  const buf = Buffer.from(s, 'latin1');
  return { buf, end: findHeadEnd(buf, 0) };
}

test('request lines: common methods over HTTP/1.1 only; everything else is left to Node', () => {
  const ok = head('GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(parseRequestLine(ok.buf, ok.end), 'GET /a?b=c HTTP/1.1\r\n'.length);
  for (const bad of [
    'GET /a HTTP/1.0\r\nHost: x\r\n\r\n',
    'CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n',
    'BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET  HTTP/1.1\r\nHost: x\r\n\r\n',
    'get / HTTP/1.1\r\nHost: x\r\n\r\n',
    '\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET http://y/ HTTP/1.1\r\nHost: x\r\n\r\n',
    'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
  ]) {
    const h = head(bad);
    assert.equal(parseRequestLine(h.buf, h.end), -1, JSON.stringify(bad));
  }
});

test('header lines: names classified case-insensitively, values trimmed, malformed lines rejected', () => {
  const { buf, end } = head('GET / HTTP/1.1\r\nHOST: a.b\r\ncontent-length:  12 \r\nX-Forwarded-For:1.2.3.4\r\nKnative-Serving-Tag: t\r\nTrailer: x\r\nX-Other: y\r\n\r\n');
  const L = new HeaderLines();
  assert.ok(L.scan(buf, parseRequestLine(buf, end), end));
  assert.deepEqual(L.kinds.slice(0, L.count), [Hdr.Host, Hdr.ContentLength, Hdr.XForwardedFor, Hdr.Tag, Hdr.Drop, Hdr.Other]);
  assert.equal(L.value(buf, 0), 'a.b');
  assert.equal(L.value(buf, 1), '12');
  assert.equal(L.value(buf, 2), '1.2.3.4');
  for (const bad of ['X: a\r\n b\r\n', 'X : a\r\n', 'X: a\rb\r\n', 'X: a\nb\r\n', ': a\r\n', 'X: a\x00\r\n']) {
    const h = head(`GET / HTTP/1.1\r\n${bad}\r\n`);
    assert.equal(new HeaderLines().scan(h.buf, parseRequestLine(h.buf, h.end), h.end), false, JSON.stringify(bad));
  }
});

test('Content-Length values must be plain decimal', () => {
  const v = (s: string): number => parseLength(Buffer.from(s), 0, s.length);
  assert.equal(v('0'), 0);
  assert.equal(v('1234'), 1234);
  for (const bad of ['', '-1', '1,2', '0x10', '1 2', '9999999999999999']) assert.equal(v(bad), -1, bad);
});

test('status lines', () => {
  const out = { next: 0, minor: 0 };
  const s = 'HTTP/1.0 204 No Content\r\n\r\n';
  assert.equal(parseStatusLine(Buffer.from(s), s.length, out), 204);
  assert.equal(out.minor, 0);
  assert.equal(out.next, 'HTTP/1.0 204 No Content\r\n'.length);
  const bare = 'HTTP/1.1 200\r\n\r\n';
  assert.equal(parseStatusLine(Buffer.from(bare), bare.length, out), 200);
  for (const bad of ['HTTP/2.0 200 OK\r\n\r\n', 'HTTP/1.1 20 OK\r\n\r\n', 'ICY 200 OK\r\n\r\n\r\n\r\n', 'HTTP/1.1 099 X\r\n\r\n']) {
    assert.equal(parseStatusLine(Buffer.from(bad), bad.length, out), -1, bad);
  }
});

test('chunked bodies end where the last chunk and trailers end, however the bytes are split', () => {
  const body = '5\r\nhello\r\nA;ext=1\r\n0123456789\r\n0\r\nx-trailer: y\r\n\r\n';
  const all = Buffer.from(`${body}NEXT`);
  for (let cut = 0; cut <= body.length; cut++) {
    const s = new ChunkedScanner();
    const first = s.scan(all, 0, cut);
    if (first >= 0) {
      assert.equal(first, body.length, `cut ${cut}`);
      continue;
    }
    assert.equal(first, -1, `cut ${cut}`);
    assert.equal(s.scan(all, cut, all.length), body.length, `cut ${cut}`);
  }
  // One byte at a time.
  const s = new ChunkedScanner();
  let end = -1;
  for (let i = 0; i < all.length && end < 0; i++) end = s.scan(all, i, i + 1);
  assert.equal(end, body.length);
  for (const bad of ['x\r\n', '5\r\nhelloXX', '5\nhello\r\n', '0\r\nbad\n', '5 \r\n', '5\t\r\n', '5;\r\n', '5 ;a=b\r\n', '5;a="b"c\r\n', '5;a=\xff\r\n', '0\r\nGET /SMUGGLED HTTP/1.1\r\n', '0\r\nnot a header\r\n', '0\r\nx-t : 1\r\n', '0\r\nx-t: 1\r\n 2\r\n', '0\r\n: 1\r\n', '0\r\nx: \x7f\r\n', '0\r\n\r\r\n']) {
    assert.equal(new ChunkedScanner().scan(Buffer.from(bad, 'latin1'), 0, bad.length), -2, JSON.stringify(bad));
  }
  // What llhttp accepts: extensions with token, quoted or empty values, repeated ';', leading zeros, obs-text.
  for (const good of ['5;a=b;c\r\nhello\r\n0\r\n\r\n', '5;a="b\\"c"\r\nhello\r\n0\r\n\r\n', '5;a=\r\nhello\r\n0\r\n\r\n', '5;;a\r\nhello\r\n0\r\n\r\n', '0005;a="\t\xff"\r\nhello\r\n0;z\r\nx-t:\t\xff 1 \r\nx-u:\r\n\r\n']) {
    assert.equal(new ChunkedScanner().scan(Buffer.from(good, 'latin1'), 0, good.length), good.length, JSON.stringify(good));
  }
});
