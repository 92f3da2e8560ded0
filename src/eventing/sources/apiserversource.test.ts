// ApiServerSource at the controller level: a real store's watch, a real sink. Reference and Resource
// modes, label selectors, the owner filter, namespaceSelector, and kinds that cannot be watched.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store, type StoredObject } from '../../store/store.ts';
import { EventingManager } from '../manager.ts';
import { RESOURCE, type ApiServerSource } from '../types.ts';
import { apiServerSourceController, selfLink } from './apiserversource.ts';
import { eventually } from '../../../test/harness.ts';
import { eventingContext, sink } from '../../../test/eventing-context.ts';

const API = 'https://127.0.0.1:6443';

async function setup(t: TestContext): Promise<{ store: Store; url: string; events: Awaited<ReturnType<typeof sink>>['events'] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-apiserversource-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = new Store(path.join(dir, 'knit.db'));
  t.after(() => store.close());
  const { url, events } = await sink(t);
  const manager = new EventingManager(eventingContext(store, { now: () => new Date() }, dir, { apiServer: () => API }), [apiServerSourceController]);
  manager.start();
  t.after(() => manager.stop());
  return { store, url, events };
}

function source(name: string, spec: Partial<ApiServerSource['spec']>, url: string): ApiServerSource {
  return { apiVersion: 'sources.knative.dev/v1', kind: 'ApiServerSource', metadata: { name, namespace: 'default' }, spec: { resources: [], sink: { uri: url }, ...spec } };
}

function ksvc(name: string, namespace = 'default', labels: Record<string, string> = {}): StoredObject {
  return { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name, namespace, labels }, spec: { template: { spec: { containers: [{ image: 'file:///x' }] } } } } as unknown as StoredObject;
}

async function readySource(store: Store, name: string): Promise<ApiServerSource> {
  return eventually(`${name} is Ready`, () => {
    const s = store.get<ApiServerSource>(RESOURCE.apiserversources, 'default', name);
    return s?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? s : undefined;
  });
}

test('selfLink: the adapter’s subject for core and grouped kinds', () => {
  assert.equal(selfLink('serving.knative.dev/v1', 'Service', 'default', 'a'), '/apis/serving.knative.dev/v1/namespaces/default/services/a');
  assert.equal(selfLink('v1', 'ConfigMap', 'ns', 'c'), '/apis/v1/namespaces/ns/configmaps/c');
  assert.equal(selfLink('networking.k8s.io', 'Ingress', 'ns', 'i'), '/apis/networking.k8s.io/versionUnknown/namespaces/ns/ingresses/i');
  assert.equal(selfLink('v1', 'Policy', 'ns', 'p'), '/apis/v1/namespaces/ns/policies/p');
});

test('ApiServerSource Reference mode: label-selected objects only, add/update/delete as references', async (t) => {
  const { store, url, events } = await setup(t);
  store.create(RESOURCE.apiserversources, source('refs', { mode: 'Reference', resources: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', selector: { matchLabels: { app: 'watched' } } }] }, url));
  const src = await readySource(store, 'refs');
  assert.deepEqual(src.status?.ceAttributes, [
    { type: 'dev.knative.apiserver.ref.add', source: API },
    { type: 'dev.knative.apiserver.ref.update', source: API },
    { type: 'dev.knative.apiserver.ref.delete', source: API },
  ]);
  assert.deepEqual(src.status?.namespaces, ['default']);
  assert.deepEqual(src.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['Deployed=True', 'OIDCIdentityCreated=True', 'Ready=True', 'SinkProvided=True', 'SufficientPermissions=True']);

  store.create('services', ksvc('ignored'));
  store.create('services', ksvc('elsewhere', 'other', { app: 'watched' }));
  const created = store.create('services', ksvc('a', 'default', { app: 'watched' }));
  await eventually('the add', () => events.length === 1);
  assert.equal(events[0].attributes.type, 'dev.knative.apiserver.ref.add');
  assert.equal(events[0].attributes.source, API);
  assert.equal(events[0].attributes.subject, '/apis/serving.knative.dev/v1/namespaces/default/services/a');
  assert.deepEqual([events[0].attributes.kind, events[0].attributes.apiversion, events[0].attributes.name, events[0].attributes.namespace], ['Service', 'serving.knative.dev/v1', 'a', 'default']);
  assert.equal(Buffer.from(events[0].data ?? '', 'base64').toString(), '{"kind":"Service","namespace":"default","name":"a","apiVersion":"serving.knative.dev/v1"}');

  store.update('services', { ...created, metadata: { ...created.metadata, annotations: { touched: 'yes' } } });
  store.delete('services', 'default', 'a');
  await eventually('the update and the delete', () => events.length === 3);
  assert.deepEqual(events.map((e) => e.attributes.type), ['dev.knative.apiserver.ref.add', 'dev.knative.apiserver.ref.update', 'dev.knative.apiserver.ref.delete']);
});

test('ApiServerSource Resource mode: existing objects are announced at start; the owner filter keeps controlled objects only', async (t) => {
  const { store, url, events } = await setup(t);
  store.create('configurations', { apiVersion: 'serving.knative.dev/v1', kind: 'Configuration', metadata: { name: 'before', namespace: 'default', ownerReferences: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'before', uid: 'u1', controller: true }] }, spec: {} } as unknown as StoredObject);
  store.create(RESOURCE.apiserversources, source('objects', { mode: 'Resource', owner: { apiVersion: 'serving.knative.dev/v1', kind: 'Service' }, resources: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Configuration' }] }, url));
  await readySource(store, 'objects');
  await eventually('the initial add', () => events.length === 1);
  assert.equal(events[0].attributes.type, 'dev.knative.apiserver.resource.add');
  assert.equal(events[0].attributes.datacontenttype, 'application/json');
  const data = JSON.parse(Buffer.from(events[0].data ?? '', 'base64').toString()) as { kind: string; metadata: { name: string } };
  assert.deepEqual([data.kind, data.metadata.name], ['Configuration', 'before']);

  store.create('configurations', { apiVersion: 'serving.knative.dev/v1', kind: 'Configuration', metadata: { name: 'orphan', namespace: 'default' }, spec: {} } as unknown as StoredObject);
  store.create('configurations', { apiVersion: 'serving.knative.dev/v1', kind: 'Configuration', metadata: { name: 'owned', namespace: 'default', ownerReferences: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'owned', uid: 'u2', controller: true }] }, spec: {} } as unknown as StoredObject);
  await eventually('the owned add', () => events.length === 2);
  assert.equal(events[1].attributes.name, 'owned');
});

test('ApiServerSource namespaceSelector: the matching namespaces, in status and in what is sent', async (t) => {
  const { store, url, events } = await setup(t);
  for (const [name, env] of [['prod-a', 'prod'], ['prod-b', 'prod'], ['dev', 'dev']]) {
    store.create('core.namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, namespace: '', labels: { env } }, spec: {} } as unknown as StoredObject);
  }
  store.create(RESOURCE.apiserversources, source('prod', { namespaceSelector: { matchLabels: { env: 'prod' } }, resources: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service' }] }, url));
  const src = await readySource(store, 'prod');
  assert.deepEqual(src.status?.namespaces, ['prod-a', 'prod-b']);
  store.create('services', ksvc('d', 'dev'));
  store.create('services', ksvc('p', 'prod-b'));
  await eventually('the prod add', () => events.length === 1);
  assert.equal(events[0].attributes.namespace, 'prod-b');
});

test('ApiServerSource: kinds knit does not store are refused in Deployed', async (t) => {
  const { store, url } = await setup(t);
  store.create(RESOURCE.apiserversources, source('pods', { resources: [{ apiVersion: 'v1', kind: 'Pod' }] }, url));
  store.create(RESOURCE.apiserversources, source('nothing', { resources: [{ apiVersion: 'example.com/v1', kind: 'Widget' }] }, url));
  for (const [name, message] of [['pods', 'knit computes pods from its own state; they have no watch events to send'], ['nothing', 'no kind "Widget" is registered for version "example.com/v1"']]) {
    const s = await eventually(`${name} is not Ready`, () => {
      const o = store.get<ApiServerSource>(RESOURCE.apiserversources, 'default', name);
      return o?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? o : undefined;
    });
    const d = s.status?.conditions?.find((c) => c.type === 'Deployed');
    assert.deepEqual([d?.status, d?.reason, d?.message], ['False', 'ResourceNotWatchable', message]);
  }
});
