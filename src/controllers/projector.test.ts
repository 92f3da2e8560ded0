// The projector over a real store and instance manager: stale objects go on start, route tags and
// revisions come and go, and unchanged state is never rewritten.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Revision, Route } from '../api/types.ts';
import { InstanceManager } from '../runtime/instances.ts';
import { Store } from '../store/store.ts';
import { Projector } from './projector.ts';

async function until(what: string, fn: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function setup(t: { after(fn: () => Promise<void> | void): void }): { store: Store; projector: Projector } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-projector-'));
  const store = new Store(path.join(dir, 'knit.db'), () => new Date('2026-01-02T03:04:05Z'));
  const instances = new InstanceManager(dir, []);
  const projector = new Projector({
    store,
    instances,
    now: () => new Date('2026-01-02T03:04:05Z'),
    node: { nodeName: 'laptop', hostIP: '127.0.0.1' },
    settings: { clusterDomain: 'cluster.local', tagTemplate: '{{.Tag}}-{{.Name}}', progressDeadlineSeconds: 600 },
  });
  projector.setGateways({ external: { ip: '127.0.0.1', port: 8080 }, local: { ip: '127.0.0.1', port: 8082 } });
  t.after(() => {
    projector.stop();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { store, projector };
}

const names = (store: Store, resource: string, ns?: string): string[] => store.list(resource, { namespace: ns }).map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

test('start drops what a previous run left and projects the gateways', (t) => {
  const { store, projector } = setup(t);
  store.create('core.pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'old-00001-deployment-abc-xyz12', namespace: 'default' } });
  store.create('core.services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ghost', namespace: 'default' } });
  projector.start();
  assert.deepEqual(names(store, 'core.pods'), []);
  assert.deepEqual(names(store, 'core.services'), ['istio-system/istio-ingressgateway', 'istio-system/knative-local-gateway', 'kourier-system/kourier', 'kourier-system/kourier-internal']);
  const rv = store.resourceVersion;
  projector.stop();
  projector.start();
  assert.equal(store.resourceVersion, rv, 'nothing changed, nothing written');
  projector.setGateways({ external: { ip: '127.0.0.1', port: 9090 }, local: { ip: '127.0.0.1', port: 8082 } });
  return until('the new gateway port', () => (store.get('core.services', 'kourier-system', 'kourier')?.spec as { ports: { port: number }[] }).ports[0].port === 9090);
});

test('a route\'s services follow its tags; a deleted route\'s go', async (t) => {
  const { store, projector } = setup(t);
  projector.start();
  const route = store.create<Route>('routes', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Route',
    metadata: { name: 'hello', namespace: 'default' },
    spec: { traffic: [{ revisionName: 'hello-00001', percent: 100 }, { revisionName: 'hello-00001', percent: 0, tag: 'blue' }] },
  });
  await until('hello and blue-hello', () => names(store, 'core.services', 'default').join() === 'default/blue-hello,default/hello');
  assert.equal(store.get('core.services', 'default', 'hello')?.metadata.ownerReferences?.[0]?.uid, route.metadata.uid);
  store.update<Route>('routes', { ...route, metadata: { ...route.metadata, resourceVersion: '' }, spec: { traffic: [{ revisionName: 'hello-00001', percent: 100 }] } });
  await until('only hello', () => names(store, 'core.services', 'default').join() === 'default/hello');
  store.delete('routes', 'default', 'hello');
  await until('none', () => names(store, 'core.services', 'default').length === 0);
});

test('a resolved revision has its Deployment, ReplicaSet and services at its last desired scale; a deleted one has none', async (t) => {
  const { store, projector } = setup(t);
  const rev = store.create<Revision>('revisions', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: { name: 'hello-00001', namespace: 'default', labels: { 'serving.knative.dev/service': 'hello' } },
    spec: { containers: [{ image: 'file:///app' }] },
  });
  projector.start();
  assert.deepEqual(names(store, 'apps.deployments'), [], 'not resolved: no Deployment yet');
  store.update<Revision>('revisions', { ...rev, status: { containerStatuses: [{ name: 'user-container' }], desiredReplicas: 2 } }, { subresource: 'status' });
  await until('the Deployment', () => store.get('apps.deployments', 'default', 'hello-00001-deployment') !== undefined);
  const dep = store.get('apps.deployments', 'default', 'hello-00001-deployment');
  assert.equal((dep?.spec as { replicas: number }).replicas, 2);
  assert.equal((dep?.status as { observedGeneration: number }).observedGeneration, dep?.metadata.generation);
  assert.equal(names(store, 'apps.replicasets').length, 1);
  assert.deepEqual(names(store, 'core.services', 'default'), ['default/hello-00001', 'default/hello-00001-private']);
  assert.deepEqual(names(store, 'core.pods'), [], 'no instances, no pods');
  store.delete('revisions', 'default', 'hello-00001');
  await until('everything gone', () => names(store, 'apps.deployments').length + names(store, 'apps.replicasets').length + names(store, 'core.services', 'default').length === 0);
});

test('while busy (more than BUSY_TASKS in a window), a route changed three times in a row is projected once; when idle, every change is', async (t) => {
  const { store, projector } = setup(t);
  projector.start();
  const seen: string[] = [];
  const unwatch = store.watch('core.services', (ev) => {
    if (ev.type === 'ADDED') seen.push(ev.object.metadata.name ?? '');
  });
  t.after(unwatch);
  const route = (name: string, tag: string): Route => ({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Route',
    metadata: { name, namespace: 'default' },
    spec: { traffic: [{ revisionName: `${name}-00001`, percent: 100 }, { revisionName: `${name}-00001`, percent: 0, tag }] },
  });
  const retag = async (name: string, tags: string[]): Promise<void> => {
    for (const tag of tags) {
      // A turn of the event loop before each change: an idle projector flushes in it.
      await new Promise((r) => setImmediate(r));
      const cur = store.get<Route>('routes', 'default', name)!;
      store.update<Route>('routes', { ...cur, spec: route(name, tag).spec });
    }
  };
  // Idle: each tag gets its service.
  store.create('routes', route('idle', 'a'));
  await retag('idle', ['b', 'c']);
  await until('c-idle', () => store.get('core.services', 'default', 'c-idle') !== undefined);
  assert.deepEqual(seen.filter((n) => n === 'idle' || n.endsWith('-idle')), ['idle', 'a-idle', 'b-idle', 'c-idle']);
  // Busy: 20 routes at once, then three changes of one of them within the (frozen) window.
  for (let i = 0; i < 20; i++) store.create('routes', route(`r${i}`, 'a'));
  await until('the 20 routes projected', () => store.get('core.services', 'default', 'a-r19') !== undefined);
  await retag('r0', ['b', 'c', 'd']);
  await until('d-r0', () => store.get('core.services', 'default', 'd-r0') !== undefined);
  assert.deepEqual(seen.filter((n) => /^[bc]-r0$/.test(n)), [], 'the intermediate tags were never projected');
  assert.equal(store.get('core.services', 'default', 'a-r0'), undefined, "the former tag's service is gone");
});
