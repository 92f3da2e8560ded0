// Gateway.serveInProcess: hosts answered inside knit, over the fast path's HTTP/1.1 and over h2c.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { Gateway } from './gateway.ts';
import { RoutingTable } from './routing.ts';

function get(port: number, host: string, path = '/x'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end('hello');
  });
}

test('a host served in-process is answered by its handler on HTTP/1.1 and h2c; removing it routes again', async (t) => {
  const gw = new Gateway('cluster-local', new RoutingTable(), { dispatcher: () => undefined });
  const addr = await gw.listen('127.0.0.1', 0);
  t.after(() => gw.close());
  const remove = gw.serveInProcess('Ingress.Example.svc', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'text/plain' });
      res.end(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`);
    });
  });
  assert.deepEqual(await get(addr.port, 'ingress.example.svc:8080', '/ns/name'), { status: 202, body: 'POST /ns/name hello' });
  assert.equal((await get(addr.port, 'other.example.svc')).status, 404);

  const session = http2.connect(`http://127.0.0.1:${addr.port}`);
  t.after(() => session.close());
  const h2 = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const s = session.request({ ':method': 'POST', ':path': '/a/b', ':authority': 'ingress.example.svc' });
    let status = 0;
    let body = '';
    s.on('response', (h) => (status = Number(h[':status'])));
    s.setEncoding('utf8');
    s.on('data', (c: string) => (body += c));
    s.on('end', () => resolve({ status, body }));
    s.on('error', reject);
    s.end('h2');
  });
  assert.deepEqual(h2, { status: 202, body: 'POST /a/b h2' });

  remove();
  assert.equal((await get(addr.port, 'ingress.example.svc')).status, 404);
});
