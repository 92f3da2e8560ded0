// Brokers and triggers end to end against a real `knit serve`: broker status and address, the ingress on the
// cluster-local gateway, filters, retries with backoff and dead letters, replies, a Knative Service at zero as
// subscriber, broker deletion, and no event lost across a kill -9 (docs/architecture.md "Eventing: brokers,
// triggers, delivery").

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer, eventually } from './harness.ts';
import { EventSink, ceHeaders, postToBroker } from './eventing-sink.ts';

let knit: KnitServer;
const sinks: EventSink[] = [];

before(async () => {
  knit = await new KnitServer([], undefined, 'autoscaler:\n  scale-to-zero-grace-period: 1s\n  allow-zero-initial-scale: true\n').start();
});

after(async () => {
  for (const s of sinks) await s.close();
  await knit?.cleanup();
});

async function sink(): Promise<EventSink> {
  const s = await new EventSink().start();
  sinks.push(s);
  return s;
}

type Cond = { type: string; status: string; reason?: string; message?: string };
interface Obj {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; conditions?: Cond[]; address?: { url?: string; name?: string }; addresses?: { url?: string }[]; subscriberUri?: string; deadLetterSinkUri?: string };
}

async function get(kind: 'brokers' | 'triggers', name: string): Promise<Obj> {
  return (await knit.api('GET', `/apis/eventing.knative.dev/v1/namespaces/default/${kind}/${name}`)).json as Obj;
}

async function ready(kind: 'brokers' | 'triggers', name: string): Promise<Obj> {
  return eventually(`${kind}/${name} Ready`, async () => {
    const o = await get(kind, name);
    return o.status?.observedGeneration === o.metadata.generation && o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? o : undefined;
  }, 15_000);
}

async function broker(name: string, delivery?: Record<string, unknown>): Promise<Obj> {
  const r = await knit.api('POST', '/apis/eventing.knative.dev/v1/namespaces/default/brokers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name }, spec: delivery ? { delivery } : {} });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return ready('brokers', name);
}

async function trigger(name: string, brokerName: string, subscriber: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Obj> {
  const r = await knit.api('POST', '/apis/eventing.knative.dev/v1/namespaces/default/triggers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name }, spec: { broker: brokerName, subscriber, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return ready('triggers', name);
}

const send = (b: string, id: string, type: string, extra: Record<string, string> = {}, body = '{"n":1}') => postToBroker(knit.endpoints.localHttp, `/default/${b}`, ceHeaders(id, type, extra), body);

test('a broker is Ready with its ingress address; a trigger resolves its subscriber; an event is accepted (202) and delivered unchanged', async () => {
  const b = await broker('basic');
  assert.equal(b.status?.address?.url, 'http://broker-ingress.knative-eventing.svc.cluster.local/default/basic');
  assert.equal(b.status?.address?.name, 'http');
  assert.deepEqual(b.status?.addresses?.map((a) => a.url), ['http://broker-ingress.knative-eventing.svc.cluster.local/default/basic']);
  const types = (b.status?.conditions ?? []).map((c) => c.type).sort();
  assert.deepEqual(types, ['Addressable', 'DeadLetterSinkResolved', 'EventPoliciesReady', 'FilterReady', 'IngressReady', 'Ready', 'TriggerChannelReady']);
  assert.equal(b.status?.conditions?.find((c) => c.type === 'DeadLetterSinkResolved')?.reason, 'DeadLetterSinkNotConfigured');
  const s = await sink();
  const t = await trigger('basic-all', 'basic', { uri: s.url });
  assert.equal(t.status?.subscriberUri, s.url);
  const r = await send('basic', 'e-1', 'com.example.basic', { 'ce-myext': 'v 1' }, '{"hello":"world"}');
  assert.equal(r.status, 202);
  const got = await eventually('the event at the subscriber', () => s.withId('e-1')[0], 5_000);
  assert.equal(got.event.attributes.type, 'com.example.basic');
  assert.equal(got.event.attributes.myext, 'v 1');
  assert.equal(got.event.attributes.knativebrokerttl, undefined, 'the broker TTL is removed before the subscriber');
  assert.equal(Buffer.from(got.event.data ?? '', 'base64').toString(), '{"hello":"world"}');
  assert.equal(got.headers.prefer, 'reply');
});

test('the ingress refuses what is not an event for a broker it has', async () => {
  await broker('strict');
  assert.equal((await postToBroker(knit.endpoints.localHttp, '/default/strict', { 'content-type': 'application/json' }, '{}')).status, 400);
  assert.equal((await postToBroker(knit.endpoints.localHttp, '/default/strict', { 'ce-specversion': '1.0', 'ce-type': 't' }, '')).status, 400, 'missing id and source');
  assert.equal((await postToBroker(knit.endpoints.localHttp, '/default/strict', ceHeaders('x', 't'), '', 'GET')).status, 405);
  assert.equal((await postToBroker(knit.endpoints.localHttp, '/default/nosuch', ceHeaders('x', 't'))).status, 404);
  assert.equal((await postToBroker(knit.endpoints.localHttp, '/default/strict/extra', ceHeaders('x', 't'))).status, 400);
  const batch = JSON.stringify([{ specversion: '1.0', id: 'b1', type: 't', source: 's' }, { specversion: '1.0', id: 'b2', type: 't', source: 's' }]);
  assert.equal((await postToBroker(knit.endpoints.localHttp, '/default/strict', { 'content-type': 'application/cloudevents-batch+json' }, batch)).status, 202);
});

test('filters: matching events reach the subscriber within 1 s, non-matching ones never do', async () => {
  await broker('filtered');
  const s = await sink();
  await trigger('only-orders', 'filtered', { uri: s.url }, { filter: { attributes: { type: 'com.example.order', region: 'eu' } } });
  const t0 = Date.now();
  assert.equal((await send('filtered', 'match-1', 'com.example.order', { 'ce-region': 'eu' })).status, 202);
  assert.equal((await send('filtered', 'other-type', 'com.example.refund', { 'ce-region': 'eu' })).status, 202);
  assert.equal((await send('filtered', 'other-region', 'com.example.order', { 'ce-region': 'us' })).status, 202);
  assert.equal((await send('filtered', 'no-region', 'com.example.order')).status, 202);
  await eventually('the matching event', () => s.withId('match-1')[0], 1_000, 5);
  assert.ok(Date.now() - t0 <= 1_000);
  await new Promise((r) => setTimeout(r, 3_000)); // the absence of an event has no condition to wait for
  assert.deepEqual(s.received.map((r) => r.event.attributes.id), ['match-1']);
});

test('retries: a 500 with retry 2 is tried 3 times with exponential backoff, then dead-lettered with knativeerror*; a 400 is not retried', async () => {
  const dls = await sink();
  await broker('retrying', { retry: 2, backoffPolicy: 'exponential', backoffDelay: 'PT0.3S', deadLetterSink: { uri: dls.url } });
  const b = await get('brokers', 'retrying');
  assert.equal(b.status?.deadLetterSinkUri, dls.url);
  const s = await sink();
  s.respond = (r) => (r.event.attributes.type === 'bad' ? { status: 400, body: 'no thanks' } : { status: 500, body: 'boom' });
  const t = await trigger('failing', 'retrying', { uri: s.url });
  assert.equal(t.status?.deadLetterSinkUri, dls.url);
  assert.equal((await send('retrying', 'r-1', 'flaky')).status, 202);
  const dead = await eventually('the dead letter', () => dls.withId('r-1')[0], 10_000);
  const tries = s.withId('r-1');
  assert.equal(tries.length, 3);
  // go-retryablehttp counts retries from 0: waits of delay × 2^0 and delay × 2^1.
  const gaps = [tries[1].at - tries[0].at, tries[2].at - tries[1].at];
  for (const [i, want] of [300, 600].entries()) assert.ok(Math.abs(gaps[i] - want) <= want * 0.2, `retry ${i + 1} after ${gaps[i]} ms, want ${want} ms ±20 %`);
  assert.equal(dead.event.attributes.knativeerrorcode, '500');
  assert.equal(dead.event.attributes.knativeerrordest, s.url);
  assert.equal(Buffer.from(dead.event.attributes.knativeerrordata, 'base64').toString(), 'boom');
  assert.equal(dead.event.attributes.type, 'flaky');

  assert.equal((await send('retrying', 'r-2', 'bad')).status, 202);
  const dead2 = await eventually('the 400 dead letter', () => dls.withId('r-2')[0], 5_000);
  assert.equal(dead2.event.attributes.knativeerrorcode, '400');
  assert.equal(s.withId('r-2').length, 1, 'a 400 is not retried');
});

test('a Knative Service at zero is woken by a delivery, and its reply goes back into the broker', async () => {
  const app = pathToFileURL(path.join(FIXTURES, 'event-reply')).href;
  const r = await knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'replier' },
    spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/initial-scale': '0' } }, spec: { containers: [{ image: app }] } } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  await broker('replies');
  const s = await sink();
  const t = await trigger('to-ksvc', 'replies', { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'replier' } }, { filter: { attributes: { type: 'ping' } } });
  assert.equal(t.status?.subscriberUri, 'http://replier.default.svc.cluster.local');
  await trigger('replies-out', 'replies', { uri: s.url }, { filter: { attributes: { type: 'ping.reply' } } });
  assert.equal(knit.instancePids().length, 0, 'the service starts at zero');
  assert.equal((await send('replies', 'p-1', 'ping', {}, '{"v":42}')).status, 202);
  const reply = await eventually('the reply event', () => s.withId('reply-p-1')[0], 20_000);
  assert.equal(reply.event.attributes.source, 'event-reply');
  assert.equal(Buffer.from(reply.event.data ?? '', 'base64').toString(), '{"v":42}');
});

test('deleting a broker stops delivery and drops its queued events', async () => {
  await broker('doomed', { retry: 50, backoffPolicy: 'linear', backoffDelay: 'PT0.2S' });
  const s = await sink();
  s.respond = () => ({ status: 503 });
  await trigger('doomed-t', 'doomed', { uri: s.url });
  assert.equal((await send('doomed', 'd-1', 'x')).status, 202);
  await eventually('a few attempts', () => s.withId('d-1').length >= 3, 10_000);
  assert.equal((await knit.api('DELETE', '/apis/eventing.knative.dev/v1/namespaces/default/brokers/doomed')).status, 200);
  await eventually('the broker gone', async () => (await knit.api('GET', '/apis/eventing.knative.dev/v1/namespaces/default/brokers/doomed')).status === 404);
  const n = s.withId('d-1').length;
  await new Promise((r) => setTimeout(r, 1_500)); // no further attempt has a condition to wait for
  assert.ok(s.withId('d-1').length <= n + 1, `attempts went on after the deletion: ${n} → ${s.withId('d-1').length}`);
  assert.equal((await send('doomed', 'd-2', 'x')).status, 404);
});

test('the metrics: mt_broker_ingress and mt_broker_filter event_count and event_dispatch_latencies with Knative\'s labels', async () => {
  await broker('metered');
  const s = await sink();
  await trigger('metered-t', 'metered', { uri: s.url }, { filter: { attributes: { type: 'metered.type' } } });
  assert.equal((await send('metered', 'm-1', 'metered.type')).status, 202);
  await eventually('the delivery', () => s.withId('m-1')[0], 5_000);
  const text = await eventually('the filter series', async () => {
    const r = await fetch(knit.endpoints.metrics);
    const t = await r.text();
    return t.includes('mt_broker_filter_event_count_total{namespace_name="default",broker_name="metered"') ? t : undefined;
  }, 5_000);
  assert.match(text, /^mt_broker_ingress_event_count_total\{namespace_name="default",broker_name="metered",event_type="metered.type",response_code="202",response_code_class="2xx"\} 1$/m);
  assert.match(text, /^mt_broker_ingress_event_dispatch_latencies_count\{namespace_name="default",broker_name="metered",event_type="metered.type",response_code="202",response_code_class="2xx"\} 1$/m);
  assert.match(text, /^mt_broker_filter_event_count_total\{namespace_name="default",broker_name="metered",trigger_name="metered-t",filter_type="metered.type",response_code="202",response_code_class="2xx"\} 1$/m);
  assert.match(text, /^mt_broker_filter_event_dispatch_latencies_bucket\{namespace_name="default",broker_name="metered",trigger_name="metered-t",filter_type="metered.type",response_code="202",response_code_class="2xx",le="10000"\} 1$/m);
});

test('trigger conditions: a missing broker, an unresolvable subscriber, then both fixed', async () => {
  const post = await knit.api('POST', '/apis/eventing.knative.dev/v1/namespaces/default/triggers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 'orphan' }, spec: { broker: 'later', subscriber: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'nosuchsvc' } } } });
  assert.equal(post.status, 201, JSON.stringify(post.json));
  const cond = async (type: string): Promise<Cond | undefined> => (await get('triggers', 'orphan')).status?.conditions?.find((c) => c.type === type);
  const noBroker = await eventually('BrokerReady False', async () => {
    const c = await cond('BrokerReady');
    return c?.status === 'False' ? c : undefined;
  });
  assert.deepEqual([noBroker.reason, noBroker.message], ['BrokerDoesNotExist', 'Broker "later" does not exist']);
  assert.equal((await cond('Ready'))?.status, 'False');
  await broker('later');
  const unresolved = await eventually('SubscriberResolved False', async () => {
    const c = await cond('SubscriberResolved');
    return c?.status === 'False' ? c : undefined;
  });
  assert.equal(unresolved.reason, "Unable to get the Subscriber's URI");
  assert.equal(unresolved.message, 'failed to get object default/nosuchsvc: services.serving.knative.dev "nosuchsvc" not found');
  assert.equal((await cond('BrokerReady'))?.status, 'True');
  assert.equal((await get('triggers', 'orphan')).status?.subscriberUri, undefined);
  const s = await sink();
  assert.equal((await knit.api('PATCH', '/apis/eventing.knative.dev/v1/namespaces/default/triggers/orphan', { spec: { subscriber: { ref: null, uri: s.url } } })).status, 200);
  const t = await ready('triggers', 'orphan');
  assert.equal(t.status?.subscriberUri, s.url);
});

test('broker class, dead-letter sink resolution, and the ingress hosts', async () => {
  const kafka = await knit.api('POST', '/apis/eventing.knative.dev/v1/namespaces/default/brokers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'other-class', annotations: { 'eventing.knative.dev/broker.class': 'Kafka' } }, spec: {} });
  assert.equal(kafka.status, 201);
  const bad = await knit.api('POST', '/apis/eventing.knative.dev/v1/namespaces/default/brokers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'bad-dls' }, spec: { delivery: { deadLetterSink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'nowhere' } } } } });
  assert.equal(bad.status, 201);
  const dls = await eventually('DeadLetterSinkResolved False', async () => (await get('brokers', 'bad-dls')).status?.conditions?.find((c) => c.type === 'DeadLetterSinkResolved' && c.status === 'False'));
  assert.equal(dls.reason, "Unable to get the dead letter sink's URI");
  assert.equal(dls.message, 'failed to get object default/nowhere: services.serving.knative.dev "nowhere" not found');
  assert.equal((await get('brokers', 'bad-dls')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
  // A broker of another class is another implementation's: no status from knit, and knit's ingress does not take its events.
  assert.equal((await get('brokers', 'other-class')).status?.conditions, undefined);
  assert.equal((await postToBroker(knit.endpoints.localHttp, '/default/other-class', ceHeaders('k-1', 't'))).status, 404);
  await broker('hosts');
  for (const host of ['broker-ingress.knative-eventing.svc', 'broker-ingress.knative-eventing', 'broker-ingress.knative-eventing.svc.cluster.local:80']) {
    assert.equal((await postToBroker(knit.endpoints.localHttp, '/default/hosts', ceHeaders(`h-${host}`, 't'), '', 'POST', host)).status, 202, host);
  }
  // Only the cluster-local gateway serves the ingress.
  assert.equal((await postToBroker(knit.endpoints.http, '/default/hosts', ceHeaders('h-ext', 't'))).status, 404);
});

test('spec.config is honoured: Knative\'s default config is built in, a missing ConfigMap or another channel kind fails TriggerChannelReady', async () => {
  const b = await broker('cfg-default');
  assert.deepEqual((b as unknown as { spec: { config?: unknown } }).spec.config, { kind: 'ConfigMap', apiVersion: 'v1', namespace: 'knative-eventing', name: 'config-br-default-channel' });
  const failed = async (name: string, message: string): Promise<void> => {
    const c = await eventually(`${name} TriggerChannelReady False`, async () => (await get('brokers', name)).status?.conditions?.find((x) => x.type === 'TriggerChannelReady' && x.status === 'False'), 10_000);
    assert.equal(c.reason, 'ChannelTemplateFailed');
    assert.equal(c.message, message);
    assert.equal((await get('brokers', name)).status?.conditions?.find((x) => x.type === 'Ready')?.status, 'False');
  };
  const create = async (name: string, config: Record<string, string>): Promise<void> => {
    const r = await knit.api('POST', '/apis/eventing.knative.dev/v1/namespaces/default/brokers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name }, spec: { config } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  };
  await create('cfg-missing', { kind: 'ConfigMap', apiVersion: 'v1', namespace: 'default', name: 'no-such-config' });
  await failed('cfg-missing', 'Error on setting up the ChannelTemplate: configmap "no-such-config" not found');
  const cm = await knit.api('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kafka-channel' }, data: { 'channel-template-spec': 'apiVersion: messaging.knative.dev/v1beta1\nkind: KafkaChannel\n' } });
  assert.equal(cm.status, 201, JSON.stringify(cm.json));
  await create('cfg-kafka', { kind: 'ConfigMap', apiVersion: 'v1', namespace: 'default', name: 'kafka-channel' });
  await failed('cfg-kafka', 'Error on setting up the ChannelTemplate: knit backs brokers with its durable queue, which stands in for messaging.knative.dev/v1 InMemoryChannel only, not messaging.knative.dev/v1beta1 KafkaChannel');
  const imc = await knit.api('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'imc-channel' }, data: { 'channel-template-spec': 'apiVersion: messaging.knative.dev/v1\nkind: InMemoryChannel\n' } });
  assert.equal(imc.status, 201, JSON.stringify(imc.json));
  await create('cfg-imc', { kind: 'ConfigMap', apiVersion: 'v1', namespace: 'default', name: 'imc-channel' });
  await ready('brokers', 'cfg-imc');
});
