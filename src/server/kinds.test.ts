// Per-kind write rules: Secrets, ConfigMaps and Namespaces as the core strategies treat them, the two Event
// versions, and the access reviews.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registry } from '../kube/registry.ts';
import { StatusError } from '../api/status-error.ts';
import { Admission } from './admission.ts';
import { accessReview, admitObject, fromEventsV1, toEventsV1 } from './kinds.ts';

const ctx = { op: 'create' as const, old: undefined, user: 'u', admission: new Admission() };
const kind = (group: string, resource: string) => registry.byResource(group, 'v1', resource)!;

function refusal(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  assert.fail('expected a refusal');
}

test('a Secret: stringData becomes base64 data, type defaults to Opaque', () => {
  const { object } = admitObject(kind('', 'secrets'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'Yg==' }, stringData: { c: 'd' } }, ctx);
  assert.deepEqual((object as unknown as Record<string, unknown>).data, { a: 'Yg==', c: 'ZA==' });
  assert.equal((object as unknown as Record<string, unknown>).type, 'Opaque');
  assert.equal((object as unknown as Record<string, unknown>).stringData, undefined);
});

test('a Secret with data that is not base64 is a 400; a bad key or a TLS secret without its keys a 422', () => {
  const bad = refusal(() => admitObject(kind('', 'secrets'), { metadata: { name: 's' }, data: { a: 'not base64!' } }, ctx));
  assert.equal(bad.code, 400);
  assert.match(bad.message, /illegal base64 data at input byte 3/);
  const key = refusal(() => admitObject(kind('', 'secrets'), { metadata: { name: 's' }, data: { 'a b': 'Yg==' } }, ctx));
  assert.equal(key.code, 422);
  assert.match(key.message, /^Secret "s" is invalid: data\[a b\]: Invalid value: "a b": a valid config key must consist of alphanumeric characters/);
  const tls = refusal(() => admitObject(kind('', 'secrets'), { metadata: { name: 't' }, type: 'kubernetes.io/tls', data: {} }, ctx));
  assert.match(tls.message, /data\[tls\.crt\]: Required value/);
});

test('a ConfigMap: string data and base64 binaryData, no key in both', () => {
  const dup = refusal(() => admitObject(kind('', 'configmaps'), { metadata: { name: 'c' }, data: { k: 'v' }, binaryData: { k: 'Yg==' } }, ctx));
  assert.match(dup.message, /binaryData\[k\]: Invalid value: "k": duplicate of key present in data/);
  const notString = refusal(() => admitObject(kind('', 'configmaps'), { metadata: { name: 'c' }, data: { k: 1 } }, ctx));
  assert.equal(notString.code, 400);
});

test('a Namespace gets the kubernetes finalizer, phase Active and its name label', () => {
  const { object } = admitObject(kind('', 'namespaces'), { metadata: { name: 'team' } }, ctx);
  const o = object as unknown as { spec: unknown; status: unknown; metadata: { labels: Record<string, string> } };
  assert.deepEqual(o.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(o.status, { phase: 'Active' });
  assert.equal(o.metadata.labels['kubernetes.io/metadata.name'], 'team');
});

test('an Event reads the same in both versions and converts back unchanged', () => {
  const core = {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'x.1', namespace: 'default' }, involvedObject: { kind: 'Service', name: 'x' },
    reason: 'Created', message: 'Created Route "x"', type: 'Normal', source: { component: 'service-controller' }, count: 2,
    firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:01:00Z', reportingComponent: 'service-controller',
  };
  const v1 = toEventsV1(core);
  assert.equal(v1.apiVersion, 'events.k8s.io/v1');
  assert.equal(v1.note, 'Created Route "x"');
  assert.deepEqual(v1.regarding, core.involvedObject);
  assert.equal(v1.deprecatedCount, 2);
  assert.equal(v1.reportingController, 'service-controller');
  assert.equal(v1.eventTime, null);
  const back = fromEventsV1(v1);
  assert.deepEqual({ ...back, eventTime: undefined }, { ...core, eventTime: undefined });
});

test('access reviews: the token holder may do everything; a review naming nothing is a 422', () => {
  const ssar = kind('authorization.k8s.io', 'selfsubjectaccessreviews');
  assert.equal((accessReview(ssar, { spec: { resourceAttributes: { verb: 'create', resource: 'services' } } }).status as { allowed: boolean }).allowed, true);
  assert.equal(refusal(() => accessReview(ssar, { spec: {} })).code, 422);
  const rules = accessReview(kind('authorization.k8s.io', 'selfsubjectrulesreviews'), { spec: { namespace: 'default' } });
  assert.deepEqual((rules.status as { resourceRules: unknown[] }).resourceRules, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
});
