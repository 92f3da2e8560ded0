// knit's admission layer for the messaging and flows kinds, and the InMemoryChannel webhook, as a table: each
// row an object (create, or update over `old`) and the webhook's field-error text, or undefined when admitted.
// Knative's own defaults and field errors for Channel, Subscription, Sequence and Parallel are the Eventing
// webhook table's and tested with it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENTING_ADMITTERS } from './admission.ts';
import type { WriteContext } from '../server/kinds.ts';
import './channel-admission.ts';

type Obj = Record<string, unknown>;
const ctx = (old?: Obj): WriteContext => ({ op: old ? 'update' : 'create', old: old as never, user: 'knit-admin', admission: undefined as never });

function admit(kind: string, obj: Obj, old?: Obj): { obj: Obj; error: string | undefined } {
  const a = EVENTING_ADMITTERS[kind];
  assert.ok(a, `an admitter for ${kind}`);
  const o = structuredClone(obj);
  a.defaults(o, ctx(old));
  return { obj: o, error: a.validate(o, ctx(old)) };
}

const meta = { name: 'x', namespace: 'default' };
const IMC = { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel' };
const KAFKA = { apiVersion: 'messaging.knative.dev/v1beta1', kind: 'KafkaChannel' };
const chRef = { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', name: 'c' };
const NOT_IMC = 'invalid value: messaging.knative.dev/v1beta1 KafkaChannel: spec.channelTemplate\nknit backs channels with messaging.knative.dev/v1 InMemoryChannel only';
const BINARY = (path: string) => `invalid value: json: ${path}\nknit delivers events in binary mode only`;

const rows: { name: string; kind: string; obj: Obj; old?: Obj; want: string | undefined }[] = [
  { name: 'a channel with the default template', kind: 'messaging.knative.dev/Channel', obj: { metadata: meta, spec: {} }, want: undefined },
  { name: 'a KafkaChannel template', kind: 'messaging.knative.dev/Channel', obj: { metadata: meta, spec: { channelTemplate: KAFKA } }, want: NOT_IMC },
  { name: 'a channel asking for structured delivery', kind: 'messaging.knative.dev/Channel', obj: { metadata: meta, spec: { delivery: { format: 'json' } } }, want: BINARY('spec.delivery.format') },
  { name: 'a channel asking for binary delivery', kind: 'messaging.knative.dev/Channel', obj: { metadata: meta, spec: { delivery: { format: 'binary' } } }, want: undefined },
  { name: 'a subscription asking for structured delivery', kind: 'messaging.knative.dev/Subscription', obj: { metadata: meta, spec: { channel: chRef, subscriber: { uri: 'http://a/' }, delivery: { format: 'json' } } }, want: BINARY('spec.delivery.format') },
  { name: 'a sequence step asking for structured delivery', kind: 'flows.knative.dev/Sequence', obj: { metadata: meta, spec: { steps: [{ uri: 'http://a/' }, { uri: 'http://b/', delivery: { format: 'json' } }] } }, want: BINARY('spec.steps[1].delivery.format') },
  { name: 'a sequence on KafkaChannels', kind: 'flows.knative.dev/Sequence', obj: { metadata: meta, spec: { channelTemplate: KAFKA, steps: [{ uri: 'http://a/' }] } }, want: NOT_IMC },
  { name: 'a parallel on KafkaChannels', kind: 'flows.knative.dev/Parallel', obj: { metadata: meta, spec: { channelTemplate: KAFKA, branches: [{ subscriber: { uri: 'http://a/' } }] } }, want: NOT_IMC },
  { name: 'a parallel branch asking for structured delivery', kind: 'flows.knative.dev/Parallel', obj: { metadata: meta, spec: { branches: [{ subscriber: { uri: 'http://a/' }, delivery: { format: 'json' } }] } }, want: BINARY('spec.branches[0].delivery.format') },
  { name: 'an imc subscriber without URIs', kind: 'messaging.knative.dev/InMemoryChannel', obj: { metadata: meta, spec: { subscribers: [{ uid: 'u' }] } }, want: 'missing field(s): spec.subscribable.subscriber[0].replyURI, spec.subscribable.subscriber[0].subscriberURI\nexpected at least one of, got none' },
  { name: 'an imc created with subscribers', kind: 'messaging.knative.dev/InMemoryChannel', obj: { metadata: meta, spec: { subscribers: [{ uid: 'u', subscriberUri: 'http://a/' }] } }, want: undefined },
  {
    name: 'an imc whose subscribers a user changes',
    kind: 'messaging.knative.dev/InMemoryChannel',
    obj: { metadata: meta, spec: { subscribers: [{ uid: 'u', subscriberUri: 'http://b/' }] } },
    old: { metadata: meta, spec: { subscribers: [{ uid: 'u', subscriberUri: 'http://a/' }] } },
    want: 'Channel.Spec.Subscribers changed by user knit-admin which was not the system:serviceaccount:knative-eventing:eventing-controller service account: spec.subscribers\n-: [{"uid":"u","subscriberUri":"http://a/"}]\n+: [{"uid":"u","subscriberUri":"http://b/"}]',
  },
  { name: 'an imc update that keeps the subscribers', kind: 'messaging.knative.dev/InMemoryChannel', obj: { metadata: { ...meta, labels: { a: 'b' } }, spec: { subscribers: [{ uid: 'u', subscriberUri: 'http://a/' }] } }, old: { metadata: meta, spec: { subscribers: [{ uid: 'u', subscriberUri: 'http://a/' }] } }, want: undefined },
];

for (const row of rows) {
  test(`admission: ${row.name}`, () => {
    assert.equal(admit(row.kind, row.obj, row.old).error, row.want);
  });
}

test('defaults: the channel template and the subscribable annotation', () => {
  const ch = admit('messaging.knative.dev/Channel', { metadata: { ...meta }, spec: {} }).obj;
  assert.deepEqual((ch.spec as Obj).channelTemplate, IMC);
  assert.equal(((ch.metadata as Obj).annotations as Record<string, string>)['messaging.knative.dev/subscribable'], 'v1');
  const imc = admit('messaging.knative.dev/InMemoryChannel', { metadata: { ...meta } }).obj;
  assert.deepEqual((imc.metadata as Obj).annotations, { 'messaging.knative.dev/subscribable': 'v1' });
  assert.deepEqual(imc.spec, {});
  const seq = admit('flows.knative.dev/Sequence', { metadata: meta, spec: { steps: [{ uri: 'http://a/' }] } }).obj;
  assert.deepEqual((seq.spec as Obj).channelTemplate, IMC);
});
