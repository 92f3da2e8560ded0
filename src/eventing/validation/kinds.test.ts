// Eventing webhook table tests: defaults and validation per kind, cases after knative/eventing's
// *_defaults_test.go and *_validation_test.go (rewritten; the expected texts are Knative's).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENTING_KINDS } from './kinds.ts';

type Obj = Record<string, unknown>;

function admit(kind: string, o: Obj, old?: Obj): { obj: Obj; error: string } {
  const k = EVENTING_KINDS[kind];
  const obj = structuredClone(o);
  k.defaults(obj);
  const e = k.validate(obj, { op: old ? 'update' : 'create', old });
  return { obj, error: e ? e.error : '' };
}

/** [name, object, expected error text ('' = valid), old object for an update]. */
type Case = [string, Obj, string, Obj?];

function table(kind: string, cases: Case[]): void {
  for (const [name, o, want, old] of cases) assert.equal(admit(kind, o, old).error, want, `${kind}: ${name}`);
}

const md = (extra: Obj = {}): Obj => ({ name: 'x', namespace: 'ns', ...extra });
const svc = { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'sink' } };

test('Trigger defaults: filter {}, subscriber and dead-letter namespaces, broker label', () => {
  const { obj } = admit('eventing.knative.dev/Trigger', { metadata: md({ labels: { app: 'a' } }), spec: { broker: 'b1', subscriber: structuredClone(svc), delivery: { deadLetterSink: structuredClone(svc) } } });
  const spec = obj.spec as Obj;
  assert.deepEqual(spec.filter, {});
  assert.equal(((spec.subscriber as Obj).ref as Obj).namespace, 'ns');
  assert.equal((((spec.delivery as Obj).deadLetterSink as Obj).ref as Obj).namespace, 'ns');
  assert.deepEqual((obj.metadata as Obj).labels, { app: 'a', 'eventing.knative.dev/broker': 'b1' });
  const kept = admit('eventing.knative.dev/Trigger', { metadata: md(), spec: { broker: 'b', filter: { attributes: { type: 't' } }, subscriber: { ref: { ...svc.ref, namespace: 'other' } } } }).obj.spec as Obj;
  assert.deepEqual(kept.filter, { attributes: { type: 't' } });
  assert.equal(((kept.subscriber as Obj).ref as Obj).namespace, 'other');
});

test('Trigger validation', () => {
  table('eventing.knative.dev/Trigger', [
    ['valid', { metadata: md(), spec: { broker: 'default', subscriber: svc } }, ''],
    ['missing broker', { metadata: md(), spec: { subscriber: svc } }, 'missing field(s): spec.broker'],
    ['broker and brokerRef', { metadata: md(), spec: { broker: 'b', brokerRef: { name: 'b' }, subscriber: svc } }, 'expected exactly one, got both: spec.broker, spec.brokerRef'],
    ['brokerRef namespace', { metadata: md(), spec: { brokerRef: { name: 'b', namespace: 'o' }, subscriber: svc } }, 'must not set the field(s): spec.namespace\nonly name, apiVersion and kind are supported fields when feature.CrossNamespaceEventLinks is disabled'],
    ['missing subscriber', { metadata: md(), spec: { broker: 'b' } }, 'expected at least one, got none: spec.subscriber.ref, spec.subscriber.uri'],
    ['subscriber ref without name', { metadata: md(), spec: { broker: 'b', subscriber: { ref: { apiVersion: 'v1', kind: 'Service' } } } }, 'missing field(s): spec.subscriber.ref.name'],
    ['absolute uri with ref', { metadata: md(), spec: { broker: 'b', subscriber: { ...svc, uri: 'http://a.b' } } }, 'Absolute URI is not allowed when Ref or [apiVersion, kind, name] is present: spec.subscriber.ref, spec.subscriber.uri, spec.subscriber[apiVersion, kind, name]'],
    ['relative uri with ref', { metadata: md(), spec: { broker: 'b', subscriber: { ...svc, uri: '/path' } } }, ''],
    ['bad attribute name', { metadata: md(), spec: { broker: 'b', subscriber: svc, filter: { attributes: { 'Bad-Name': 'x' } } } }, 'invalid key name "Bad-Name": spec.filter.attributes[Bad-Name]\nAttribute name must start with a letter and can only contain lowercase alphanumeric'],
    ['multiple dialects', { metadata: md(), spec: { broker: 'b', subscriber: svc, filters: [{ exact: { type: 'a' }, prefix: { type: 'b' } }] } }, 'multiple dialects found, filters can have only one dialect set: '],
    ['invalid cesql', { metadata: md(), spec: { broker: 'b', subscriber: svc, filters: [{ cesql: 'type = ' }] } }, 'invalid value: type = : spec.filters[0].cesql\nparse error: syntax error: expected an expression at end of input'],
    ['nested invalid cesql', { metadata: md(), spec: { broker: 'b', subscriber: svc, filters: [{ not: { any: [{ cesql: '(' }] } }] } }, 'invalid value: (: spec.filters[0].not.any[0].cesql\nparse error: syntax error: expected an expression at end of input'],
    ['unknown function parses', { metadata: md(), spec: { broker: 'b', subscriber: svc, filters: [{ cesql: 'FOO(type)' }] } }, ''],
    // Knative's ViaIndex(i) on the accumulated errors: the error of filter 0 is reported at [1][0].
    ['errors in two filters', { metadata: md(), spec: { broker: 'b', subscriber: svc, filters: [{ exact: { A: 'x' } }, { suffix: { B: 'y' } }] } }, 'invalid key name "A": spec.filters[1][0].exact[A]\nAttribute name must start with a letter and can only contain lowercase alphanumeric\ninvalid key name "B": spec.filters[1].suffix[B]\nAttribute name must start with a letter and can only contain lowercase alphanumeric'],
    ['bad delivery', { metadata: md(), spec: { broker: 'b', subscriber: svc, delivery: { retry: -1, backoffPolicy: 'fast', backoffDelay: '5s', timeout: 'PT0S', retryAfterMax: 'PT1S' } } }, 'invalid value: -1: spec.delivery.retry\ninvalid value: 5s: spec.delivery.backoffDelay\ninvalid value: PT0S: spec.delivery.timeout\ninvalid value: fast: spec.delivery.backoffPolicy\nmust not set the field(s): spec.delivery.retryAfterMax'],
    ['good delivery', { metadata: md(), spec: { broker: 'b', subscriber: svc, delivery: { retry: 3, backoffPolicy: 'linear', backoffDelay: 'PT0.5S', timeout: 'PT10S', deadLetterSink: { uri: 'http://dls.ns.svc.cluster.local' } } } }, ''],
    ['subscriber CACerts (refused: knit trusts the machine\'s CA store only)', { metadata: md(), spec: { broker: 'b', subscriber: { uri: 'https://a.b', CACerts: 'x' } } }, 'invalid value: CA Cert provided is invalid: spec.subscriber.caCert\nknit does not support CACerts: deliveries over https trust the machine\'s CA store only: spec.subscriber.CACerts'],
    ['dead-letter CACerts with a ref (refused)', { metadata: md(), spec: { broker: 'b', subscriber: svc, delivery: { deadLetterSink: { ...svc, CACerts: 'x' } } } }, 'knit does not support CACerts: deliveries over https trust the machine\'s CA store only: spec.delivery.deadLetterSink.CACerts'],
    ['dead letter sink without target', { metadata: md(), spec: { broker: 'b', subscriber: svc, delivery: { deadLetterSink: {} } } }, 'expected at least one, got none: spec.delivery.deadLetterSink.ref, spec.delivery.deadLetterSink.uri'],
    ['dependency annotation not JSON', { metadata: md({ annotations: { 'knative.dev/dependency': 'invalid dependency annotation' } }), spec: { broker: 'b', subscriber: svc } }, 'The provided annotation was not a corev1.ObjectReference: "invalid dependency annotation": metadata.annotations[knative.dev/dependency]\ninvalid character \'i\' looking for beginning of value'],
    ['dependency annotation incomplete', { metadata: md({ annotations: { 'knative.dev/dependency': '{"kind":"PingSource","namespace":"other"}' } }), spec: { broker: 'b', subscriber: svc } }, 'Namespace must be empty or equal to the trigger namespace "ns": metadata.annotations[knative.dev/dependency].namespace\nmissing field(s): metadata.annotations[knative.dev/dependency].apiVersion, metadata.annotations[knative.dev/dependency].name'],
    ['injection annotation value', { metadata: md({ annotations: { 'eventing.knative.dev/injection': 'wut' } }), spec: { broker: 'default', subscriber: svc } }, 'The provided injection annotation value can only be "enabled" or "disabled", not "wut": metadata.annotations[eventing.knative.dev/injection]'],
    ['injection annotation on another broker', { metadata: md({ annotations: { 'eventing.knative.dev/injection': 'enabled' } }), spec: { broker: 'other', subscriber: svc } }, 'The provided injection annotation is only used for default broker, but non-default broker specified here: "other": metadata.annotations[eventing.knative.dev/injection]'],
    ['broker changed', { metadata: md(), spec: { broker: 'b2', subscriber: svc } }, 'Immutable fields changed (-old +new): broker, spec\n{string}:\n\t-: "b1"\n\t+: "b2"\n', { metadata: md(), spec: { broker: 'b1', subscriber: svc } }],
    ['subscriber changed', { metadata: md(), spec: { broker: 'b1', subscriber: { uri: 'http://new.example' } } }, '', { metadata: md(), spec: { broker: 'b1', subscriber: svc } }],
  ]);
});

test('Broker defaults: class annotation, cluster default config and delivery', () => {
  const { obj } = admit('eventing.knative.dev/Broker', { metadata: md(), spec: {} });
  assert.equal(((obj.metadata as Obj).annotations as Obj)['eventing.knative.dev/broker.class'], 'MTChannelBasedBroker');
  assert.deepEqual(obj.spec, {
    config: { apiVersion: 'v1', kind: 'ConfigMap', name: 'config-br-default-channel', namespace: 'knative-eventing' },
    delivery: { retry: 10, backoffPolicy: 'exponential', backoffDelay: 'PT0.2S' },
  });
  const own = admit('eventing.knative.dev/Broker', { metadata: md({ annotations: { 'eventing.knative.dev/broker.class': 'Kafka' } }), spec: { config: { apiVersion: 'v1', kind: 'ConfigMap', name: 'mine' }, delivery: { retry: 1 } } }).obj;
  assert.equal(((own.metadata as Obj).annotations as Obj)['eventing.knative.dev/broker.class'], 'Kafka');
  assert.deepEqual(own.spec, { config: { apiVersion: 'v1', kind: 'ConfigMap', name: 'mine', namespace: 'ns' }, delivery: { retry: 1 } });
});

test('Broker validation', () => {
  const cls = (c: string): Obj => md({ annotations: { 'eventing.knative.dev/broker.class': c } });
  table('eventing.knative.dev/Broker', [
    ['defaults are valid', { metadata: md(), spec: {} }, ''],
    ['empty class', { metadata: cls(''), spec: {} }, 'missing field(s): eventing.knative.dev/broker.class'],
    ['config without kind', { metadata: md(), spec: { config: { apiVersion: 'v1', name: 'c' } } }, 'missing field(s): spec.config.kind'],
    ['config in another namespace', { metadata: md(), spec: { config: { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', namespace: 'elsewhere' } } }, ''],
    ['bad delivery', { metadata: md(), spec: { delivery: { backoffDelay: 'soon' } } }, 'invalid value: soon: spec.delivery.backoffDelay'],
    ['class changed', { metadata: cls('Other'), spec: {} }, 'Immutable annotations changed (-old +new): annotations\n{string}:\n\t-: "MTChannelBasedBroker"\n\t+: "Other"\n', { metadata: cls('MTChannelBasedBroker'), spec: { config: { apiVersion: 'v1', kind: 'ConfigMap', name: 'config-br-default-channel', namespace: 'knative-eventing' } } }],
    ['config changed', { metadata: md(), spec: { config: { apiVersion: 'v1', kind: 'ConfigMap', name: 'b' } } }, 'Immutable fields changed (-old +new): spec\n{v1.BrokerSpec}.Config.Name:\n\t-: "a"\n\t+: "b"\n', { metadata: cls('MTChannelBasedBroker'), spec: { config: { apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'ns' } } }],
    ['delivery changed', { metadata: md(), spec: { delivery: { retry: 3 } } }, '', { metadata: cls('MTChannelBasedBroker'), spec: { config: { apiVersion: 'v1', kind: 'ConfigMap', name: 'config-br-default-channel', namespace: 'knative-eventing' }, delivery: { retry: 1 } } }],
  ]);
});

test('Channel defaults and validation', () => {
  const { obj } = admit('messaging.knative.dev/Channel', { metadata: md(), spec: {} });
  assert.deepEqual((obj.spec as Obj).channelTemplate, { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel' });
  assert.equal(((obj.metadata as Obj).annotations as Obj)['messaging.knative.dev/subscribable'], 'v1');
  table('messaging.knative.dev/Channel', [
    ['defaults are valid', { metadata: md(), spec: {} }, ''],
    ['template without kind', { metadata: md(), spec: { channelTemplate: { apiVersion: 'messaging.knative.dev/v1' } } }, 'missing field(s): spec.channelTemplate.kind'],
    ['subscribers set', { metadata: md(), spec: { subscribers: [{ subscriberUri: 'http://x' }] } }, 'must not set the field(s): spec.subscribable.subscribers'],
    ['dead letter sink elsewhere', { metadata: md(), spec: { channelTemplate: { apiVersion: 'a/v1', kind: 'K' }, delivery: { deadLetterSink: { ref: { apiVersion: 'v1', kind: 'Service', name: 's', namespace: 'other' } } } } }, 'mismatched namespaces: spec.delivery.deadLetterSink.ref.namespace\nparent namespace: "ns" does not match ref: "other"'],
    ['template changed', { metadata: md(), spec: { channelTemplate: { apiVersion: 'messaging.knative.dev/v1', kind: 'KafkaChannel' } } }, 'Immutable fields changed (-old +new): spec\n{v1.ChannelSpec}.ChannelTemplate.Kind:\n\t-: "InMemoryChannel"\n\t+: "KafkaChannel"\n', { metadata: md(), spec: { channelTemplate: { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel' } } }],
  ]);
});

test('Subscription validation', () => {
  const ch = { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', name: 'c' };
  table('messaging.knative.dev/Subscription', [
    ['valid', { metadata: md(), spec: { channel: ch, subscriber: svc } }, ''],
    ['no channel', { metadata: md(), spec: { subscriber: svc } }, 'missing field(s): spec.channel\nthe Subscription must reference a channel'],
    ['channel without kind', { metadata: md(), spec: { channel: { apiVersion: 'v1', name: 'c' }, subscriber: svc } }, 'missing field(s): spec.channel.kind'],
    ['channel namespace', { metadata: md(), spec: { channel: { ...ch, namespace: 'ns' }, subscriber: svc } }, 'must not set the field(s): spec.channel.namespace\nonly name, apiVersion and kind are supported fields when feature.CrossNamespaceEventLinks is disabled'],
    ['no subscriber', { metadata: md(), spec: { channel: ch } }, 'missing field(s): spec.subscriber\nthe Subscription must reference a subscriber'],
    ['empty subscriber', { metadata: md(), spec: { channel: ch, subscriber: {} } }, 'missing field(s): spec.subscriber\nthe Subscription must reference a subscriber'],
    ['bad reply', { metadata: md(), spec: { channel: ch, subscriber: svc, reply: { uri: 'relative' } } }, 'invalid value: Relative URI is not allowed when Ref and [apiVersion, kind, name] is absent: spec.reply.uri'],
    ['channel changed', { metadata: md(), spec: { channel: { ...ch, name: 'd' }, subscriber: svc } }, 'Immutable fields changed (-old +new): spec\n{v1.SubscriptionSpec}.Channel.Name:\n\t-: "c"\n\t+: "d"\n', { metadata: md(), spec: { channel: ch, subscriber: svc } }],
    ['subscriber changed', { metadata: md(), spec: { channel: ch, subscriber: { uri: 'http://z.example' } } }, '', { metadata: md(), spec: { channel: ch, subscriber: svc } }],
  ]);
});

test('Sequence and Parallel', () => {
  const seq = admit('flows.knative.dev/Sequence', { metadata: md(), spec: { steps: [structuredClone(svc)] } }).obj.spec as Obj;
  assert.deepEqual(seq.channelTemplate, { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel' });
  assert.equal((((seq.steps as Obj[])[0]).ref as Obj).namespace, 'ns');
  table('flows.knative.dev/Sequence', [
    ['valid', { metadata: md(), spec: { steps: [svc, { uri: 'http://b.example' }], reply: svc } }, ''],
    ['no steps', { metadata: md(), spec: {} }, 'missing field(s): spec.steps'],
    ['bad step', { metadata: md(), spec: { steps: [svc, { uri: 'rel' }] } }, 'invalid value: {rel}: spec.steps[1]'],
    ['bad template', { metadata: md(), spec: { steps: [svc], channelTemplate: { kind: 'K' } } }, 'missing field(s): spec.channelTemplate.apiVersion'],
  ]);
  table('flows.knative.dev/Parallel', [
    ['valid', { metadata: md(), spec: { branches: [{ subscriber: svc, filter: { uri: 'http://f.example' } }] } }, ''],
    ['no branches', { metadata: md(), spec: {} }, 'missing field(s): spec.branches'],
    ['branch without subscriber', { metadata: md(), spec: { branches: [{ subscriber: svc }, {}] } }, 'invalid value: {}: spec.branches.subscriber[1]'],
    ['template without kind', { metadata: md(), spec: { branches: [{ subscriber: svc }], channelTemplate: { apiVersion: 'v' } } }, 'missing field(s): spec.channelTemplate.kind'],
  ]);
});

test('PingSource defaults and validation', () => {
  assert.equal((admit('sources.knative.dev/PingSource', { metadata: md(), spec: { sink: svc } }).obj.spec as Obj).schedule, '* * * * *');
  const sink = { uri: 'http://sink.example' };
  table('sources.knative.dev/PingSource', [
    ['valid', { metadata: md(), spec: { schedule: '*/2 * * * *', sink } }, ''],
    ['with seconds and timezone', { metadata: md(), spec: { schedule: '0 0 9 * * MON-FRI', timezone: 'Europe/Paris', sink } }, ''],
    ['seconds with a start step and ?', { metadata: md(), spec: { schedule: '10 0/5 * * * ?', sink } }, ''],
    ['CRON_TZ prefix', { metadata: md(), spec: { schedule: 'CRON_TZ=Asia/Tokyo 0 9 * * *', sink } }, ''],
    ['bad schedule', { metadata: md(), spec: { schedule: '2', sink } }, 'invalid value: expected 5 to 6 fields, found 1: [2]: spec.schedule'],
    ['@every', { metadata: md(), spec: { schedule: '@every 1m', sink } }, 'invalid value: unsupported descriptor @every: spec.schedule'],
    ['@daily', { metadata: md(), spec: { schedule: '@daily', sink } }, ''],
    ['bad timezone', { metadata: md(), spec: { schedule: '* * * * *', timezone: 'Moon/Base', sink } }, 'invalid value: provided bad location Moon/Base: unknown time zone Moon/Base: spec.timezone'],
    ['no sink', { metadata: md(), spec: { schedule: '* * * * *' } }, 'expected at least one, got none: spec.sink.ref, spec.sink.uri'],
    ['data and dataBase64', { metadata: md(), spec: { sink, data: 'a', dataBase64: 'YQ==' } }, 'expected exactly one, got both: spec.data, spec.dataBase64'],
    ['bad base64', { metadata: md(), spec: { sink, dataBase64: 'a$b' } }, 'invalid value: illegal base64 data at input byte 1: spec.dataBase64'],
    ['JSON data not an object', { metadata: md(), spec: { sink, contentType: 'application/json', data: '[1]' } }, 'invalid value: json: cannot unmarshal array into Go value of type map[string]interface {}: spec.data'],
    ['JSON data', { metadata: md(), spec: { sink, contentType: 'application/json', data: '{"a":1}' } }, ''],
    ['text data', { metadata: md(), spec: { sink, contentType: 'text/plain', data: '[1' } }, ''],
    ['bad ceOverrides', { metadata: md(), spec: { sink, ceOverrides: { extensions: { 'a.b': 'x' } } } }, 'invalid key name "a.b": spec.ceOverrides.extensions\nkeys are expected to be alphanumeric'],
  ]);
});

test('ApiServerSource, ContainerSource, SinkBinding', () => {
  const sink = { uri: 'http://sink.example' };
  const api = admit('sources.knative.dev/ApiServerSource', { metadata: md(), spec: { resources: [{ apiVersion: 'v1', kind: 'Event' }], sink } });
  assert.equal((api.obj.spec as Obj).mode, 'Reference');
  assert.equal((api.obj.spec as Obj).serviceAccountName, 'default');
  assert.equal(api.error, '');
  table('sources.knative.dev/ApiServerSource', [
    ['bad mode', { metadata: md(), spec: { mode: 'Everything', resources: [{ apiVersion: 'v1', kind: 'Event' }], sink } }, 'invalid value: Everything: spec.mode'],
    ['no resources', { metadata: md(), spec: { sink } }, 'missing field(s): spec.resources'],
    ['bad resource', { metadata: md(), spec: { resources: [{ apiVersion: 'a/b/c', kind: ' ' }], sink } }, 'invalid value: a/b/c: spec.resources[0].apiVersion\nmissing field(s): spec.resources[0].kind'],
    ['bad owner', { metadata: md(), spec: { resources: [{ apiVersion: 'v1', kind: 'Event' }], owner: { apiVersion: 'apps/v1' }, sink } }, 'missing field(s): spec.owner.kind'],
    ['filters need the feature', { metadata: md(), spec: { resources: [{ apiVersion: 'v1', kind: 'Event' }], filters: [{ exact: { type: 'x' } }], sink } }, 'Filters is not empty but the NewAPIServerFilters feature is disabled.: '],
  ]);
  const cs = admit('sources.knative.dev/ContainerSource', { metadata: md({ name: 'heart' }), spec: { template: { spec: { containers: [{ image: 'a' }, { name: 'named', image: 'b' }] } }, sink } });
  assert.deepEqual((((cs.obj.spec as Obj).template as Obj).spec as Obj).containers, [{ name: 'heart-0', image: 'a' }, { name: 'named', image: 'b' }]);
  assert.equal(cs.error, '');
  table('sources.knative.dev/ContainerSource', [
    ['no containers', { metadata: md(), spec: { template: { spec: { containers: [] } }, sink } }, 'missing field(s): spec.containers'],
    ['no image', { metadata: md(), spec: { template: { spec: { containers: [{ name: 'c' }] } }, sink } }, 'missing field(s): spec.containers[0].image'],
  ]);
  const sb = admit('sources.knative.dev/SinkBinding', { metadata: md(), spec: { subject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, sink } });
  assert.equal(((sb.obj.spec as Obj).subject as Obj).namespace, 'ns');
  assert.equal(sb.error, '');
  table('sources.knative.dev/SinkBinding', [
    ['selector', { metadata: md(), spec: { subject: { apiVersion: 'apps/v1', kind: 'Deployment', selector: { matchLabels: { app: 'a' } } }, sink } }, ''],
    ['name and selector', { metadata: md(), spec: { subject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', selector: { matchLabels: { app: 'a' } } }, sink } }, 'expected exactly one, got both: spec.subject.name, spec.subject.selector'],
    ['neither', { metadata: md(), spec: { subject: { apiVersion: 'apps/v1', kind: 'Deployment' }, sink } }, 'expected exactly one, got neither: spec.subject.name, spec.subject.selector'],
    ['other namespace', { metadata: md(), spec: { subject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', namespace: 'other' }, sink } }, 'invalid value: other: spec.subject.namespace'],
    ['missing kind', { metadata: md(), spec: { subject: { apiVersion: 'apps/v1', name: 'd' }, sink } }, 'missing field(s): spec.subject.kind'],
    ['no subject: namespace defaulted', { metadata: md(), spec: { sink } }, 'expected exactly one, got neither: spec.subject.name, spec.subject.selector\nmissing field(s): spec.subject.apiVersion, spec.subject.kind'],
  ]);
});
