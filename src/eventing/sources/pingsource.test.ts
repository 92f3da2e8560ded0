// PingSource at the controller level: a real store, a real sink HTTP server, and a simulated clock
// that fires `*/1 * * * *` once per simulated minute.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../store/store.ts';
import { EventingManager } from '../manager.ts';
import { RESOURCE, type PingSource } from '../types.ts';
import { pingSourceController } from './pingsource.ts';
import { eventually } from '../../../test/harness.ts';
import { SimulatedClock, eventingContext, sink } from '../../../test/eventing-context.ts';
import type { EventRecord } from '../cloudevents.ts';

/** A store and an EventingManager running the PingSource controller on a simulated clock at `start`, and a sink. */
async function pingWorld(t: TestContext, start: string): Promise<{ clock: SimulatedClock; store: Store; url: string; events: EventRecord[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-ping-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clock = new SimulatedClock(start);
  const store = new Store(path.join(dir, 'knit.db'), () => clock.now());
  t.after(() => store.close());
  const { url, events } = await sink(t);
  const manager = new EventingManager(eventingContext(store, clock, dir), [pingSourceController(clock)]);
  manager.start();
  t.after(() => manager.stop());
  return { clock, store, url, events };
}

function createPing(store: Store, name: string, spec: PingSource['spec']): void {
  store.create<PingSource>(RESOURCE.pingsources, { apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', metadata: { name, namespace: 'default' }, spec });
}

test('PingSource: */1 * * * * fires once per simulated minute with its data, type, source and overrides', async (t) => {
  const { clock, store, url, events } = await pingWorld(t, '2026-03-01T10:00:30Z');

  createPing(store, 'heartbeat', { schedule: '*/1 * * * *', contentType: 'application/json', data: '{"message":"hello"}', sink: { uri: url }, ceOverrides: { extensions: { team: 'eventing' } } });
  const ready = await eventually('the PingSource is Ready', () => {
    const p = store.get<PingSource>(RESOURCE.pingsources, 'default', 'heartbeat');
    return p?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && clock.pending === 1 ? p : undefined;
  });
  assert.equal(ready.status?.sinkUri, url);
  assert.deepEqual(ready.status?.ceAttributes, [{ type: 'dev.knative.sources.ping', source: '/apis/v1/namespaces/default/pingsources/heartbeat' }]);
  assert.deepEqual(
    ready.status?.conditions?.map((c) => [c.type, c.status, c.reason ?? '']),
    [['Deployed', 'True', ''], ['OIDCIdentityCreated', 'True', 'authentication-oidc feature disabled'], ['Ready', 'True', ''], ['SinkProvided', 'True', '']],
  );
  assert.equal(events.length, 0, 'nothing is sent before the first activation');

  clock.advance(60_000); // 10:01:30
  await eventually('the first ping', () => events.length === 1);
  const first = events[0];
  assert.equal(first.attributes.type, 'dev.knative.sources.ping');
  assert.equal(first.attributes.source, '/apis/v1/namespaces/default/pingsources/heartbeat');
  assert.equal(first.attributes.time, '2026-03-01T10:01:00Z');
  assert.equal(first.attributes.datacontenttype, 'application/json');
  assert.equal(first.attributes.team, 'eventing');
  assert.equal(Buffer.from(first.data ?? '', 'base64').toString(), '{"message":"hello"}');

  clock.advance(5 * 60_000); // 10:06:30: five more activations, one per minute
  await eventually('five more pings', () => events.length === 6);
  assert.deepEqual(events.map((e) => e.attributes.time), ['01', '02', '03', '04', '05', '06'].map((m) => `2026-03-01T10:${m}:00Z`));
  assert.equal(new Set(events.map((e) => e.attributes.id)).size, 6, 'each event has its own id');
  clock.advance(20_000); // 10:06:50: no activation
  assert.equal(clock.pending, 1);

  // Deleting the source disarms it.
  store.delete(RESOURCE.pingsources, 'default', 'heartbeat');
  await eventually('the schedule is disarmed', () => clock.pending === 0);
  clock.advance(10 * 60_000);
  assert.equal(events.length, 6);
});

test('PingSource: dataBase64 is sent as its bytes; a missing sink is SinkProvided False NotFound with a SinkNotFound event', async (t) => {
  const { clock, store, url, events } = await pingWorld(t, '2026-03-01T10:00:00Z');

  createPing(store, 'bytes', { schedule: '@hourly', contentType: 'application/octet-stream', dataBase64: Buffer.from([0, 1, 2, 255]).toString('base64'), sink: { uri: url } });
  createPing(store, 'nowhere', { schedule: '* * * * *', sink: { ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'missing' } } });
  const failed = await eventually('the sinkless PingSource is not Ready', () => {
    const p = store.get<PingSource>(RESOURCE.pingsources, 'default', 'nowhere');
    return p?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? p : undefined;
  });
  assert.deepEqual(failed.status?.conditions?.find((c) => c.type === 'SinkProvided'), { type: 'SinkProvided', status: 'False', reason: 'NotFound', lastTransitionTime: failed.status?.conditions?.find((c) => c.type === 'SinkProvided')?.lastTransitionTime });
  const ev = await eventually('a SinkNotFound event', () => store.list('core.events').find((e) => (e as unknown as { reason?: string }).reason === 'SinkNotFound'));
  assert.equal((ev as unknown as { message: string }).message, 'Sink not found: {"ref":{"kind":"Broker","namespace":"default","name":"missing","apiVersion":"eventing.knative.dev/v1"}}');

  await eventually('the hourly schedule is armed', () => clock.pending === 1);
  clock.advance(3_600_000);
  await eventually('the hourly ping', () => events.length === 1);
  assert.deepEqual([...Buffer.from(events[0].data ?? '', 'base64')], [0, 1, 2, 255]);
  assert.equal(events[0].attributes.datacontenttype, 'application/octet-stream');
});

test('PingSource: a changed schedule or timezone re-arms at the new activation', async (t) => {
  const { clock, store, url, events } = await pingWorld(t, '2026-03-01T10:00:30Z');
  createPing(store, 'moving', { schedule: '* * * * *', sink: { uri: url } });
  await eventually('armed every minute', () => clock.pending === 1);
  const created = store.get<PingSource>(RESOURCE.pingsources, 'default', 'moving')!;
  // 11:00 in Paris is 10:00 UTC in March: the next activation is tomorrow's 10:00 UTC.
  store.update<PingSource>(RESOURCE.pingsources, { ...created, spec: { ...created.spec, schedule: '0 11 * * *', timezone: 'Europe/Paris' } });
  await eventually('re-armed', () => store.get<PingSource>(RESOURCE.pingsources, 'default', 'moving')?.status?.observedGeneration === 2 && clock.pending === 1);
  clock.advance(60 * 60_000);
  assert.equal(events.length, 0, 'the old every-minute schedule is gone');
  clock.advance(23 * 60 * 60_000);
  await eventually('the daily ping', () => events.length === 1);
  assert.equal(events[0].attributes.time, '2026-03-02T10:00:00Z');
});
