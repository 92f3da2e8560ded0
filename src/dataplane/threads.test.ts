// A gateway thread's way to hosts the main thread answers in-process (threads.ts toMainThread): the
// request reaches the main thread's loopback listener with its method, path, Host and body, and the
// answer comes back whole.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gateway } from './gateway.ts';
import { RoutingTable } from './routing.ts';
import { GatewayThreads, toMainThread } from './threads.ts';
import { SlotAllocator, createCells } from './shared.ts';
import { defaultTracingConfig } from '../tracing/config.ts';

test('toMainThread: an in-process host on a gateway thread is answered by the main thread\'s listener', async (t) => {
  const seen: { method?: string; url?: string; host?: string; xff?: string; body: string }[] = [];
  const main = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, host: req.headers.host, xff: req.headers['x-forwarded-for'] as string | undefined, body });
      res.writeHead(202, { 'content-type': 'text/plain', 'x-main': 'yes' });
      res.end('accepted\n');
    });
  });
  await new Promise<void>((resolve) => main.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => main.close(() => resolve())));
  const gw = new Gateway('cluster-local', new RoutingTable(), { dispatcher: () => undefined });
  t.after(() => gw.close());
  gw.serveInProcess('broker-ingress.knative-eventing.svc.cluster.local', toMainThread((main.address() as AddressInfo).port, () => false));
  const a = await gw.listen('127.0.0.1', 0);
  const r = await new Promise<{ status: number; body: string; xmain: string | undefined }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: a.port, method: 'POST', path: '/default/b?x=1', headers: { host: 'broker-ingress.knative-eventing.svc.cluster.local', 'content-type': 'application/json' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, xmain: res.headers['x-main'] as string | undefined }));
    });
    req.on('error', reject);
    req.end('{"a":1}');
  });
  assert.deepEqual(r, { status: 202, body: 'accepted\n', xmain: 'yes' });
  assert.deepEqual(seen, [{ method: 'POST', url: '/default/b?x=1', host: 'broker-ingress.knative-eventing.svc.cluster.local', xff: '127.0.0.1', body: '{"a":1}' }]);
  // A host not served in-process is not sent there.
  const other = await new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: a.port, path: '/', headers: { host: 'nothing.default.svc' }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
  assert.equal(other, 404);
  assert.equal(seen.length, 1);
});

test('gateway threads: a host the main thread serves from now on is routed by a thread even before its snapshot arrives (the request waits for it)', async (t) => {
  const table = new RoutingTable();
  const gateways = { external: new Gateway('external', table, { dispatcher: () => undefined }), 'cluster-local': new Gateway('cluster-local', table, { dispatcher: () => undefined }) };
  const threads = new GatewayThreads({
    threads: 1, slots: new SlotAllocator(createCells(true)), queueLimit: 100, table, gateways,
    endpoints: () => [], onDemand: () => {}, observer: undefined, trustedProxies: undefined, tracing: defaultTracingConfig(),
  });
  t.after(async () => {
    await threads.close();
    await Promise.all(Object.values(gateways).map((g) => g.close()));
  });
  const ports = await threads.start({ external: { host: '127.0.0.1', port: 0 }, 'cluster-local': { host: '127.0.0.1', port: 0 } });
  gateways['cluster-local'].serveInProcess('late.knative-eventing.svc.cluster.local', (_req, res) => res.end('served by main\n'));
  // curl starts now; this thread then stays busy, so the snapshot (posted on the next turn) cannot have left
  // when the thread sees the request.
  const curl = spawn('curl', ['-s', '-o', '-', '-w', ' %{http_code}', '-H', 'Host: late.knative-eventing.svc.cluster.local', `http://127.0.0.1:${ports['cluster-local']}/`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  curl.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const until = performance.now() + 300;
  while (performance.now() < until) {
    // the main thread busy
  }
  await new Promise((r) => curl.once('close', r));
  assert.equal(out, 'served by main\n 200');
});
