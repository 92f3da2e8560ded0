// Data-plane conformance with real processes: splits and tags, visibility, containerConcurrency,
// timeouts, headers, WebSocket, h2c and gRPC through the gateway (docs/architecture.md "Data plane").

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import grpc from '@grpc/grpc-js';
import { FIXTURES, KnitServer, eventually } from './harness.ts';
import { service as grpcService } from './fixtures/grpc-app/server.js';

let knit: KnitServer;
const APP = pathToFileURL(path.join(FIXTURES, 'dataplane-app')).href;
const GRPC_APP = pathToFileURL(path.join(FIXTURES, 'grpc-app')).href;

before(async () => {
  // A short grace period so that unreferenced revisions reach zero within seconds.
  knit = await new KnitServer([], undefined, 'autoscaler:\n  scale-to-zero-grace-period: 1s\n').start();
});

after(async () => {
  await knit?.cleanup();
});

interface Cond {
  type: string;
  status: string;
}

/** Creates a Service through the API and waits until it is Ready at its generation. */
async function createService(name: string, template: Record<string, unknown>, labels?: Record<string, string>): Promise<void> {
  const r = await knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, labels },
    spec: { template },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  await eventually(`${name} to be Ready`, async () => {
    const s = (await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as { metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: Cond[] } };
    return s.status?.observedGeneration === s.metadata.generation && s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  }, 20_000);
}

async function count(host: string, n: number, pathname = '/'): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const results = await Promise.all(Array.from({ length: n }, () => knit.request(host, pathname)));
  for (const r of results) {
    assert.equal(r.status, 200, r.body);
    out[r.body.trim()] = (out[r.body.trim()] ?? 0) + 1;
  }
  return out;
}

test('blue/green: a 50/50 split serves both revisions; tag URLs hit only their revision; a 0% tag stays reachable', async () => {
  await createService('bg', { metadata: { annotations: { 'autoscaling.knative.dev/window': '6s' } }, spec: { containers: [{ image: APP, env: [{ name: 'V', value: '1' }] }] } });
  const up = await knit.knit(['service', 'update', 'bg', '--env', 'V=2']);
  assert.equal(up.code, 0, up.stderr);
  const split = await knit.knit(['service', 'update', 'bg', '--tag', 'bg-00001=blue', '--tag', 'bg-00002=green', '--traffic', 'blue=50', '--traffic', 'green=50']);
  assert.equal(split.code, 0, split.stderr);
  const seen = await count('bg.default.example.com', 200);
  assert.ok((seen['bg-00001'] ?? 0) >= 50 && (seen['bg-00002'] ?? 0) >= 50, `50/50 gave ${JSON.stringify(seen)}`);
  assert.deepEqual(await count('blue-bg.default.example.com', 20), { 'bg-00001': 20 });
  assert.deepEqual(await count('green-bg.default.example.com', 20), { 'bg-00002': 20 });

  const route = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/routes/bg')).json as { status: { traffic: unknown[] } };
  assert.deepEqual(route.status.traffic, [
    { tag: 'blue', revisionName: 'bg-00001', latestRevision: false, percent: 50, url: 'http://blue-bg.default.example.com' },
    { tag: 'green', revisionName: 'bg-00002', latestRevision: false, percent: 50, url: 'http://green-bg.default.example.com' },
  ]);

  const allGreen = await knit.knit(['service', 'update', 'bg', '--traffic', 'green=100']);
  assert.equal(allGreen.code, 0, allGreen.stderr);
  assert.deepEqual(await count('bg.default.example.com', 20), { 'bg-00002': 20 });
  assert.deepEqual(await count('blue-bg.default.example.com', 5), { 'bg-00001': 5 }, 'a tag with 0% is still served at its URL');
});

test('a cluster-local service is 404 outside and 200 inside, under NAME.NS, NAME.NS.svc and NAME.NS.svc.cluster.local', async () => {
  const r = await knit.knit(['service', 'create', 'private', '--image', path.join(FIXTURES, 'dataplane-app'), '--cluster-local']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /is available at URL:\nhttp:\/\/private\.default\.svc\.cluster\.local\n$/);
  assert.equal((await knit.request('private.default.example.com')).status, 404);
  assert.equal((await knit.request('private.default.svc.cluster.local')).status, 404, 'the external listener never serves cluster-local hosts');
  for (const h of ['private.default', 'private.default.svc', 'private.default.svc.cluster.local']) {
    const res = await knit.request(h, '/', 'localHttp');
    assert.equal(res.status, 200, h);
    assert.equal(res.body, 'private-00001\n');
  }
  // Every external service is reachable on the local listener too.
  assert.equal((await knit.request('bg.default', '/', 'localHttp')).status, 200);
});

test('containerConcurrency 1: 5 clients for 10 s never see two requests inside one instance', async () => {
  await createService('single', { spec: { containerConcurrency: 1, containers: [{ image: APP }] } });
  const deadline = Date.now() + 10_000;
  let ok = 0;
  await Promise.all(
    Array.from({ length: 5 }, async () => {
      while (Date.now() < deadline) {
        const r = await knit.request('single.default.example.com', '/cc?ms=20');
        assert.equal(r.status, 200, r.body);
        ok++;
      }
    }),
  );
  assert.ok(ok > 50, `only ${ok} requests completed`);
});

test('timeoutSeconds 10: 2 s to first byte → 200; 12 s → 504; immediate first byte then 15 s of streaming → 200 ended at 10 s', async () => {
  await createService('slow', { spec: { timeoutSeconds: 10, containers: [{ image: APP }] } });
  const host = 'slow.default.example.com';
  const [two, twelve, stream] = await Promise.all([
    knit.request(host, '/sleep?ms=2000'),
    knit.request(host, '/sleep?ms=12000'),
    knit.request(host, '/stream?first=0&for=15000'),
  ]);
  assert.equal(two.status, 200);
  assert.equal(twelve.status, 504);
  assert.equal(twelve.body, 'request timeout\n');
  assert.equal(stream.status, 200);
  assert.match(stream.body, /^start\ntick\n(tick\n)*request timeout$/);
  // As Knative's timeout handler: its text goes into the started response, which then ends cleanly (what Go's client sees in TestRevisionTimeout).
  assert.equal(stream.complete, true, 'the stream ends at the 10 s total timeout with the timeout text');
});

test('headers: Host kept, Forwarded and X-Forwarded-* set, traceparent and user headers passed, hop-by-hop dropped', async () => {
  const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const r = await knit.request('single.default.example.com', '/headers', 'http', { traceparent: tp, 'x-user-header': 'kept', 'x-forwarded-for': '10.1.2.3', 'proxy-connection': 'keep-alive' });
  const seen = JSON.parse(r.body) as { httpVersion: string; headers: Record<string, string> };
  assert.equal(seen.httpVersion, '1.1');
  assert.equal(seen.headers.host, 'single.default.example.com');
  assert.equal(seen.headers.traceparent, tp);
  assert.equal(seen.headers['x-user-header'], 'kept');
  // knit trusts no proxy unless --trusted-proxies says so: the client's X-Forwarded-For is dropped.
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers['x-forwarded-host'], 'single.default.example.com');
  assert.match(seen.headers.forwarded, /^for=127\.0\.0\.1;host=single\.default\.example\.com;proto=http$/);
  assert.equal(seen.headers['proxy-connection'], undefined);
});

test('a WebSocket echo works through the gateway', async () => {
  const ws = new WebSocket(knit.endpoints.http, { headers: { host: 'single.default.example.com' } });
  const reply = await new Promise<string>((resolve, reject) => {
    ws.once('open', () => ws.send('hello'));
    ws.once('message', (m) => resolve(m.toString()));
    ws.once('error', reject);
  });
  ws.close();
  assert.equal(reply, 'single-00001: hello');
});

test('port name h2c: the app is spoken to in HTTP/2, and clients may speak h2c to the gateway', async () => {
  await createService('h2', { spec: { containers: [{ image: APP, env: [{ name: 'H2C', value: '1' }], ports: [{ name: 'h2c', containerPort: 8080 }] }] } });
  const viaH1 = JSON.parse((await knit.request('h2.default.example.com', '/headers')).body) as { httpVersion: string };
  assert.equal(viaH1.httpVersion, '2.0');
  const session = http2.connect(knit.endpoints.http);
  try {
    const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const s = session.request({ ':path': '/headers', ':authority': 'single.default.example.com' });
      let status = 0;
      let text = '';
      s.on('response', (h) => (status = Number(h[':status'])));
      s.setEncoding('utf8');
      s.on('data', (c: string) => (text += c));
      s.on('end', () => resolve({ status, text }));
      s.on('error', reject);
    });
    assert.equal(body.status, 200);
    assert.equal((JSON.parse(body.text) as { headers: Record<string, string> }).headers.host, 'single.default.example.com');
  } finally {
    session.close();
  }
});

test('gRPC unary and server-streaming calls work through the gateway', async () => {
  await createService('grpc', { spec: { containers: [{ image: GRPC_APP, ports: [{ name: 'h2c', containerPort: 8080 }] }] } });
  const Client = grpc.makeGenericClientConstructor(grpcService, 'Test');
  const client = new Client(knit.endpoints.http.replace('http://', ''), grpc.credentials.createInsecure(), { 'grpc.default_authority': 'grpc.default.example.com' }) as unknown as grpc.Client & {
    echo: (req: Buffer, cb: (err: Error | null, res?: Buffer) => void) => void;
    count: (req: Buffer) => grpc.ClientReadableStream<Buffer>;
  };
  try {
    const echoed = await new Promise<string>((resolve, reject) => client.echo(Buffer.from('ping'), (err, res) => (err ? reject(err) : resolve(res!.toString()))));
    assert.equal(echoed, 'grpc-00001: ping');
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.count(Buffer.from('5'));
      call.on('data', (b: Buffer) => got.push(b.toString()));
      call.on('end', () => resolve());
      call.on('error', reject);
    });
    assert.deepEqual(got, ['1', '2', '3', '4', '5']);
  } finally {
    client.close();
  }
});

test('a request to a revision with no instance waits for one and succeeds (buffering)', async () => {
  // bg-00001 keeps its tag at 0%; untag it so it becomes reserve and stops, then route to it again.
  const untag = await knit.knit(['service', 'update', 'bg', '--untag', 'blue']);
  assert.equal(untag.code, 0, untag.stderr);
  await eventually('bg-00001 to stop', async () => {
    const rev = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/revisions/bg-00001')).json as { status: { actualReplicas?: number } };
    return rev.status.actualReplicas === 0;
  }, 20_000, 100);
  const back = await knit.knit(['service', 'update', 'bg', '--traffic', 'bg-00001=100', '--no-wait']);
  assert.equal(back.code, 0, back.stderr);
  await eventually('the route to point at bg-00001', async () => (await knit.request('bg.default.example.com')).body === 'bg-00001\n', 10_000);
});

test('gradual rollout: rollout-duration moves traffic to the new revision in steps', async () => {
  const c = await knit.knit(['service', 'create', 'roll', '--image', path.join(FIXTURES, 'dataplane-app'), '--annotation-service', 'serving.knative.dev/rollout-duration=4s']);
  assert.equal(c.code, 0, c.stderr);
  const up = await knit.knit(['service', 'update', 'roll', '--env', 'V=2', '--no-wait']);
  assert.equal(up.code, 0, up.stderr);
  // While rolling, the route says so and splits traffic over both revisions.
  const during = await eventually('the rollout to start', async () => {
    const r = (await knit.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/routes/roll')).json as { status: { traffic?: { revisionName: string; percent: number }[]; conditions: { type: string; reason?: string }[] } };
    const ing = r.status.conditions.find((x) => x.type === 'IngressReady');
    return ing?.reason === 'RolloutInProgress' && (r.status.traffic?.length ?? 0) === 2 ? r.status.traffic : undefined;
  }, 10_000, 10);
  assert.deepEqual(during.map((t) => t.revisionName), ['roll-00001', 'roll-00002']);
  assert.equal(during[0].percent + during[1].percent, 100);
  assert.ok(during[1].percent < 100);
  const t0 = Date.now();
  const wait = await knit.knit(['service', 'wait', 'roll']);
  assert.equal(wait.code, 0, wait.stderr);
  const took = Date.now() - t0;
  assert.ok(took >= 1500 && took < 10_000, `the rollout took ${took}ms for a 4s duration`);
  assert.deepEqual(await count('roll.default.example.com', 20), { 'roll-00002': 20 });
});
