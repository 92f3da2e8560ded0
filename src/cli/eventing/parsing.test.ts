// Tables for the Eventing commands' argument parsers, with the cases of knative/client's own tests
// (pkg/flags/sink/sink_test.go, pkg/commands/broker/config_flags_test.go, pkg/flags/channel_types_test.go,
// pkg/util/parsing_helper_test.go, pkg/commands/source/apiserver/flags_test.go, ping/flags_test.go).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerConfigReference } from './broker.ts';
import { parseChannelRef, parseChannelType } from './channel.ts';
import { applyCeOverrides, parseSink, sinkToString } from './common.ts';
import { parseApiResource, parseSubject, pingDataFields } from './sources.ts';

test('parseSink: kn prefixes, namespaces, URIs and group/version/resource prefixes', () => {
  const rows: [string, unknown][] = [
    ['mysvc', { gvr: { group: 'serving.knative.dev', version: 'v1', plural: 'services' }, name: 'mysvc', namespace: 'default' }],
    ['ksvc:mysvc:other', { gvr: { group: 'serving.knative.dev', version: 'v1', plural: 'services' }, name: 'mysvc', namespace: 'other' }],
    ['broker:nest', { gvr: { group: 'eventing.knative.dev', version: 'v1', plural: 'brokers' }, name: 'nest', namespace: 'default' }],
    ['channel:pipe', { gvr: { group: 'messaging.knative.dev', version: 'v1', plural: 'channels' }, name: 'pipe', namespace: 'default' }],
    ['svc:receiver:mynamespace', { gvr: { group: '', version: 'v1', plural: 'services' }, name: 'receiver', namespace: 'mynamespace' }],
    ['special.eventing.dev/v1alpha1/channels:pipe', { gvr: { group: 'special.eventing.dev', version: 'v1alpha1', plural: 'channels' }, name: 'pipe', namespace: 'default' }],
    ['messaging.knative.dev/v1/InMemoryChannel:imc', { gvr: { group: 'messaging.knative.dev', version: 'v1', plural: 'inmemorychannels' }, name: 'imc', namespace: 'default' }],
    ['https://event.receiver.uri', { uri: 'https://event.receiver.uri' }],
    ['http://localhost:8080/path', { uri: 'http://localhost:8080/path' }],
  ];
  for (const [repr, want] of rows) assert.deepEqual(parseSink(repr, 'default'), want, repr);
  assert.throws(() => parseSink('a/b/c/d:x', 'default'), /unexpected GroupVersion string: a\/b\/c/);
});

test('sinkToString: the table text of destinations (SinkToString)', () => {
  const rows: [Parameters<typeof sinkToString>[0], string][] = [
    [{ ref: { kind: 'Service', apiVersion: 'serving.knative.dev/v1', name: 'player' } }, 'ksvc:player'],
    [{ ref: { kind: 'Service', apiVersion: 'v1', name: 'k8s' } }, 'svc:k8s'],
    [{ ref: { kind: 'Broker', apiVersion: 'eventing.knative.dev/v1', name: 'default' } }, 'broker:default'],
    [{ ref: { kind: 'Channel', apiVersion: 'messaging.knative.dev/v1', name: 'pipe' } }, 'channel:pipe'],
    [{ ref: { kind: 'InMemoryChannel', apiVersion: 'messaging.knative.dev/v1', name: 'imc' } }, 'inmemorychannels.messaging.knative.dev/v1:imc'],
    // meta.UnsafeGuessKindToResource's plural: a final y always becomes ies.
    [{ ref: { kind: 'Gateway', apiVersion: 'x.io/v1', name: 'g' } }, 'gatewaies.x.io/v1:g'],
    [{ ref: { kind: 'Policy', apiVersion: 'x.io/v1', name: 'p' } }, 'policies.x.io/v1:p'],
    [{ uri: 'https://example.com/x' }, 'https://example.com/x'],
    [undefined, ''],
  ];
  for (const [dest, want] of rows) assert.equal(sinkToString(dest), want, JSON.stringify(dest));
});

test('brokerConfigReference: 1 to 4 colon-separated parts (GetBrokerConfigReference)', () => {
  assert.deepEqual(brokerConfigReference('spec-cm'), { kind: 'ConfigMap', name: 'spec-cm', apiVersion: 'v1' });
  assert.deepEqual(brokerConfigReference('sc:spec-sc'), { kind: 'Secret', name: 'spec-sc', apiVersion: 'v1' });
  assert.deepEqual(brokerConfigReference('rmq:c:test'), { kind: 'RabbitmqCluster', apiVersion: 'rabbitmq.com/v1beta1', name: 'c', namespace: 'test' });
  assert.deepEqual(brokerConfigReference('my.io/v1:Thing:t'), { apiVersion: 'my.io/v1', kind: 'Thing', name: 't' });
  assert.deepEqual(brokerConfigReference('rabbitmq.com/v1beta1:RabbitmqCluster:mycluster:test'), { apiVersion: 'rabbitmq.com/v1beta1', kind: 'RabbitmqCluster', name: 'mycluster', namespace: 'test' });
  assert.throws(() => brokerConfigReference('Thing:t'), { message: 'APIVersion could not be determined for kind "Thing". Provide config in format: "<apiVersion>:<kind>:<name>:<namespace>"' });
});

test('channel --type and --channel (ChannelTypeFlags.Parse, ChannelRef.Parse)', () => {
  assert.deepEqual(parseChannelType('imc'), { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel' });
  assert.deepEqual(parseChannelType('messaging.knative.dev:v1beta1:KafkaChannel'), { apiVersion: 'messaging.knative.dev/v1beta1', kind: 'KafkaChannel' });
  assert.throws(() => parseChannelType('a:b'), /incorrect value 'a:b' for '--type'/);
  assert.throws(() => parseChannelType('a::c'), /incorrect value 'a::c' for '--type'/);
  assert.deepEqual(parseChannelRef('pipe'), { kind: 'Channel', apiVersion: 'messaging.knative.dev/v1', name: 'pipe' });
  assert.deepEqual(parseChannelRef('imc:pipe'), { kind: 'InMemoryChannel', apiVersion: 'messaging.knative.dev/v1', name: 'pipe' });
  assert.deepEqual(parseChannelRef('messaging.knative.dev:v1beta1:KafkaChannel:k1'), { kind: 'KafkaChannel', apiVersion: 'messaging.knative.dev/v1beta1', name: 'k1' });
  assert.throws(() => parseChannelRef('a:b:c'), /incorrect value 'a:b:c' for '--channel'/);
});

test('--subject (ToTrackerReference) and --resource (getValidAPIVersionKindSelector)', () => {
  assert.deepEqual(parseSubject('Deployment:apps/v1:myapp', 'ns'), { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'myapp' });
  assert.deepEqual(parseSubject('Job:batch/v1:app=ping,tier=x', 'ns'), { apiVersion: 'batch/v1', kind: 'Job', namespace: 'ns', selector: { matchLabels: { app: 'ping', tier: 'x' } } });
  assert.throws(() => parseSubject('Deployment:myapp', 'ns'), /not in format kind:api\/version:nameOrSelector/);
  assert.deepEqual(parseApiResource('Event:v1'), { kind: 'Event', apiVersion: 'v1' });
  assert.deepEqual(parseApiResource('Pod:v1:a=b,c=d'), { kind: 'Pod', apiVersion: 'v1', selector: { matchLabels: { a: 'b', c: 'd' } } });
  assert.throws(() => parseApiResource(':v1'), /cannot find 'kind' part/);
  assert.throws(() => parseApiResource('Pod:v1:a'), /invalid label selector in resource specification Pod:v1:a/);
});

test('ping --data/--encoding (getDataFields) and --ce-override merging', () => {
  assert.deepEqual(pingDataFields('{"a":1}', ''), { data: '{"a":1}', dataBase64: '' });
  assert.deepEqual(pingDataFields('aGVsbG8=', ''), { data: '', dataBase64: 'aGVsbG8=' });
  assert.deepEqual(pingDataFields('aGVsbG8=', 'text'), { data: 'aGVsbG8=', dataBase64: '' });
  assert.deepEqual(pingDataFields('x', 'base64'), { data: '', dataBase64: 'x' });
  assert.throws(() => pingDataFields('x', 'hex'), { message: 'invalid value: hex. Accepted values are: text|base64' });
  const spec: { ceOverrides?: { extensions?: Record<string, string> } } = {};
  applyCeOverrides(spec, ['a=1', 'b=2']);
  assert.deepEqual(spec, { ceOverrides: { extensions: { a: '1', b: '2' } } });
  applyCeOverrides(spec, ['a-', 'c=3']);
  assert.deepEqual(spec, { ceOverrides: { extensions: { b: '2', c: '3' } } });
  applyCeOverrides(spec, ['b-', 'c-']);
  assert.deepEqual(spec, {});
  assert.throws(() => applyCeOverrides(spec, ['=x']), { message: 'The key is empty' });
});
