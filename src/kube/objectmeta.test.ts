// Table tests for ObjectMeta validation: Kubernetes 1.36 field paths and messages, and the 422 Status they make.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateMessage, errorBody, fieldErrorString } from './errors.ts';
import { OBJECT_META_RULES, objectMetaRefusal, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';

const KEY_MSG = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const base = { name: 'hello', namespace: 'default' };
const cr = OBJECT_META_RULES.namespacedCustomResource;

const rows: { name: string; meta: Record<string, unknown>; rules?: typeof cr | typeof OBJECT_META_RULES.namespace; want: string[] }[] = [
  { name: 'a valid Service', meta: { ...base, labels: { app: 'web', 'example.com/tier': '' }, annotations: { 'Example.com/Note': 'x' } }, want: [] },
  { name: 'a label key with a space', meta: { ...base, labels: { 'a b!': 'x' } }, want: [`metadata.labels: Invalid value: "a b!": ${KEY_MSG}`] },
  { name: 'a 64-byte label value', meta: { ...base, labels: { a: 'v'.repeat(64) } }, want: [`metadata.labels: Invalid value: "${'v'.repeat(64)}": must be no more than 63 bytes`] },
  { name: 'a label value with a space', meta: { ...base, labels: { a: 'b c' } }, want: [`metadata.labels: Invalid value: "b c": ${VALUE_MSG}`] },
  { name: 'the label key __proto__', meta: { ...base, labels: JSON.parse('{"__proto__":"x"}') }, want: [`metadata.labels: Invalid value: "__proto__": ${KEY_MSG}`] },
  {
    name: 'an empty prefix and a long name part', meta: { ...base, labels: { [`/${'n'.repeat(64)}`]: 'x' } },
    want: [`metadata.labels: Invalid value: "/${'n'.repeat(64)}": prefix part must be non-empty`, `metadata.labels: Invalid value: "/${'n'.repeat(64)}": name part must be no more than 63 bytes`],
  },
  { name: 'annotations over 256 KiB', meta: { ...base, annotations: { big: 'x'.repeat(300 * 1024) } }, want: ['metadata.annotations: Too long: may not be more than 262144 bytes'] },
  { name: 'annotations at exactly 256 KiB', meta: { ...base, annotations: { k: 'x'.repeat(256 * 1024 - 1) } }, want: [] },
  { name: 'a bad annotation key', meta: { ...base, annotations: { 'a b': 'x' } }, want: [`metadata.annotations: Invalid value: "a b": ${KEY_MSG}`] },
  { name: 'a bad namespace', meta: { ...base, namespace: 'Bad_NS' }, want: [`metadata.namespace: Invalid value: "Bad_NS": ${LABEL_MSG}`] },
  { name: 'a namespace with dots', meta: { ...base, namespace: 'a.b' }, want: ['metadata.namespace: Invalid value: "a.b": must not contain dots'] },
  { name: 'no namespace', meta: { name: 'x' }, want: ['metadata.namespace: Required value'] },
  { name: 'no name', meta: { namespace: 'default' }, want: ['metadata.name: Required value: name or generateName is required'] },
  { name: 'an upper-case name', meta: { ...base, name: 'Hello' }, want: [`metadata.name: Invalid value: "Hello": ${SUBDOMAIN_MSG}`] },
  { name: 'a 254-byte name', meta: { ...base, name: 'a'.repeat(254) }, want: [`metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`] },
  { name: 'a generateName ending in a dash', meta: { ...base, generateName: 'hello-' }, want: [] },
  // maskTrailingDash replaces the last two bytes: "a_-" is checked as "aa".
  { name: 'generateName masking drops the byte before the dash', meta: { ...base, generateName: 'a_-' }, want: [] },
  { name: 'a bad generateName', meta: { ...base, generateName: 'Hello-' }, want: [`metadata.generateName: Invalid value: "Hello-": ${SUBDOMAIN_MSG}`] },
  { name: 'a negative generation', meta: { ...base, generation: -1 }, want: ['metadata.generation: Invalid value: -1: must be greater than or equal to 0'] },
  {
    name: 'an empty owner reference', meta: { ...base, ownerReferences: [{}] },
    want: [
      'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
      'metadata.ownerReferences.kind: Invalid value: "": must not be empty',
      'metadata.ownerReferences.name: Invalid value: "": must not be empty',
      'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
    ],
  },
  {
    name: 'an Event as owner', meta: { ...base, ownerReferences: [{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u' }] },
    want: ['metadata.ownerReferences: Invalid value: {"apiVersion":"v1","kind":"Event","name":"e","uid":"u"}: /v1, Kind=Event is disallowed from being an owner'],
  },
  {
    name: 'two controllers',
    meta: { ...base, ownerReferences: [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'a', uid: '1', controller: true }, { apiVersion: 'serving.knative.dev/v1', kind: 'Route', name: 'b', uid: '2', controller: true }] },
    want: ['metadata.ownerReferences: Invalid value: [{"apiVersion":"serving.knative.dev/v1","kind":"Service","name":"a","uid":"1","controller":true},{"apiVersion":"serving.knative.dev/v1","kind":"Route","name":"b","uid":"2","controller":true}]: Only one reference can have Controller set to true. Found "true" in references for Service/a and Route/b'],
  },
  {
    name: 'orphan and foreground finalizers', meta: { ...base, finalizers: ['orphan', 'foregroundDeletion', 'bad key'] },
    want: [`metadata.finalizers: Invalid value: "bad key": ${KEY_MSG}`, 'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion","bad key"]: finalizer orphan and foregroundDeletion cannot be both set'],
  },
  { name: 'a Namespace named with dots', meta: { name: 'a.b' }, rules: OBJECT_META_RULES.namespace, want: ['metadata.name: Invalid value: "a.b": must not contain dots'] },
  { name: 'a Namespace with a namespace', meta: { name: 'a', namespace: 'b' }, rules: OBJECT_META_RULES.namespace, want: ['metadata.namespace: Forbidden: not allowed on this type'] },
];

for (const row of rows) {
  test(`ObjectMeta: ${row.name}`, () => {
    assert.deepEqual(validateObjectMeta(row.meta, row.rules ?? cr).map(fieldErrorString), row.want);
  });
}

test('the refusal is the apiserver\'s 422 Invalid Status for the kind', () => {
  const meta = { name: 'x', namespace: 'default', labels: { 'a b!': 'x' }, annotations: { big: 'x'.repeat(300 * 1024) } };
  const errs = validateObjectMeta(meta, cr);
  const err = objectMetaRefusal({ group: 'serving.knative.dev', kind: 'Service' }, meta, errs);
  assert.ok(err);
  assert.equal(err.code, 422);
  assert.equal(err.reason, 'Invalid');
  assert.equal(err.message, `Service.serving.knative.dev "x" is invalid: [metadata.labels: Invalid value: "a b!": ${KEY_MSG}, metadata.annotations: Too long: may not be more than 262144 bytes]`);
  assert.deepEqual(err.details, {
    name: 'x', group: 'serving.knative.dev', kind: 'Service',
    causes: [
      { reason: 'FieldValueInvalid', message: `Invalid value: "a b!": ${KEY_MSG}`, field: 'metadata.labels' },
      { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 262144 bytes', field: 'metadata.annotations' },
    ],
  });
  assert.equal(objectMetaRefusal({ group: 'serving.knative.dev', kind: 'Service' }, base, []), undefined);
  const ns = objectMetaRefusal({ group: '', kind: 'Namespace' }, { name: 'Bad_NS' }, validateObjectMeta({ name: 'Bad_NS' }, OBJECT_META_RULES.namespace));
  assert.equal(ns?.message, `Namespace "Bad_NS" is invalid: metadata.name: Invalid value: "Bad_NS": ${LABEL_MSG}`);
  assert.equal(ns?.details?.group, undefined);
});

test('identical messages are reported once, as ErrorList.ToAggregate does', () => {
  const e = { type: 'FieldValueRequired' as const, field: 'metadata.name', detail: 'x' };
  assert.equal(aggregateMessage([e, e]), 'metadata.name: Required value: x');
  assert.equal(errorBody({ type: 'FieldValueNotSupported', field: 'f', badValue: ['a'], detail: '' }), 'Unsupported value: ["a"]');
});

test('updates: identity fields are immutable, resourceVersion required, generation only grows', () => {
  const old = { name: 'a', namespace: 'default', uid: 'u1', resourceVersion: '5', generation: 3, creationTimestamp: '2026-01-01T00:00:00Z' };
  assert.deepEqual(validateObjectMetaUpdate({ ...old }, old), []);
  assert.deepEqual(validateObjectMetaUpdate({ ...old, name: 'b', uid: 'u2', resourceVersion: '', generation: 2, creationTimestamp: undefined }, old).map(fieldErrorString), [
    'metadata.resourceVersion: Invalid value: "": must be specified for an update',
    'metadata.generation: Invalid value: 2: must not be decremented',
    'metadata.name: Invalid value: "b": field is immutable',
    'metadata.uid: Invalid value: "u2": field is immutable',
    'metadata.creationTimestamp: Invalid value: null: field is immutable',
  ]);
  const deleting = { ...old, deletionTimestamp: '2026-01-02T00:00:00Z', finalizers: ['a.io/x'] };
  assert.deepEqual(validateObjectMetaUpdate({ ...deleting, finalizers: ['a.io/x', 'b.io/y'] }, deleting).map(fieldErrorString), [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
  ]);
  assert.deepEqual(validateObjectMetaUpdate({ ...old, labels: { 'a b': 'c' } }, old).map(fieldErrorString), [`metadata.labels: Invalid value: "a b": ${KEY_MSG}`]);
});
