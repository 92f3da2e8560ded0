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
import { GatewayThreads, toMainThread, type RevisionSnapshot } from './threads.ts';
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
    endpoints: () => [], revision: () => undefined, onDemand: () => {}, observer: undefined, trustedProxies: undefined, tracing: defaultTracingConfig(),
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

test('gateway threads: an endpoints message carries the revisions that changed; the others keep theirs, a removed one is gone', async (t) => {
  const backends: http.Server[] = [];
  const backend = async (name: string): Promise<number> => {
    const s = http.createServer((_req, res) => res.end(name));
    backends.push(s);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return (s.address() as AddressInfo).port;
  };
  t.after(() => Promise.all(backends.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))));
  const table = new RoutingTable();
  const gateways = { external: new Gateway('external', table, { dispatcher: () => undefined }), 'cluster-local': new Gateway('cluster-local', table, { dispatcher: () => undefined }) };
  const slots = new SlotAllocator(createCells(true));
  const live = new Map<string, RevisionSnapshot>();
  const settings = { containerConcurrency: 0, timeouts: { totalMs: 30_000, responseStartMs: 30_000, idleMs: 0 }, protocol: 'http1' as const };
  const add = async (key: string): Promise<void> => {
    const port = await backend(key);
    live.set(key, { key, settings, slot: slots.revision(), endpoints: [{ id: `${key}-1`, host: '127.0.0.1', port, slot: slots.endpoint() }] });
  };
  const posted: number[] = [];
  const threads = new GatewayThreads({
    threads: 1, slots, queueLimit: 100, table, gateways,
    endpoints: () => [...live.values()],
    revision: (key) => {
      posted.push(1);
      return live.get(key);
    },
    onDemand: () => {}, observer: undefined, trustedProxies: undefined, tracing: defaultTracingConfig(),
  });
  t.after(async () => {
    await threads.close();
    await Promise.all(Object.values(gateways).map((g) => g.close()));
  });
  await add('default/a-00001');
  const ports = await threads.start({ external: { host: '127.0.0.1', port: 0 }, 'cluster-local': { host: '127.0.0.1', port: 0 } });
  for (const n of ['a', 'b']) table.setRoute(`default/${n}`, [{ host: `${n}.default.example.com`, visibility: 'external', targets: [{ revision: `default/${n}-00001`, percent: 100 }] }]);
  const get = (host: string): Promise<string> =>
    new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: ports.external, path: '/', headers: { host }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      }).on('error', reject);
    });
  const until = async (host: string, want: string): Promise<void> => {
    const deadline = Date.now() + 10_000;
    let got = '';
    while (Date.now() < deadline) {
      got = await get(host);
      if (got === want) return;
      await new Promise((r) => setImmediate(r));
    }
    assert.fail(`${host}: ${got}, want ${want}`);
  };
  // The thread started with every revision (a), before any change was posted.
  await until('a.default.example.com', '200 default/a-00001');
  assert.equal(posted.length, 0);
  await add('default/b-00001');
  threads.publishEndpoints('default/b-00001');
  await until('b.default.example.com', '200 default/b-00001');
  // Only b was snapshotted for that message, and a is still served from what the thread had.
  assert.equal(posted.length, 1);
  assert.equal(await get('a.default.example.com'), '200 default/a-00001');
  live.delete('default/a-00001');
  threads.publishEndpoints('default/a-00001');
  threads.publishEndpoints('default/a-00001');
  await until('a.default.example.com', '503 knit: revision default/a-00001 of host "a.default.example.com" is not available\n');
  assert.equal(posted.length, 2, 'two changes of one revision in a task are one snapshot');
  assert.equal(await get('b.default.example.com'), '200 default/b-00001');
});
