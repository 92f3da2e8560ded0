// Events end to end: a real `knit serve` records the controllers' Created events, scaling from and to zero and container crashes as core/v1 Events in its store.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { EXAMPLES, FIXTURES, KnitServer, eventually } from './harness.ts';
import { Store } from '../src/store/store.ts';
import { EVENTS_RESOURCE, type CoreEvent } from '../src/controllers/stored-events.ts';

let knit: KnitServer;

before(async () => {
  knit = await new KnitServer([], undefined, 'autoscaler:\n  scale-to-zero-grace-period: 1s\n').start();
});

after(async () => {
  await knit?.cleanup();
});

/** The events in the server's store now (the store loads every row when opened). */
function storedEvents(): CoreEvent[] {
  const store = new Store(path.join(knit.dataDir, 'knit.db'));
  try {
    return store.list<CoreEvent>(EVENTS_RESOURCE);
  } finally {
    store.close();
  }
}

/** Waits until an event matching `want` is stored, and returns it. */
function eventFor(what: string, want: (e: CoreEvent) => boolean, ms = 20_000): Promise<CoreEvent> {
  return eventually(what, () => storedEvents().find(want), ms, 100);
}

test('creating a service records each controller\'s Created events about its objects', async () => {
  const svc = await knit.createService('ev', `file://${path.join(EXAMPLES, 'helloworld')}`, { 'autoscaling.knative.dev/window': '6s' });
  const config = await eventFor('Created Configuration', (e) => e.involvedObject.kind === 'Service' && e.message === 'Created Configuration "ev"');
  assert.match(config.metadata.name ?? '', /^ev\.[0-9a-f]{16}$/);
  assert.equal(config.metadata.namespace, 'default');
  assert.deepEqual(
    { ...config.involvedObject, resourceVersion: undefined },
    { kind: 'Service', namespace: 'default', name: 'ev', uid: svc.uid, apiVersion: 'serving.knative.dev/v1', resourceVersion: undefined },
  );
  assert.ok(config.involvedObject.resourceVersion, 'the involvedObject names the resourceVersion it saw');
  assert.equal(config.type, 'Normal');
  assert.equal(config.reason, 'Created');
  assert.deepEqual(config.source, { component: 'service-controller' });
  assert.equal(config.reportingComponent, 'service-controller');
  assert.equal(config.eventTime, null);
  assert.equal(config.count, 1);
  assert.equal(config.firstTimestamp, config.lastTimestamp);
  await eventFor('Created Route', (e) => e.source.component === 'service-controller' && e.message === 'Created Route "ev"');
  await eventFor('Created Revision', (e) => e.source.component === 'configuration-controller' && e.involvedObject.name === 'ev' && e.message === 'Created Revision "ev-00001"');
  await eventFor('Created Ingress', (e) => e.source.component === 'route-controller' && e.involvedObject.kind === 'Route' && e.message === 'Created Ingress "ev"');
  await eventFor('ConfigurationReady', (e) => e.reason === 'ConfigurationReady' && e.involvedObject.kind === 'Configuration');
});

test('scaling the revision from zero and back to zero is recorded as the deployment controller does', async () => {
  const up = await eventFor('Scaled up', (e) => e.reason === 'ScalingReplicaSet' && /^Scaled up replica set ev-00001-deployment\S* from 0 to 1$/.test(e.message));
  assert.equal(up.source.component, 'deployment-controller');
  assert.ok(['Deployment', 'Revision'].includes(up.involvedObject.kind ?? ''), JSON.stringify(up.involvedObject));
  // Idle for the 6 s window and the 1 s grace period.
  await eventFor('Scaled down to zero', (e) => e.reason === 'ScalingReplicaSet' && /^Scaled down replica set ev-00001-deployment\S* from 1 to 0$/.test(e.message), 40_000);
});

test('each crash of a container is a Warning BackOff from the kubelet', async () => {
  await knit.createService('crashy', `file://${path.join(FIXTURES, 'crash-app')}`);
  const backOffs = (): CoreEvent[] => storedEvents().filter((e) => e.reason === 'BackOff' && (e.involvedObject.name ?? '').startsWith('crashy-00001'));
  // Repeats of one message count on one event; crashes of different pods are events of their own.
  const seen = await eventually('two crashes', () => {
    const list = backOffs();
    return list.reduce((n, e) => n + e.count, 0) >= 2 && list;
  }, 30_000, 100);
  for (const e of seen) {
    assert.equal(e.type, 'Warning');
    assert.equal(e.source.component, 'kubelet');
    assert.match(e.message, /^Back-off restarting failed container user-container (in pod crashy-00001-deployment-\S+|of revision crashy-00001)$/);
  }
});
