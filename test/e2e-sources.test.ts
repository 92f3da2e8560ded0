// Eventing's sources against a real `knit serve`: an ApiServerSource announces a new Service, a
// ContainerSource's file:// workload posts to its cluster-local K_SINK through knit's sink relay, a
// SinkBinding gives a Knative Service's new revision K_SINK and takes it away again, and a
// PingSource fires `* * * * *` for real; a bound Service's K_SINK survives a restart.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { FIXTURES, KnitServer, eventually, processAlive as alive } from './harness.ts';
import { freePort } from '../src/runtime/process.ts';

let knit: KnitServer;
const DISPLAY = `file://${path.join(FIXTURES, 'event-display')}`;
const ENV_APP = `file://${path.join(FIXTURES, 'env-app')}`;
const HEARTBEAT = `file://${path.join(FIXTURES, 'heartbeat-source')}`;
const SOURCES = '/apis/sources.knative.dev/v1/namespaces/default';
const DISPLAY_SINK = { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'display' } };

interface Condition { type: string; status: string; reason?: string; message?: string }
interface Source { metadata: { name: string; generation?: number }; status?: { observedGeneration?: number; sinkUri?: string; conditions?: Condition[]; ceAttributes?: { type: string; source: string }[] } }
interface Received { path: string; headers: Record<string, string>; body: string }

before(async () => {
  knit = await new KnitServer().start();
  await knit.createService('display', DISPLAY);
  await eventually('the display service answers', async () => (await knit.request('display.default.example.com', '/events')).status === 200, 60_000);
  // Created first: its real minute boundary passes while the other tests run.
  const r = await knit.api('POST', `${SOURCES}/pingsources`, {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'PingSource',
    metadata: { name: 'every-minute' },
    spec: { schedule: '* * * * *', contentType: 'application/json', data: '{"ping":"real"}', sink: DISPLAY_SINK },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
});

after(async () => {
  await knit?.cleanup();
});

async function displayed(): Promise<Received[]> {
  const r = await knit.request('display.default.example.com', '/events');
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Received[];
}

async function ready(plural: string, name: string, ms = 30_000): Promise<Source> {
  let last: Source | undefined;
  try {
    return await eventually(`${plural}/${name} is Ready`, async () => {
      const s = (last = (await knit.api('GET', `${SOURCES}/${plural}/${name}`)).json as Source);
      return s.status?.observedGeneration === s.metadata.generation && s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? s : undefined;
    }, ms);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status ${JSON.stringify(last?.status)}`, { cause: err });
  }
}

test('ApiServerSource in Resource mode sends dev.knative.apiserver.resource.add when a Service is created', async (t) => {
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const sink = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => sink.close(() => r())));
  const uri = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`;
  const r = await knit.api('POST', `${SOURCES}/apiserversources`, {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'ApiServerSource',
    metadata: { name: 'services' },
    spec: { mode: 'Resource', resources: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service' }], sink: { uri } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const src = await ready('apiserversources', 'services');
  assert.equal(src.status?.sinkUri, uri);
  assert.deepEqual(src.status?.ceAttributes?.map((a) => a.type), ['dev.knative.apiserver.resource.add', 'dev.knative.apiserver.resource.update', 'dev.knative.apiserver.resource.delete']);
  assert.ok(src.status?.ceAttributes?.every((a) => a.source === knit.endpoints.api));

  await knit.createService('watched', ENV_APP);
  const add = await eventually('the add event of Service watched', () => got.find((e) => e.headers['ce-type'] === 'dev.knative.apiserver.resource.add' && e.headers['ce-name'] === 'watched'));
  assert.equal(add.headers['ce-source'], knit.endpoints.api);
  assert.equal(add.headers['ce-subject'], '/apis/serving.knative.dev/v1/namespaces/default/services/watched');
  assert.equal(add.headers['ce-kind'], 'Service');
  assert.equal(add.headers['ce-apiversion'], 'serving.knative.dev/v1');
  assert.equal(add.headers['ce-namespace'], 'default');
  assert.equal(add.headers['content-type'], 'application/json');
  const obj = JSON.parse(add.body) as { kind: string; metadata: { name: string } };
  assert.equal(obj.kind, 'Service');
  assert.equal(obj.metadata.name, 'watched');
  // The informer's initial list announced the Service that existed before the source.
  assert.ok(got.some((e) => e.headers['ce-type'] === 'dev.knative.apiserver.resource.add' && e.headers['ce-name'] === 'display'));
  // Status changes of the new Service are updates.
  await eventually('an update event of Service watched', () => got.find((e) => e.headers['ce-type'] === 'dev.knative.apiserver.resource.update' && e.headers['ce-name'] === 'watched'));
  assert.equal((await knit.api('DELETE', `${SOURCES}/apiserversources/services`)).status, 200);
});

test('ContainerSource runs its file:// template with K_SINK and K_CE_OVERRIDES; its events reach a cluster-local sink; deleting it stops it', async () => {
  const before = new Set(knit.instancePids());
  const r = await knit.api('POST', `${SOURCES}/containersources`, {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'ContainerSource',
    metadata: { name: 'heartbeat' },
    spec: {
      template: { spec: { containers: [{ image: HEARTBEAT, env: [{ name: 'HEARTBEAT_LABEL', value: 'from-container' }] }] } },
      sink: DISPLAY_SINK,
      ceOverrides: { extensions: { team: 'sources' } },
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const src = await ready('containersources', 'heartbeat');
  assert.equal(src.status?.sinkUri, 'http://display.default.svc.cluster.local');
  assert.deepEqual(src.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['Ready=True', 'ReceiveAdapterReady=True', 'SinkBindingReady=True']);
  const beat = await eventually('a heartbeat at the display service', async () => (await displayed()).find((e) => e.headers['ce-type'] === 'dev.knit.test.heartbeat'), 20_000);
  assert.equal(beat.headers['ce-team'], 'sources');
  assert.equal(beat.body, 'from-container');

  const pid = await eventually('the source runs as an instance', () => knit.instancePids().find((p) => !before.has(p)));

  // A changed template replaces the replica.
  const patched = await knit.api('PATCH', `${SOURCES}/containersources/heartbeat`, { spec: { template: { spec: { containers: [{ image: HEARTBEAT, env: [{ name: 'HEARTBEAT_LABEL', value: 'second' }] }] } } } });
  assert.equal(patched.status, 200, JSON.stringify(patched.json));
  await eventually('heartbeats from the new template', async () => (await displayed()).some((e) => e.headers['ce-type'] === 'dev.knit.test.heartbeat' && e.body === 'second'), 20_000);
  await eventually('the first replica is stopped', () => !alive(pid), 20_000);
  const second = await eventually('the new replica runs', () => knit.instancePids().find((p) => !before.has(p) && p !== pid));

  assert.equal((await knit.api('DELETE', `${SOURCES}/containersources/heartbeat`)).status, 200);
  await eventually('the source instance is stopped', () => !knit.instancePids().includes(second) && !alive(second), 20_000);
});

test('ContainerSource refuses what knit cannot run: a container image with a cluster-local sink, env from a Secret', async () => {
  const create = async (name: string, container: Record<string, unknown>): Promise<void> => {
    const r = await knit.api('POST', `${SOURCES}/containersources`, { apiVersion: 'sources.knative.dev/v1', kind: 'ContainerSource', metadata: { name }, spec: { template: { spec: { containers: [container] } }, sink: DISPLAY_SINK } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  };
  await create('in-podman', { image: 'docker.io/library/busybox:latest' });
  await create('secret-env', { image: HEARTBEAT, env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] });
  for (const [name, reason, message] of [
    ['in-podman', 'SinkUnreachable', /only file:\/\/ images/],
    ['secret-env', 'UnsupportedTemplate', /env TOKEN: valueFrom is not supported/],
  ] as const) {
    const c = await eventually(`${name} is refused`, async () => ((await knit.api('GET', `${SOURCES}/containersources/${name}`)).json as Source).status?.conditions?.find((x) => x.type === 'ReceiveAdapterReady' && x.status === 'False'));
    assert.equal(c.reason, reason);
    assert.match(c.message ?? '', message);
    assert.equal((await knit.api('DELETE', `${SOURCES}/containersources/${name}`)).status, 200);
  }
});


interface Service { metadata: { generation: number }; spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } }; status?: { latestReadyRevisionName?: string; observedGeneration?: number } }

async function latestReady(name: string, generation: number): Promise<Service> {
  return eventually(`${name} generation ${generation} is ready`, async () => {
    const s = (await knit.api('GET', `/apis/serving.knative.dev/v1/namespaces/default/services/${name}`)).json as Service;
    return s.metadata.generation === generation && s.status?.observedGeneration === generation && s.status.latestReadyRevisionName === `${name}-0000${generation}` ? s : undefined;
  }, 60_000);
}

test('SinkBinding gives a Knative Service a new revision with K_SINK and K_CE_OVERRIDES, and deleting it takes them away', async () => {
  await knit.createService('bound', ENV_APP);
  await latestReady('bound', 1);
  const r = await knit.api('POST', `${SOURCES}/sinkbindings`, {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'SinkBinding',
    metadata: { name: 'bind' },
    spec: { subject: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'bound' }, sink: DISPLAY_SINK, ceOverrides: { extensions: { origin: 'binding' } } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const sb = await ready('sinkbindings', 'bind');
  assert.equal(sb.status?.sinkUri, 'http://display.default.svc.cluster.local');
  assert.deepEqual(sb.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['OIDCIdentityCreated=True', 'OIDCTokenSecretCreated=True', 'Ready=True', 'SinkBindingAvailable=True', 'SinkProvided=True', 'TrustBundlePropagated=True']);

  await latestReady('bound', 2);
  const env = await eventually('the new revision answers with K_SINK', async () => {
    const a = await knit.request('bound.default.example.com', '/?names=K_SINK,K_CE_OVERRIDES');
    const j = a.status === 200 ? (JSON.parse(a.body) as Record<string, string>) : {};
    return j.K_SINK ? j : undefined;
  }, 30_000);
  assert.match(env.K_SINK, /^http:\/\/127\.\d+\.\d+\.\d+:\d+\/$/);
  assert.equal(env.K_CE_OVERRIDES, '{"extensions":{"origin":"binding"}}');

  // What the workload would do: POST a CloudEvent to $K_SINK; it reaches the display service.
  const u = new URL(env.K_SINK);
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-id': 'b-1', 'ce-type': 'dev.knit.test.bound', 'ce-source': 'test', 'content-type': 'text/plain' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end('through the relay');
  });
  assert.equal(status, 202);
  const got = (await displayed()).find((e) => e.headers['ce-type'] === 'dev.knit.test.bound');
  assert.equal(got?.body, 'through the relay');

  assert.equal((await knit.api('DELETE', `${SOURCES}/sinkbindings/bind`)).status, 200);
  const unbound = await latestReady('bound', 3);
  assert.deepEqual(unbound.spec.template.spec.containers[0].env ?? [], []);
  const after = await eventually('the unbound revision answers', async () => {
    const a = await knit.request('bound.default.example.com', '/?names=K_SINK,K_CE_OVERRIDES');
    return a.status === 200 ? (JSON.parse(a.body) as Record<string, string>) : undefined;
  });
  assert.deepEqual(after, {});
});

test('PingSource fires * * * * * for real: its event reaches a cluster-local sink within a minute', async () => {
  const src = await ready('pingsources', 'every-minute');
  assert.equal(src.status?.sinkUri, 'http://display.default.svc.cluster.local');
  const ping = await eventually('a real ping at the display service', async () => (await displayed()).find((e) => e.headers['ce-type'] === 'dev.knative.sources.ping'), 75_000, 500);
  assert.equal(ping.headers['ce-source'], '/apis/v1/namespaces/default/pingsources/every-minute');
  assert.equal(ping.headers['content-type'], 'application/json');
  assert.equal(ping.body, '{"ping":"real"}');
});

test('a bound Service keeps its K_SINK across a knit restart on the same --local-http port, and the relay is back', async (t) => {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-e2e-restart-'));
  let first: KnitServer | undefined = await new KnitServer(['--local-http', `127.0.0.1:${port}`], dataDir).start();
  t.after(async () => {
    await first?.cleanup();
  });
  const k1 = first;
  await k1.createService('display', DISPLAY);
  await k1.createService('bound', ENV_APP);
  assert.equal((await k1.api('POST', `${SOURCES}/sinkbindings`, {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'SinkBinding',
    metadata: { name: 'bind' },
    spec: { subject: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'bound' }, sink: DISPLAY_SINK },
  })).status, 201);
  const sinkOf = async (k: KnitServer): Promise<string | undefined> => {
    const s = (await k.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/bound')).json as Service;
    return s.spec.template.spec.containers[0].env?.find((e) => e.name === 'K_SINK')?.value;
  };
  const kSink = await eventually('the binding patched the Service', () => sinkOf(k1), 30_000);
  await k1.stop();
  first = undefined;

  const k2 = await new KnitServer(['--local-http', `127.0.0.1:${port}`], dataDir).start();
  t.after(() => k2.cleanup());
  await eventually('the display service answers again', async () => (await k2.request('display.default.example.com', '/events')).status === 200, 60_000);
  const gen = ((await k2.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/bound')).json as Service).metadata.generation;
  const u = new URL(kSink);
  const status = await eventually('the relay answers after the restart', () => new Promise<number | undefined>((resolve) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-id': 'r-1', 'ce-type': 'dev.knit.test.restarted', 'ce-source': 'test' } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.end();
  }), 30_000);
  assert.equal(status, 202);
  assert.equal(await sinkOf(k2), kSink);
  assert.equal(((await k2.api('GET', '/apis/serving.knative.dev/v1/namespaces/default/services/bound')).json as Service).metadata.generation, gen, 'no new generation after the restart');
  assert.equal(gen, 2);
});
