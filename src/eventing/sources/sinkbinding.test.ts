// SinkBinding and the sink relay at the controller level: a real store, a real HTTP server standing in
// for the cluster-local gateway (it records the Host each relayed request carries).

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Store, type StoredObject } from '../../store/store.ts';
import { EventingManager } from '../manager.ts';
import { RESOURCE, type SinkBinding } from '../types.ts';
import { sinkBindingController } from './sinkbinding.ts';
import { relayAddress } from './sink-relay.ts';
import { eventually } from '../../../test/harness.ts';
import { eventingContext } from '../../../test/eventing-context.ts';

interface Env { name: string; value?: string }
interface Ksvc extends StoredObject { spec: { template: { spec: { containers: { image: string; env?: Env[] }[] } } } }

/** A gateway stand-in on port 0: answers 202 and records each request's Host and path. */
async function gateway(t: TestContext): Promise<{ port: number; seen: { host: string; path: string; body: string }[] }> {
  const seen: { host: string; path: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ host: req.headers.host ?? '', path: req.url ?? '', body: Buffer.concat(chunks).toString() });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { port: (server.address() as AddressInfo).port, seen };
}

async function setup(t: TestContext, gwPort: number): Promise<Store> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-sinkbinding-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = new Store(path.join(dir, 'knit.db'));
  t.after(() => store.close());
  const manager = new EventingManager(eventingContext(store, { now: () => new Date() }, dir, { localGateway: () => ({ host: '127.0.0.1', port: gwPort }) }), [sinkBindingController]);
  manager.start();
  t.after(() => manager.stop());
  return store;
}

function ksvc(name: string, image: string, labels: Record<string, string> = {}, env?: Env[]): StoredObject {
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name, namespace: 'default', labels }, spec: { template: { spec: { containers: [{ image, ...(env ? { env } : {}) }] } } } } as unknown as StoredObject;
}

function binding(name: string, subject: SinkBinding['spec']['subject'], sink: SinkBinding['spec']['sink'], ceOverrides?: SinkBinding['spec']['ceOverrides']): SinkBinding {
  return { apiVersion: 'sources.knative.dev/v1', kind: 'SinkBinding', metadata: { name, namespace: 'default' }, spec: { subject, sink, ...(ceOverrides ? { ceOverrides } : {}) } };
}

function envOf(store: Store, name: string): Env[] | undefined {
  return store.get<Ksvc>('services', 'default', name)?.spec.template.spec.containers[0].env;
}

async function condition(store: Store, name: string, type: string, status: string): Promise<{ reason?: string; message?: string }> {
  return eventually(`${name} ${type}=${status}`, () => store.get<SinkBinding>(RESOURCE.sinkbindings, 'default', name)?.status?.conditions?.find((c) => c.type === type && c.status === status));
}

test('relayAddress: a stable loopback address per host, outside 127.0.0.0/16', () => {
  const a = relayAddress('broker-ingress.knative-eventing.svc.cluster.local');
  assert.equal(a, relayAddress('BROKER-INGRESS.knative-eventing.svc.cluster.local'));
  assert.match(a, /^127\.(\d+)\.(\d+)\.(\d+)$/);
  assert.notEqual(a.split('.')[1], '0');
  assert.notEqual(a, relayAddress('display.default.svc.cluster.local'));
});

test('SinkBinding by label selector: every matching Service gets K_SINK (relayed) and K_CE_OVERRIDES; the relay carries the sink Host; deleting unbinds', async (t) => {
  const gw = await gateway(t);
  const store = await setup(t, gw.port);
  store.create('services', ksvc('one', 'file:///app', { bind: 'yes' }, [{ name: 'KEEP', value: 'me' }, { name: 'K_SINK', value: 'stale' }]));
  store.create('services', ksvc('two', 'file:///app', { bind: 'yes' }));
  store.create('services', ksvc('three', 'file:///app'));
  store.create(RESOURCE.sinkbindings, binding('by-label', { apiVersion: 'serving.knative.dev/v1', kind: 'Service', selector: { matchLabels: { bind: 'yes' } } }, { uri: 'http://broker-ingress.knative-eventing.svc.cluster.local/default/b' }, { extensions: { origin: 'x' } }));
  await condition(store, 'by-label', 'Ready', 'True');
  const sb = store.get<SinkBinding>(RESOURCE.sinkbindings, 'default', 'by-label');
  assert.equal(sb?.status?.sinkUri, 'http://broker-ingress.knative-eventing.svc.cluster.local/default/b');
  const relayed = `http://${relayAddress('broker-ingress.knative-eventing.svc.cluster.local')}:${gw.port}/default/b`;
  assert.deepEqual(envOf(store, 'one'), [{ name: 'KEEP', value: 'me' }, { name: 'K_SINK', value: relayed }, { name: 'K_CE_OVERRIDES', value: '{"extensions":{"origin":"x"}}' }]);
  assert.deepEqual(envOf(store, 'two'), [{ name: 'K_SINK', value: relayed }, { name: 'K_CE_OVERRIDES', value: '{"extensions":{"origin":"x"}}' }]);
  assert.equal(envOf(store, 'three'), undefined);
  assert.equal(store.get('services', 'default', 'one')?.metadata.generation, 2, 'the patched template is a new generation (a new Revision)');

  // A POST to K_SINK reaches the gateway with the sink's Host and path.
  const u = new URL(relayed);
  const status = await eventually('the relay answers', () => new Promise<number | undefined>((resolve) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST' }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', () => resolve(undefined));
    req.end('hello');
  }));
  assert.equal(status, 202);
  assert.deepEqual(gw.seen, [{ host: 'broker-ingress.knative-eventing.svc.cluster.local', path: '/default/b', body: 'hello' }]);

  store.delete(RESOURCE.sinkbindings, 'default', 'by-label');
  await eventually('both are unbound', () => envOf(store, 'two') === undefined && envOf(store, 'one')?.length === 1);
  assert.deepEqual(envOf(store, 'one'), [{ name: 'KEEP', value: 'me' }]);
});

test('SinkBinding: a direct sink URI is K_SINK as is; a missing subject is SubjectMissing; a container image with a relayed sink is refused', async (t) => {
  const gw = await gateway(t);
  const store = await setup(t, gw.port);
  store.create('services', ksvc('direct', 'file:///app'));
  store.create(RESOURCE.sinkbindings, binding('direct', { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'direct' }, { uri: 'http://127.0.0.1:9999/events' }));
  await condition(store, 'direct', 'Ready', 'True');
  assert.deepEqual(envOf(store, 'direct'), [{ name: 'K_SINK', value: 'http://127.0.0.1:9999/events' }, { name: 'K_CE_OVERRIDES', value: '' }]);

  store.create(RESOURCE.sinkbindings, binding('missing', { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'nope' }, { uri: 'http://127.0.0.1:9999/' }));
  const missing = await condition(store, 'missing', 'SinkBindingAvailable', 'False');
  assert.deepEqual([missing.reason, missing.message], ['SubjectMissing', 'services.serving.knative.dev "nope" not found']);

  store.create('services', ksvc('podman', 'docker.io/library/nginx:latest'));
  store.create(RESOURCE.sinkbindings, binding('podman', { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podman' }, { uri: 'http://display.default.svc.cluster.local' }));
  const refused = await condition(store, 'podman', 'SinkBindingAvailable', 'False');
  assert.equal(refused.reason, 'BindingFailed');
  assert.match(refused.message ?? '', /only file:\/\/ images/);
  assert.equal(envOf(store, 'podman'), undefined);

  store.create(RESOURCE.sinkbindings, binding('pods', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }, { uri: 'http://127.0.0.1:9999/' }));
  const projected = await condition(store, 'pods', 'SinkBindingAvailable', 'False');
  assert.equal(projected.reason, 'SubjectUnavailable');

  store.create(RESOURCE.sinkbindings, binding('nosink', { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'direct' }, { ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'gone' } }));
  const nosink = await condition(store, 'nosink', 'SinkProvided', 'False');
  assert.equal(nosink.reason, 'NoAddressable');
  assert.equal(nosink.message, 'Addressable could not be extracted from destination: failed to get object default/gone: brokers.eventing.knative.dev "gone" not found');
});
