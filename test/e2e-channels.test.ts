// Channels, Subscriptions, Sequences and Parallels end to end against a real `knit serve`: the Channel's backing
// InMemoryChannel and both statuses, Subscriptions written into spec.subscribers (and removed on delete), the
// channel host on the cluster-local gateway, fan-out, replies, dead letters, an event surviving kill -9, and the
// object graphs and event flow of a Sequence and a Parallel (docs/architecture.md "Eventing channels and flows").

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import { FIXTURES, KnitServer, eventually } from './harness.ts';
import { EventSink, ceHeaders, gatewayRequest, type Received } from './eventing-sink.ts';

let knit: KnitServer;
const sinks: EventSink[] = [];

before(async () => {
  knit = await new KnitServer().start();
});

after(async () => {
  for (const s of sinks) await s.close();
  await knit?.cleanup();
});

async function sink(respond?: EventSink['respond']): Promise<EventSink> {
  const s = await new EventSink().start();
  if (respond) s.respond = respond;
  sinks.push(s);
  return s;
}

/** A sink answer carrying a reply event (binary mode) derived from what it received. */
function replyWith(r: Received, type: string, data: string): { status: number; headers: Record<string, string>; body: string } {
  return { status: 200, headers: { 'ce-specversion': '1.0', 'ce-id': `${r.event.attributes.id}-${type}`, 'ce-type': type, 'ce-source': 'knit-test-step', 'content-type': 'text/plain' }, body: data };
}

function dataOf(r: Received): string {
  return Buffer.from(r.event.data ?? '', 'base64').toString('utf8');
}

type Cond = { type: string; status: string; reason?: string; message?: string; severity?: string };
interface Obj {
  metadata: { name?: string; uid?: string; generation?: number; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  spec: Record<string, unknown> & { subscribers?: { uid?: string; name?: string; generation?: number; subscriberUri?: string; replyUri?: string; delivery?: Record<string, unknown> }[] };
  status?: Record<string, unknown> & { observedGeneration?: number; conditions?: Cond[]; address?: { url?: string; name?: string } };
}

const PATHS: Record<string, string> = {
  channels: '/apis/messaging.knative.dev/v1/namespaces/default/channels',
  inmemorychannels: '/apis/messaging.knative.dev/v1/namespaces/default/inmemorychannels',
  subscriptions: '/apis/messaging.knative.dev/v1/namespaces/default/subscriptions',
  sequences: '/apis/flows.knative.dev/v1/namespaces/default/sequences',
  parallels: '/apis/flows.knative.dev/v1/namespaces/default/parallels',
};

async function get(kind: string, name: string): Promise<{ status: number; obj: Obj }> {
  const r = await knit.api('GET', `${PATHS[kind]}/${name}`);
  return { status: r.status, obj: r.json as Obj };
}

function cond(o: Obj, type: string): Cond | undefined {
  return o.status?.conditions?.find((c) => c.type === type);
}

async function ready(kind: string, name: string, ms = 15_000): Promise<Obj> {
  return eventually(`${kind}/${name} Ready`, async () => {
    const { obj } = await get(kind, name);
    return obj.status?.observedGeneration === obj.metadata.generation && cond(obj, 'Ready')?.status === 'True' ? obj : undefined;
  }, ms, 50);
}

async function create(kind: string, body: Record<string, unknown>): Promise<{ status: number; json: unknown }> {
  return knit.api('POST', PATHS[kind], body);
}

async function channel(name: string, spec: Record<string, unknown> = {}): Promise<Obj> {
  const r = await create('channels', { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', metadata: { name }, spec });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return ready('channels', name);
}

async function subscription(name: string, channelName: string, spec: Record<string, unknown>): Promise<Obj> {
  const r = await create('subscriptions', { apiVersion: 'messaging.knative.dev/v1', kind: 'Subscription', metadata: { name }, spec: { channel: { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', name: channelName }, ...spec } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return ready('subscriptions', name);
}

/** POSTs to `host` through the cluster-local gateway. */
function postTo(host: string, headers: Record<string, string>, body = '', method = 'POST', pathname = '/'): Promise<{ status: number; body: string }> {
  return gatewayRequest(knit.endpoints.localHttp, host, pathname, headers, body, method);
}

const hostOf = (url: string | undefined): string => new URL(url ?? 'http://missing.invalid').host;

/** Rows in the channels' durable queue now (read from the file beside the store). */
function queuedRows(): number {
  const db = new DatabaseSync(path.join(knit.dataDir, 'channels.db'), { readOnly: true });
  try {
    return Number((db.prepare('SELECT count(*) AS n FROM deliveries').get() as { n: number }).n);
  } finally {
    db.close();
  }
}

test('a Channel creates its InMemoryChannel and mirrors its address, conditions and subscribers', async () => {
  const ch = await channel('orders');
  assert.deepEqual(ch.spec.channelTemplate, { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel' });
  assert.equal(ch.metadata.annotations?.['messaging.knative.dev/subscribable'], 'v1');
  assert.deepEqual(ch.status?.address, { name: 'http', url: 'http://orders-kn-channel.default.svc.cluster.local' });
  assert.deepEqual(ch.status?.channel, { kind: 'InMemoryChannel', apiVersion: 'messaging.knative.dev/v1', name: 'orders', namespace: 'default' });
  assert.deepEqual(ch.status?.conditions?.map((c) => [c.type, c.status, c.reason ?? '']), [
    ['Addressable', 'True', ''],
    ['BackingChannelReady', 'True', ''],
    ['DeadLetterSinkResolved', 'True', 'DeadLetterSinkNotConfigured'],
    ['EventPoliciesReady', 'True', 'OIDCDisabled'],
    ['Ready', 'True', ''],
  ]);
  const imc = await ready('inmemorychannels', 'orders');
  assert.equal(imc.metadata.ownerReferences?.[0]?.kind, 'Channel');
  assert.equal(imc.metadata.ownerReferences?.[0]?.controller, true);
  assert.deepEqual(imc.status?.conditions?.map((c) => [c.type, c.status]), [
    ['Addressable', 'True'], ['ChannelServiceReady', 'True'], ['DeadLetterSinkResolved', 'True'], ['DispatcherReady', 'True'],
    ['EndpointsReady', 'True'], ['EventPoliciesReady', 'True'], ['Ready', 'True'], ['ServiceReady', 'True'],
  ]);
  assert.equal(cond(imc, 'DispatcherReady')?.severity, 'Info', 'DispatcherReady is not in the IMC condition set');
});

test('two Subscriptions fan an event out to both subscribers; a deleted one is removed from the channel', async () => {
  await channel('fan');
  const a = await sink();
  const b = await sink();
  const sa = await subscription('fan-a', 'fan', { subscriber: { uri: a.url } });
  await subscription('fan-b', 'fan', { subscriber: { uri: b.url } });
  assert.deepEqual(sa.status?.physicalSubscription, { subscriberUri: a.url });
  assert.deepEqual(sa.status?.conditions?.map((c) => [c.type, c.status]), [['AddedToChannel', 'True'], ['ChannelReady', 'True'], ['OIDCIdentityCreated', 'True'], ['Ready', 'True'], ['ReferencesResolved', 'True']]);
  const imc = (await get('inmemorychannels', 'fan')).obj;
  assert.deepEqual(imc.spec.subscribers?.map((s) => [s.name, s.subscriberUri, s.generation]), [['fan-a', a.url, 1], ['fan-b', b.url, 1]]);
  const ch = await ready('channels', 'fan');
  assert.deepEqual((ch.status?.subscribers as { uid: string; ready: string }[]).map((s) => s.ready), ['True', 'True']);
  assert.equal((ch.status?.subscribers as { uid: string }[])[0].uid, sa.metadata.uid);

  const host = hostOf(ch.status?.address?.url);
  const r = await postTo(host, ceHeaders('fan-1', 'order.created'), '{"n":1}');
  assert.equal(r.status, 202, r.body);
  await eventually('both subscribers got fan-1', () => a.withId('fan-1').length === 1 && b.withId('fan-1').length === 1, 5_000);
  assert.equal(dataOf(a.withId('fan-1')[0]), '{"n":1}');
  assert.equal(a.withId('fan-1')[0].event.attributes.type, 'order.created');

  assert.equal((await knit.api('DELETE', `${PATHS.subscriptions}/fan-b`)).status, 200);
  await eventually('fan-b removed from the channel', async () => {
    const subs = (await get('inmemorychannels', 'fan')).obj.spec.subscribers ?? [];
    return subs.length === 1 && subs[0].name === 'fan-a';
  }, 5_000);
  assert.equal((await postTo(host, ceHeaders('fan-2', 'order.created'), '{}')).status, 202);
  await eventually('fan-a got fan-2', () => a.withId('fan-2').length === 1, 5_000);
  // fan-b was gone from spec.subscribers when fan-2 was accepted: no row was queued for it.
  assert.equal(b.withId('fan-2').length, 0);
});

test('the channel host answers as the IMC dispatcher: 405 for GET, 400 for a non-event, 202 for a batch', async () => {
  const ch = await channel('edge');
  const host = hostOf(ch.status?.address?.url);
  const got = await postTo(host, {}, '', 'GET');
  assert.equal(got.status, 405);
  assert.equal((await postTo('edge-kn-channel.default.svc', ceHeaders('short', 't'), '{}')).status, 202, 'the .svc form of the host is served too');
  assert.equal((await postTo(host, { 'content-type': 'application/json' }, '{"x":1}')).status, 400);
  assert.equal((await postTo(host, ceHeaders('e1', 't'), '{}', 'POST', '/other')).status, 400);
  const batch = JSON.stringify([{ specversion: '1.0', id: 'b1', type: 't', source: 's' }, { specversion: '1.0', id: 'b2', type: 't', source: 's' }]);
  const s = await sink();
  await subscription('edge-s', 'edge', { subscriber: { uri: s.url } });
  assert.equal((await postTo(host, { 'content-type': 'application/cloudevents-batch+json' }, batch)).status, 202);
  await eventually('both batched events', () => s.withId('b1').length === 1 && s.withId('b2').length === 1, 5_000);
});

test('a subscriber\'s reply goes to spec.reply; a failing subscriber is retried then dead-lettered', async () => {
  await channel('chain');
  const replies = await sink();
  const upper = await sink((r) => replyWith(r, 'upper', dataOf(r).toUpperCase()));
  await subscription('chain-s', 'chain', { subscriber: { uri: upper.url }, reply: { uri: replies.url } });
  const host = hostOf((await get('channels', 'chain')).obj.status?.address?.url);
  assert.equal((await postTo(host, { ...ceHeaders('c-1', 'text'), 'content-type': 'text/plain' }, 'hello')).status, 202);
  const got = await eventually('the reply', () => replies.withId('c-1-upper')[0], 5_000);
  assert.equal(dataOf(got), 'HELLO');
  assert.equal(got.event.attributes.type, 'upper');

  const failing = await sink(() => ({ status: 500, body: 'boom' }));
  const dls = await sink();
  const sub = await subscription('chain-f', 'chain', { subscriber: { uri: failing.url }, delivery: { retry: 2, backoffPolicy: 'linear', backoffDelay: 'PT0.1S', deadLetterSink: { uri: dls.url } } });
  assert.equal((sub.status?.physicalSubscription as { deadLetterSinkUri?: string }).deadLetterSinkUri, dls.url);
  const imc = (await get('inmemorychannels', 'chain')).obj;
  assert.deepEqual(imc.spec.subscribers?.find((s) => s.name === 'chain-f')?.delivery, { deadLetterSink: { uri: dls.url }, backoffPolicy: 'linear', retry: 2, backoffDelay: 'PT0.1S' });
  assert.equal((await postTo(host, ceHeaders('c-2', 'text'), '{}')).status, 202);
  const dead = await eventually('the dead letter', () => dls.withId('c-2')[0], 10_000);
  assert.equal(failing.withId('c-2').length, 3, 'one attempt and two retries');
  assert.equal(dead.event.attributes.knativeerrorcode, '500');
  assert.equal(dead.event.attributes.knativeerrordest, failing.url);
  assert.equal(Buffer.from(dead.event.attributes.knativeerrordata ?? '', 'base64').toString(), 'boom');
});

test('a Channel\'s dead-letter sink serves the subscriptions that have none', async () => {
  const dls = await sink();
  const ch = await channel('dl', { delivery: { deadLetterSink: { uri: dls.url } } });
  assert.equal(ch.status?.deadLetterSinkUri, dls.url);
  assert.equal(cond(ch, 'DeadLetterSinkResolved')?.reason, undefined);
  const failing = await sink(() => ({ status: 404 }));
  const sub = await subscription('dl-s', 'dl', { subscriber: { uri: failing.url } });
  assert.equal((sub.status?.physicalSubscription as { deadLetterSinkUri?: string }).deadLetterSinkUri, dls.url);
  assert.equal((await postTo(hostOf(ch.status?.address?.url), ceHeaders('dl-1', 't'), '{}')).status, 202);
  const dead = await eventually('the channel dead letter', () => dls.withId('dl-1')[0], 5_000);
  assert.equal(dead.event.attributes.knativeerrorcode, '404');
  assert.equal(failing.withId('dl-1').length, 1, 'no retries without delivery.retry');
});

test('Subscriptions report what they cannot resolve, with Knative\'s reasons; admission refuses what knit cannot honour', async () => {
  const r = await create('subscriptions', { apiVersion: 'messaging.knative.dev/v1', kind: 'Subscription', metadata: { name: 'nochan' }, spec: { channel: { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', name: 'missing' }, subscriber: { uri: 'http://127.0.0.1:1/' } } });
  assert.equal(r.status, 201);
  const o = await eventually('ChannelReferenceFailed', async () => {
    const { obj } = await get('subscriptions', 'nochan');
    return cond(obj, 'ReferencesResolved')?.reason === 'ChannelReferenceFailed' ? obj : undefined;
  }, 5_000);
  assert.equal(cond(o, 'ReferencesResolved')?.message, 'Failed to get Spec.Channel or backing channel: channels.messaging.knative.dev "missing" not found');
  assert.equal(cond(o, 'Ready')?.status, 'Unknown');

  await channel('refs');
  await create('subscriptions', { apiVersion: 'messaging.knative.dev/v1', kind: 'Subscription', metadata: { name: 'badsub' }, spec: { channel: { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', name: 'refs' }, subscriber: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'nope' } } } });
  const bad = await eventually('SubscriberResolveFailed', async () => {
    const { obj } = await get('subscriptions', 'badsub');
    return cond(obj, 'ReferencesResolved')?.status === 'False' ? obj : undefined;
  }, 5_000);
  assert.equal(cond(bad, 'ReferencesResolved')?.reason, 'SubscriberResolveFailed');
  assert.match(cond(bad, 'ReferencesResolved')?.message ?? '', /^Failed to resolve spec\.subscriber: failed to get object default\/nope: services\.serving\.knative\.dev "nope" not found$/);
  assert.equal(cond(bad, 'Ready')?.status, 'False');

  // Only the controller changes an InMemoryChannel's subscribers.
  const imc = (await get('inmemorychannels', 'refs')).obj;
  const edit = await knit.api('PUT', `${PATHS.inmemorychannels}/refs`, { ...imc, spec: { ...imc.spec, subscribers: [{ uid: 'u1', subscriberUri: 'http://a.example/' }] } });
  assert.equal(edit.status, 400);
  assert.match(JSON.stringify(edit.json), /Channel.Spec.Subscribers changed by user knit-admin which was not the system:serviceaccount:knative-eventing:eventing-controller service account: spec.subscribers/);
  // A channel kind knit cannot back is refused, not accepted and left unready.
  const otherKind = await create('channels', { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', metadata: { name: 'k' }, spec: { channelTemplate: { apiVersion: 'messaging.knative.dev/v1beta1', kind: 'KafkaChannel' } } });
  assert.equal(otherKind.status, 400);
  assert.match(JSON.stringify(otherKind.json), /knit backs channels with messaging.knative.dev\/v1 InMemoryChannel only/);
  assert.equal((await get('channels', 'k')).status, 404, 'nothing was stored');
});

test('a Sequence of two steps (a Knative Service, then a uri sink) builds channels and subscriptions per step and replies to spec.reply', async () => {
  const r0 = await knit.api('POST', '/apis/serving.knative.dev/v1/namespaces/default/services', {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'step-one' },
    spec: { template: { spec: { containers: [{ image: pathToFileURL(path.join(FIXTURES, 'event-reply')).href }] } } },
  });
  assert.equal(r0.status, 201, JSON.stringify(r0.json));
  const step2 = await sink((r) => replyWith(r, 'step2', `${dataOf(r)}+2`));
  const final = await sink();
  const r = await create('sequences', {
    apiVersion: 'flows.knative.dev/v1',
    kind: 'Sequence',
    metadata: { name: 'seq' },
    spec: { steps: [{ ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'step-one' } }, { uri: step2.url }], reply: { uri: final.url } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const seq = await ready('sequences', 'seq', 30_000);
  assert.deepEqual(seq.status?.address, { url: 'http://seq-kn-sequence-0-kn-channel.default.svc.cluster.local' });
  assert.deepEqual((seq.status?.channelStatuses as { channel: { name: string } }[]).map((c) => c.channel.name), ['seq-kn-sequence-0', 'seq-kn-sequence-1']);
  assert.deepEqual((seq.status?.subscriptionStatuses as { subscription: { name: string }; ready: Cond }[]).map((s) => [s.subscription.name, s.ready.status]), [['seq-kn-sequence-0', 'True'], ['seq-kn-sequence-1', 'True']]);
  const sub0 = (await get('subscriptions', 'seq-kn-sequence-0')).obj;
  assert.deepEqual(sub0.spec.reply, { ref: { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel', name: 'seq-kn-sequence-1', namespace: 'default' } });
  assert.equal(sub0.metadata.ownerReferences?.[0]?.kind, 'Sequence');
  assert.equal((sub0.status?.physicalSubscription as { subscriberUri?: string }).subscriberUri, 'http://step-one.default.svc.cluster.local');

  assert.equal((await postTo(hostOf(seq.status?.address?.url), { ...ceHeaders('s-1', 'start'), 'content-type': 'text/plain' }, 'x')).status, 202);
  const out = await eventually('the sequence output', () => final.received.find((x) => x.event.attributes.type === 'step2'), 20_000);
  assert.equal(dataOf(out), 'x+2');
  assert.equal(step2.received[0]?.event.attributes.type, 'start.reply', 'step 2 got the Knative Service\'s reply');
  assert.equal(step2.received[0]?.event.attributes.source, 'event-reply');

  // Deleting the Sequence takes its channels and subscriptions with it.
  assert.equal((await knit.api('DELETE', `${PATHS.sequences}/seq`)).status, 200);
  await eventually('children collected', async () => (await get('inmemorychannels', 'seq-kn-sequence-0')).status === 404 && (await get('subscriptions', 'seq-kn-sequence-1')).status === 404, 10_000);
  assert.equal((await knit.api('DELETE', '/apis/serving.knative.dev/v1/namespaces/default/services/step-one')).status, 200);
});

test('a Parallel sends each event to every branch whose filter passes it, replies going to spec.reply', async () => {
  // The filter passes "keep" events (by replying with them) and drops the rest (an answer without an event).
  const filter = await sink((r) => (r.event.attributes.type === 'keep' ? { status: 200, headers: { 'ce-specversion': '1.0', 'ce-id': r.event.attributes.id, 'ce-type': 'keep', 'ce-source': 'filter', 'content-type': 'text/plain' }, body: dataOf(r) } : { status: 202 }));
  const b0 = await sink((r) => replyWith(r, 'from-b0', dataOf(r)));
  const b1 = await sink((r) => replyWith(r, 'from-b1', dataOf(r)));
  const final = await sink();
  const r = await create('parallels', {
    apiVersion: 'flows.knative.dev/v1',
    kind: 'Parallel',
    metadata: { name: 'par' },
    spec: { branches: [{ filter: { uri: filter.url }, subscriber: { uri: b0.url } }, { subscriber: { uri: b1.url } }], reply: { uri: final.url } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const par = await ready('parallels', 'par');
  assert.deepEqual(par.status?.address, { name: 'http', url: 'http://par-kn-parallel-kn-channel.default.svc.cluster.local' });
  const branches = par.status?.branchStatuses as { filterSubscriptionStatus: { subscription: { name: string } }; filterChannelStatus: { channel: { name: string } }; subscriberSubscriptionStatus: { subscription: { name: string } } }[];
  assert.deepEqual(branches.map((b) => [b.filterSubscriptionStatus.subscription.name, b.filterChannelStatus.channel.name, b.subscriberSubscriptionStatus.subscription.name]), [
    ['par-kn-parallel-filter-0', 'par-kn-parallel-0', 'par-kn-parallel-0'],
    ['par-kn-parallel-filter-1', 'par-kn-parallel-1', 'par-kn-parallel-1'],
  ]);
  const host = hostOf(par.status?.address?.url);
  assert.equal((await postTo(host, { ...ceHeaders('p-keep', 'keep'), 'content-type': 'text/plain' }, 'k')).status, 202);
  assert.equal((await postTo(host, { ...ceHeaders('p-drop', 'drop'), 'content-type': 'text/plain' }, 'd')).status, 202);
  await eventually('three replies', () => final.received.length >= 3, 10_000);
  const seen = final.received.map((x) => `${x.event.attributes.type}:${x.event.attributes.id}`).sort();
  assert.deepEqual(seen, ['from-b0:p-keep-from-b0', 'from-b1:p-drop-from-b1', 'from-b1:p-keep-from-b1']);
  assert.equal(b0.withId('p-drop').length, 0, 'the filter dropped p-drop from branch 0');
});

test('deleting a Channel stops its deliveries and drops its queued events', async () => {
  const s = await sink(() => ({ status: 503 }));
  await channel('doomed');
  await subscription('doomed-s', 'doomed', { subscriber: { uri: s.url }, delivery: { retry: 100, backoffPolicy: 'linear', backoffDelay: 'PT0.2S' } });
  const host = hostOf((await get('channels', 'doomed')).obj.status?.address?.url);
  assert.equal((await postTo(host, ceHeaders('doom-1', 't'), '{}')).status, 202);
  await eventually('a few attempts', () => s.withId('doom-1').length >= 3, 10_000);
  assert.equal(queuedRows(), 1);
  assert.equal((await knit.api('DELETE', `${PATHS.channels}/doomed`)).status, 200);
  await eventually('the InMemoryChannel collected', async () => (await get('inmemorychannels', 'doomed')).status === 404, 10_000);
  await eventually('its queued row dropped', () => queuedRows() === 0, 10_000);
  assert.equal((await postTo(host, ceHeaders('doom-2', 't'), '{}')).status, 404, 'the host is no longer served');
});

test('a Trigger whose subscriber is a Channel: broker → trigger → channel → subscription → sink', async () => {
  await channel('from-broker');
  const s = await sink();
  await subscription('from-broker-s', 'from-broker', { subscriber: { uri: s.url } });
  const b = await knit.api('POST', '/apis/eventing.knative.dev/v1/namespaces/default/brokers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'bc' }, spec: {} });
  assert.equal(b.status, 201, JSON.stringify(b.json));
  const t = await knit.api('POST', '/apis/eventing.knative.dev/v1/namespaces/default/triggers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 'bc-t' }, spec: { broker: 'bc', subscriber: { ref: { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', name: 'from-broker' } } } });
  assert.equal(t.status, 201, JSON.stringify(t.json));
  const trig = await eventually('the trigger Ready', async () => {
    const o = (await knit.api('GET', '/apis/eventing.knative.dev/v1/namespaces/default/triggers/bc-t')).json as Obj;
    return cond(o, 'Ready')?.status === 'True' ? o : undefined;
  }, 15_000);
  assert.equal(trig.status?.subscriberUri, 'http://from-broker-kn-channel.default.svc.cluster.local');
  assert.equal((await postTo('broker-ingress.knative-eventing.svc.cluster.local', ceHeaders('bc-1', 'via.broker'), '{"b":1}', 'POST', '/default/bc')).status, 202);
  const got = await eventually('the event through the channel', () => s.withId('bc-1')[0], 10_000);
  assert.equal(dataOf(got), '{"b":1}');
  assert.equal(got.event.attributes.knativebrokerttl, undefined, 'the broker\'s TTL extension does not leak');
});

test('an accepted event survives kill -9 of knit serve and is delivered after the restart', async () => {
  let up = false;
  const s = await sink(() => ({ status: up ? 202 : 503 }));
  await channel('durable');
  await subscription('durable-s', 'durable', { subscriber: { uri: s.url }, delivery: { retry: 50, backoffPolicy: 'linear', backoffDelay: 'PT0.1S' } });
  const host = hostOf((await get('channels', 'durable')).obj.status?.address?.url);
  assert.equal((await postTo(host, ceHeaders('d-1', 'durable'), '{"keep":true}')).status, 202);
  await eventually('a first (failed) attempt', () => s.withId('d-1').length >= 1, 5_000);
  await knit.stop('SIGKILL');
  up = true;
  const before = s.withId('d-1').length;
  await knit.start();
  const got = await eventually('delivered after the restart', () => s.received.slice(before).find((x) => x.event.attributes.id === 'd-1' && up), 15_000);
  assert.equal(dataOf(got), '{"keep":true}');
});

test('a Sequence in flight survives kill -9: the queued step resumes and its reply travels on through the next channel', async () => {
  let up = false;
  const step1 = await sink((r) => (up ? replyWith(r, 'one', `${dataOf(r)}+1`) : { status: 503 }));
  const step2 = await sink((r) => replyWith(r, 'two', `${dataOf(r)}+2`));
  const final = await sink();
  const r = await create('sequences', {
    apiVersion: 'flows.knative.dev/v1',
    kind: 'Sequence',
    metadata: { name: 'dseq' },
    spec: { steps: [{ uri: step1.url, delivery: { retry: 50, backoffPolicy: 'linear', backoffDelay: 'PT0.1S' } }, { uri: step2.url }], reply: { uri: final.url } },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const seq = await ready('sequences', 'dseq');
  assert.equal((await postTo(hostOf(seq.status?.address?.url), { ...ceHeaders('ds-1', 'start'), 'content-type': 'text/plain' }, 'v')).status, 202);
  await eventually('a first (failed) attempt at step 1', () => step1.withId('ds-1').length >= 1, 5_000);
  await knit.stop('SIGKILL');
  up = true;
  await knit.start();
  const out = await eventually('the sequence output after the restart', () => final.received.find((x) => x.event.attributes.type === 'two'), 15_000);
  assert.equal(dataOf(out), 'v+1+2');
});
