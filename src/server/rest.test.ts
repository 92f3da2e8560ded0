// managedFields for knit's own controllers' writes: every kind's store key finds its schema, Events included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerFieldRecorder } from './rest.ts';
import type { StoredObject } from '../store/store.ts';

const record = controllerFieldRecorder('controller', () => new Date('2026-01-01T00:00:00Z'));

function managers(o: StoredObject): string[] {
  return ((o.metadata as { managedFields?: { manager: string; operation: string }[] }).managedFields ?? []).map((m) => `${m.manager}/${m.operation}`);
}

test('a controller write of a Knative kind, an Event and a projected Pod is recorded under "controller"', () => {
  const svc = { apiVersion: 'serving.knative.dev/v1', kind: 'Configuration', metadata: { name: 'c', namespace: 'default' }, spec: { template: { spec: { containers: [{ image: 'x' }] } } } };
  assert.deepEqual(managers(record('configurations', undefined, svc, undefined)), ['controller/Update']);
  const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e.1', namespace: 'default' }, reason: 'Created', message: 'm', involvedObject: { kind: 'Service', name: 'c' } } as unknown as StoredObject;
  assert.deepEqual(managers(record('core.events', undefined, ev, undefined)), ['controller/Update']);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'user-container', image: 'x' }] } };
  assert.deepEqual(managers(record('core.pods', undefined, pod, undefined)), ['controller/Update']);
});

test('a status write is recorded on the status subresource, and unknown store keys pass through', () => {
  const old = record('routes', undefined, { apiVersion: 'serving.knative.dev/v1', kind: 'Route', metadata: { name: 'r', namespace: 'default' }, spec: {} }, undefined);
  const next = record('routes', old, { ...old, status: { url: 'http://r.default.example.com' } } as StoredObject, 'status');
  const entries = (next.metadata as { managedFields: { manager: string; subresource?: string }[] }).managedFields;
  assert.ok(entries.some((m) => m.subresource === 'status'));
  const other = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'x' } };
  assert.equal(record('nothing.here', undefined, other, undefined), other);
});
