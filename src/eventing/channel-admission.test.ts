// Admission of the messaging and flows kinds as a table: each row an object (create, or update over `old`) and
// the defaulted object's interesting part or the webhook's field-error text (Knative's SetDefaults/Validate).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENTING_ADMITTERS } from './admission.ts';
import type { WriteContext } from '../server/kinds.ts';
import './channel.ts';
import './subscription.ts';
import './flows/sequence.ts';
import './flows/parallel.ts';

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
const chRef = { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', name: 'c' };

const errors: { name: string; kind: string; obj: Obj; old?: Obj; want: string | undefined }[] = [
  { name: 'channel defaults are valid', kind: 'messaging.knative.dev/Channel', obj: { metadata: meta, spec: {} }, want: undefined },
  { name: 'channel with subscribers', kind: 'messaging.knative.dev/Channel', obj: { metadata: meta, spec: { subscribers: [{ subscriberUri: 'http://a/' }] } }, want: 'must not set the field(s): spec.subscribable.subscribers' },
  { name: 'channel template without kind', kind: 'messaging.knative.dev/Channel', obj: { metadata: meta, spec: { channelTemplate: { apiVersion: 'messaging.knative.dev/v1' } } }, want: 'missing field(s): spec.channelTemplate.kind' },
  { name: 'channel delivery', kind: 'messaging.knative.dev/Channel', obj: { metadata: meta, spec: { delivery: { retry: -2, backoffPolicy: 'cubic', backoffDelay: 'soon' } } }, want: 'invalid value: -2: spec.delivery.retry\ninvalid value: cubic: spec.delivery.backoffPolicy\ninvalid value: soon: spec.delivery.backoffDelay' },
  { name: 'channel delivery is immutable', kind: 'messaging.knative.dev/Channel', obj: { metadata: meta, spec: { channelTemplate: IMC, delivery: { retry: 3 } } }, old: { metadata: meta, spec: { channelTemplate: IMC } }, want: 'Immutable fields changed (-old +new): spec\n-: {"channelTemplate":{"apiVersion":"messaging.knative.dev/v1","kind":"InMemoryChannel"}}\n+: {"channelTemplate":{"apiVersion":"messaging.knative.dev/v1","kind":"InMemoryChannel"},"delivery":{"retry":3}}' },
  { name: 'imc subscriber without URIs', kind: 'messaging.knative.dev/InMemoryChannel', obj: { metadata: meta, spec: { subscribers: [{ uid: 'u' }] } }, want: 'missing field(s): spec.subscribable.subscriber[0].replyURI, spec.subscribable.subscriber[0].subscriberURI\nexpected at least one of, got none' },
  { name: 'subscription without channel', kind: 'messaging.knative.dev/Subscription', obj: { metadata: meta, spec: { subscriber: { uri: 'http://a/' } } }, want: 'missing field(s): spec.channel\nthe Subscription must reference a channel' },
  { name: 'subscription without subscriber', kind: 'messaging.knative.dev/Subscription', obj: { metadata: meta, spec: { channel: chRef } }, want: 'missing field(s): spec.subscriber\nthe Subscription must reference a subscriber' },
  { name: 'subscription channel namespace', kind: 'messaging.knative.dev/Subscription', obj: { metadata: meta, spec: { channel: { ...chRef, namespace: 'default' }, subscriber: { uri: 'http://a/' } } }, want: 'must not set the field(s): spec.channel.namespace\nonly name, apiVersion and kind are supported fields when feature.CrossNamespaceEventLinks is disabled' },
  { name: 'subscription relative uri', kind: 'messaging.knative.dev/Subscription', obj: { metadata: meta, spec: { channel: chRef, subscriber: { uri: '/path' } } }, want: 'invalid value: Relative URI is not allowed when Ref and [apiVersion, kind, name] is absent: spec.subscriber.uri' },
  { name: 'subscription reply ref without kind', kind: 'messaging.knative.dev/Subscription', obj: { metadata: meta, spec: { channel: chRef, subscriber: { uri: 'http://a/' }, reply: { ref: { apiVersion: 'v1', name: 'r' } } } }, want: 'missing field(s): spec.reply.ref.kind' },
  { name: 'subscription channel is immutable', kind: 'messaging.knative.dev/Subscription', obj: { metadata: meta, spec: { channel: { ...chRef, name: 'd' }, subscriber: { uri: 'http://a/' } } }, old: { metadata: meta, spec: { channel: chRef, subscriber: { uri: 'http://a/' } } }, want: 'Immutable fields changed (-old +new): spec\n{v1.SubscriptionSpec}.Channel:\n\t-: {"apiVersion":"messaging.knative.dev/v1","kind":"Channel","name":"c"}\n\t+: {"apiVersion":"messaging.knative.dev/v1","kind":"Channel","name":"d"}\n' },
  { name: 'subscription delivery format json', kind: 'messaging.knative.dev/Subscription', obj: { metadata: meta, spec: { channel: chRef, subscriber: { uri: 'http://a/' }, delivery: { format: 'json' } } }, want: 'invalid value: json: spec.delivery.format\nknit delivers events in binary mode only' },
  { name: 'sequence without steps', kind: 'flows.knative.dev/Sequence', obj: { metadata: meta, spec: {} }, want: 'missing field(s): spec.steps' },
  { name: 'sequence step without destination', kind: 'flows.knative.dev/Sequence', obj: { metadata: meta, spec: { steps: [{ uri: 'http://a/' }, {}] } }, want: 'invalid value: {}: spec.steps[1]\nexpected at least one, got none: ref, uri' },
  { name: 'parallel without branches', kind: 'flows.knative.dev/Parallel', obj: { metadata: meta, spec: {} }, want: 'missing field(s): spec.branches' },
  { name: 'parallel bad filter', kind: 'flows.knative.dev/Parallel', obj: { metadata: meta, spec: { branches: [{ filter: { uri: 'rel' }, subscriber: { uri: 'http://a/' } }] } }, want: 'invalid value: {"filter":{"uri":"rel"},"subscriber":{"uri":"http://a/"}}: spec.branches.filter[0]\ninvalid value: Relative URI is not allowed when Ref and [apiVersion, kind, name] is absent: uri' },
  { name: 'kafka template refused', kind: 'flows.knative.dev/Parallel', obj: { metadata: meta, spec: { channelTemplate: { apiVersion: 'messaging.knative.dev/v1beta1', kind: 'KafkaChannel' }, branches: [{ subscriber: { uri: 'http://a/' } }] } }, want: 'invalid value: messaging.knative.dev/v1beta1 KafkaChannel: spec.channelTemplate\nknit backs channels with messaging.knative.dev/v1 InMemoryChannel only' },
];

for (const row of errors) {
  test(`admission: ${row.name}`, () => {
    assert.equal(admit(row.kind, row.obj, row.old).error, row.want);
  });
}

test('defaults: channel template, subscribable annotation, ref namespaces', () => {
  const ch = admit('messaging.knative.dev/Channel', { metadata: { ...meta }, spec: {} }).obj;
  assert.deepEqual((ch.spec as Obj).channelTemplate, IMC);
  assert.deepEqual((ch.metadata as Obj).annotations, { 'messaging.knative.dev/subscribable': 'v1' });
  const sub = admit('messaging.knative.dev/Subscription', { metadata: meta, spec: { channel: chRef, subscriber: { ref: { apiVersion: 'v1', kind: 'Service', name: 's' } } } }).obj;
  assert.equal(((sub.spec as Obj).subscriber as { ref: { namespace: string } }).ref.namespace, 'default');
  const seq = admit('flows.knative.dev/Sequence', { metadata: meta, spec: { steps: [{ ref: { apiVersion: 'v1', kind: 'Service', name: 's' } }] } }).obj;
  assert.deepEqual((seq.spec as Obj).channelTemplate, IMC);
  assert.equal(((seq.spec as { steps: { ref: { namespace: string } }[] }).steps[0]).ref.namespace, 'default');
});
