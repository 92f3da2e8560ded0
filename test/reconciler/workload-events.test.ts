// Scaling and crash events about a revision's Deployment, pods or (without those) the Revision, recorded into a real in-memory store.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, type StoredObject } from '../../src/store/store.ts';
import type { InstanceExit } from '../../src/runtime/runtime.ts';
import { EVENTS_RESOURCE, StoredEventRecorder, type CoreEvent } from '../../src/controllers/stored-events.ts';
import { WorkloadEvents, type WorkloadView } from '../../src/controllers/workload-events.ts';
import { NOW } from './table.ts';
import { revision } from './objects.ts';

const KEY = 'default/foo-00001';

/** The autoscaler's and instances' answers, set by each test. */
class Workloads implements WorkloadView {
  scales = new Map<string, number>();
  failures = new Map<string, InstanceExit>();
  scale(key: string): number | undefined {
    return this.scales.get(key);
  }
  lastFailure(key: string): InstanceExit | undefined {
    return this.failures.get(key);
  }
}

function setup() {
  const store = new Store(':memory:', () => NOW);
  const rec = new StoredEventRecorder(store, { now: () => NOW });
  const view = new Workloads();
  const events = new WorkloadEvents(store, rec, view, 'knit-host');
  const rev = store.create('revisions', revision('foo', 1));
  const list = (): string[] =>
    store
      .list<CoreEvent>(EVENTS_RESOURCE)
      .map((e) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.source.component} ${e.type} ${e.reason} ${e.message} x${e.count}`)
      .sort();
  return { store, view, events, rev, list, [Symbol.dispose]: () => (rec.stop(), store.close()) };
}

const crash = (code: number): InstanceExit => ({ code, beforeReady: true, requested: false, reason: `ExitCode${code}`, message: 'Container failed with: boom' });

test('scaling from and to zero: ScalingReplicaSet on the Revision while no Deployment is stored', () => {
  using env = setup();
  env.view.scales.set(KEY, 1);
  env.events.observe(KEY);
  env.events.observe(KEY); // no change, no event
  env.view.scales.set(KEY, 0);
  env.events.observe(KEY);
  env.view.scales.set(KEY, 1);
  env.events.observe(KEY);
  assert.deepEqual(env.list(), [
    'Revision/foo-00001 deployment-controller Normal ScalingReplicaSet Scaled down replica set foo-00001-deployment from 1 to 0 x1',
    'Revision/foo-00001 deployment-controller Normal ScalingReplicaSet Scaled up replica set foo-00001-deployment from 0 to 1 x2',
  ]);
});

test('ScalingReplicaSet is about the Deployment and names its ReplicaSet once they are stored', () => {
  using env = setup();
  const dep = env.store.create<StoredObject>('apps.deployments', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'foo-00001-deployment', namespace: 'default' } });
  env.store.create('apps.replicasets', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'foo-00001-deployment-7d9f8b6c5',
      namespace: 'default',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: dep.metadata.name ?? '', uid: dep.metadata.uid ?? '', controller: true }],
    },
  });
  env.view.scales.set(KEY, 3);
  env.events.observe(KEY);
  const [e] = env.store.list<CoreEvent>(EVENTS_RESOURCE);
  assert.equal(e.message, 'Scaled up replica set foo-00001-deployment-7d9f8b6c5 from 0 to 3');
  assert.deepEqual(e.involvedObject, {
    kind: 'Deployment',
    namespace: 'default',
    name: 'foo-00001-deployment',
    uid: dep.metadata.uid,
    apiVersion: 'apps/v1',
    resourceVersion: dep.metadata.resourceVersion,
  });
});

test('each crash of an instance is a kubelet BackOff; the same exit seen again is not', () => {
  using env = setup();
  env.view.scales.set(KEY, 1);
  env.view.failures.set(KEY, crash(1));
  env.events.observe(KEY);
  env.events.observe(KEY);
  env.view.failures.set(KEY, crash(1));
  env.events.observe(KEY);
  env.view.failures.set(KEY, { ...crash(0), requested: true });
  env.events.observe(KEY);
  assert.deepEqual(env.list(), [
    'Revision/foo-00001 deployment-controller Normal ScalingReplicaSet Scaled up replica set foo-00001-deployment from 0 to 1 x1',
    'Revision/foo-00001 kubelet Warning BackOff Back-off restarting failed container user-container of revision foo-00001 x2',
  ]);
});

test('a crash is about the revision\'s newest pod when pods are stored, with the container as fieldPath', () => {
  using env = setup();
  const pod = env.store.create<StoredObject>('core.pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'foo-00001-deployment-7d9f8b6c5-x2b4k', namespace: 'default', labels: { 'serving.knative.dev/revision': 'foo-00001' } },
    spec: { nodeName: 'node-a' },
  });
  env.store.create('core.pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bar-00001-deployment-1-aaaaa', namespace: 'default', labels: { 'serving.knative.dev/revision': 'bar-00001' } } });
  env.view.scales.set(KEY, 1);
  env.view.failures.set(KEY, crash(2));
  env.events.observe(KEY);
  const e = env.store.list<CoreEvent>(EVENTS_RESOURCE).find((x) => x.reason === 'BackOff')!;
  assert.equal(e.message, `Back-off restarting failed container user-container in pod foo-00001-deployment-7d9f8b6c5-x2b4k_default(${pod.metadata.uid})`);
  assert.deepEqual(e.source, { component: 'kubelet', host: 'node-a' });
  assert.equal(e.involvedObject.fieldPath, 'spec.containers{user-container}');
  assert.equal(e.involvedObject.kind, 'Pod');
});

test('a revision the autoscaler no longer knows is forgotten: no events, and a new one starts from zero', () => {
  using env = setup();
  env.events.observe(KEY);
  assert.deepEqual(env.list(), []);
  env.view.scales.set(KEY, 2);
  env.events.observe(KEY);
  env.view.scales.delete(KEY);
  env.events.observe(KEY);
  env.view.scales.set(KEY, 2);
  env.events.observe(KEY);
  assert.deepEqual(env.list(), ['Revision/foo-00001 deployment-controller Normal ScalingReplicaSet Scaled up replica set foo-00001-deployment from 0 to 2 x2']);
});

test('pods stored and deleted are the replicaset-controller\'s SuccessfulCreate and SuccessfulDelete on their ReplicaSet', () => {
  using env = setup();
  const rs = env.store.create<StoredObject>('apps.replicasets', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'foo-00001-deployment-7d9f8b6c5', namespace: 'default' } });
  const pod = (name: string, uid = rs.metadata.uid ?? ''): StoredObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name ?? '', uid, controller: true }] },
  });
  env.events.podChanged('ADDED', pod('foo-00001-deployment-7d9f8b6c5-abcde'));
  env.events.podChanged('MODIFIED', pod('foo-00001-deployment-7d9f8b6c5-abcde'));
  env.events.podChanged('DELETED', pod('foo-00001-deployment-7d9f8b6c5-abcde'));
  env.events.podChanged('ADDED', pod('foo-00001-deployment-7d9f8b6c5-zzzzz', 'a-replica-set-since-deleted'));
  assert.deepEqual(env.list(), [
    'ReplicaSet/foo-00001-deployment-7d9f8b6c5 replicaset-controller Normal SuccessfulCreate Created pod: foo-00001-deployment-7d9f8b6c5-abcde x1',
    'ReplicaSet/foo-00001-deployment-7d9f8b6c5 replicaset-controller Normal SuccessfulDelete Deleted pod: foo-00001-deployment-7d9f8b6c5-abcde x1',
  ]);
});
