// The Eventing kinds' list tables and describe layouts byte for byte (kn's printers, knative/client
// pkg/commands/{broker,trigger,channel,subscription,source/*}), for objects without status and Ready ones,
// on an injected clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Condition, ConditionStatus } from '../../api/types.ts';
import type { ApiServerSource, Broker, Channel, ContainerSource, PingSource, SinkBinding, Subscription, Trigger } from '../../eventing/types.ts';
import { BROKER_TABLE, brokerLayout } from './broker.ts';
import { CHANNEL_TABLE, channelLayout, SUBSCRIPTION_TABLE, subscriptionLayout } from './channel.ts';
import { type AnyObject, type Layout, type ListTable, renderDescribe, renderTable } from './common.ts';
import { APISERVER_TABLE, apiserverLayout, BINDING_TABLE, bindingLayout, CONTAINER_TABLE, containerLayout, PING_TABLE, pingLayout, SOURCE_LIST_TABLE } from './sources.ts';
import { TRIGGER_TABLE, triggerLayout } from './trigger.ts';

const CREATED = '2025-01-01T00:00:00Z';
/** 400 days and an hour later: list ages read `400d`, describe ages `1y`. */
const NOW = Date.parse(CREATED) + 400 * 86_400_000 + 3_600_000;
const URL = 'http://broker-ingress.knative-eventing.svc.cluster.local/default/example-broker';
const KSVC = { kind: 'Service', apiVersion: 'serving.knative.dev/v1', name: 'player', namespace: 'default' };
const BROKER_REF = { kind: 'Broker', apiVersion: 'eventing.knative.dev/v1', name: 'example-broker', namespace: 'default' };

function meta(name: string, namespace = 'default') {
  return { name, namespace, creationTimestamp: CREATED };
}

function cond(type: string, status: ConditionStatus, reason?: string, message?: string): Condition {
  return { type, status, lastTransitionTime: CREATED, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function list<T extends AnyObject>(items: T[], spec: ListTable<T>, allNamespaces = false, noHeaders = false): string {
  return renderTable(items, spec, { allNamespaces, noHeaders, now: NOW });
}

function describe<T>(obj: T, layout: Layout<T>): string {
  return renderDescribe(obj, layout, false, NOW);
}

const NO_CONDITIONS = 'Conditions:  \n  OK TYPE    AGE REASON\n';

test('broker list and describe: no status, Ready, not ready; -A; --no-headers', () => {
  const plain: Broker = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: meta('example-broker'), spec: {} };
  const b2: Broker = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: meta('b2'), spec: {} };
  assert.equal(
    list([b2, plain], BROKER_TABLE),
    'NAME             URL   AGE    CONDITIONS   READY       REASON\n'
      + 'b2                     400d   0 OK / 0     <unknown>   <unknown>\n'
      + 'example-broker         400d   0 OK / 0     <unknown>   <unknown>\n',
  );
  assert.equal(describe(plain, brokerLayout), `Name:       example-broker\nNamespace:  default\nAge:        1y\n\nAddress:  \n  URL:    \n\n${NO_CONDITIONS}`);

  const ready: Broker = { ...plain, status: { address: { url: URL }, conditions: [cond('Addressable', 'True'), cond('Ready', 'True')] } };
  const failing: Broker = { ...b2, status: { conditions: [cond('Ready', 'False', 'NoIngress', 'no ingress yet')] } };
  assert.equal(
    list([failing, ready], BROKER_TABLE),
    'NAME             URL                                                                               AGE    CONDITIONS   READY   REASON\n'
      + 'b2                                                                                                 400d   0 OK / 1     False   NoIngress : no ingress yet\n'
      + `example-broker   ${URL}   400d   2 OK / 2     True    \n`,
  );
  assert.equal(
    list([failing, ready], BROKER_TABLE, false, true),
    'b2                                                                                                 400d   0 OK / 1   False   NoIngress : no ingress yet\n'
      + `example-broker   ${URL}   400d   2 OK / 2   True    \n`,
  );
  assert.equal(
    describe(ready, brokerLayout),
    `Name:       example-broker\nNamespace:  default\nAge:        1y\n\nAddress:  \n  URL:    ${URL}\n\nConditions:  \n  OK TYPE           AGE REASON\n  ++ Ready           1y \n  ++ Addressable     1y \n`,
  );
  // Brokers keep the server's order even with -A (kn's printBrokerList does not sort).
  const other: Broker = { ...plain, metadata: meta('a', 'other') };
  assert.equal(
    list([other, plain], BROKER_TABLE, true),
    'NAMESPACE   NAME             URL   AGE    CONDITIONS   READY       REASON\n'
      + 'other       a                      400d   0 OK / 0     <unknown>   <unknown>\n'
      + 'default     example-broker         400d   0 OK / 0     <unknown>   <unknown>\n',
  );
  // Labels and annotations, boring ones (serving.knative.dev/…) only with --verbose.
  const annotated: Broker = { ...plain, metadata: { ...meta('example-broker'), labels: { team: 'a' }, annotations: { 'eventing.knative.dev/broker.class': 'MTChannelBasedBroker' } } };
  assert.match(describe(annotated, brokerLayout), /^Name:         example-broker\nNamespace:    default\nLabels:       team=a\nAnnotations:  eventing\.knative\.dev\/broker\.class=MTChannelBasedBroker\nAge:          1y\n/);
});

test('trigger list and describe: filters, nested filters, sinks; -A puts default first', () => {
  const t1: Trigger = { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: meta('t1'), spec: { broker: 'example-broker', filter: { attributes: { type: 'dev.knative.foo' } }, subscriber: { ref: KSVC } } };
  const t2: Trigger = { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: meta('t2'), spec: { broker: 'default', filter: {}, subscriber: { uri: 'https://example.com/hook' } } };
  const t3: Trigger = { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: meta('t3'), spec: { broker: 'example-broker', subscriber: { ref: BROKER_REF } } };
  assert.equal(
    list([t1, t2, t3], TRIGGER_TABLE),
    'NAME   BROKER           SINK                       AGE    CONDITIONS   READY       REASON\n'
      + 't1     example-broker   ksvc:player                400d   0 OK / 0     <unknown>   <unknown>\n'
      + 't2     default          https://example.com/hook   400d   0 OK / 0     <unknown>   <unknown>\n'
      + 't3     example-broker   broker:example-broker      400d   0 OK / 0     <unknown>   <unknown>\n',
  );
  const head = 'Name:       t1\nNamespace:  default\nAge:        1y\nBroker:     example-broker\nFilter:     \n  type:     dev.knative.foo\n\nSink:        \n  Name:      player\n  Resource:  Service (serving.knative.dev/v1)\n\n';
  assert.equal(describe(t1, triggerLayout), head + NO_CONDITIONS);
  const ready: Trigger = { ...t1, status: { conditions: [cond('Ready', 'True'), cond('SubscriberResolved', 'True')], subscriberUri: 'http://player.default.svc.cluster.local' } };
  assert.equal(describe(ready, triggerLayout), head + 'Conditions:  \n  OK TYPE                  AGE REASON\n  ++ Ready                  1y \n  ++ SubscriberResolved     1y \n');
  assert.match(list([ready], TRIGGER_TABLE), /\nt1     example-broker   ksvc:player   400d   2 OK \/ 2     True    \n$/);

  const nested: Trigger = { ...t2, spec: { broker: 'default', filters: [{ all: [{ exact: { type: 'a' } }, { not: { prefix: { source: 'x/' } } }] }, { cesql: "type = 'b'" }], subscriber: { ref: { ...KSVC, namespace: 'other' } } } };
  assert.equal(
    describe(nested, triggerLayout),
    'Name:       t2\nNamespace:  default\nAge:        1y\nBroker:     default\n\nFilters (experimental):  \n  all:                   \n    exact:               \n      type:              a\n    not:                 \n      prefix:            \n        source:          x/\n  cesql:                 type = \'b\'\n\n'
      + 'Sink:         \n  Name:       player\n  Namespace:  other\n  Resource:   Service (serving.knative.dev/v1)\n\n' + NO_CONDITIONS,
  );
  const elsewhere: Trigger = { ...t1, metadata: meta('t0', 'ns1') };
  assert.match(list([elsewhere, t2, t1], TRIGGER_TABLE, true), /^NAMESPACE   NAME .*\ndefault     t2 .*\ndefault     t1 .*\nns1         t0 /);
});

test('channel and subscription list and describe', () => {
  const ch1: Channel = { apiVersion: 'messaging.knative.dev/v1', kind: 'Channel', metadata: meta('ch1'), spec: { channelTemplate: { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel' } } };
  const url = 'http://ch2-kn-channel.default.svc.cluster.local';
  const ch2: Channel = { ...ch1, metadata: meta('ch2'), status: { address: { url }, conditions: [cond('Ready', 'True')] } };
  assert.equal(
    list([ch2, ch1], CHANNEL_TABLE),
    'NAME   TYPE              URL                                               AGE    READY       REASON\n'
      + 'ch1    InMemoryChannel                                                     400d   <unknown>   <unknown>\n'
      + `ch2    InMemoryChannel   ${url}   400d   True        \n`,
  );
  assert.equal(describe(ch1, channelLayout), `Name:       ch1\nNamespace:  default\nAge:        1y\nType:       InMemoryChannel (messaging.knative.dev/v1)\n\n${NO_CONDITIONS}`);
  assert.equal(describe(ch2, channelLayout), `Name:       ch2\nNamespace:  default\nAge:        1y\nType:       InMemoryChannel (messaging.knative.dev/v1)\nURL:        ${url}\n\nConditions:  \n  OK TYPE     AGE REASON\n  ++ Ready     1y \n`);

  const s1: Subscription = {
    apiVersion: 'messaging.knative.dev/v1',
    kind: 'Subscription',
    metadata: meta('s1'),
    spec: { channel: { kind: 'Channel', apiVersion: 'messaging.knative.dev/v1', name: 'ch1' }, subscriber: { ref: KSVC }, reply: { ref: BROKER_REF }, delivery: { deadLetterSink: { uri: 'https://dls.example.com' } } },
  };
  assert.equal(
    list([s1], SUBSCRIPTION_TABLE),
    'NAME   CHANNEL       SUBSCRIBER    REPLY                   DEAD LETTER SINK          READY       REASON\n'
      + 's1     Channel:ch1   ksvc:player   broker:example-broker   https://dls.example.com   <unknown>   <unknown>\n',
  );
  assert.equal(
    describe(s1, subscriptionLayout),
    'Name:            s1\nNamespace:       default\nAge:             1y\nChannel:         Channel:ch1 (messaging.knative.dev/v1)\n'
      + 'Subscriber:      \n  Name:          player\n  Resource:      Service (serving.knative.dev/v1)\n'
      + 'Reply:           \n  Name:          example-broker\n  Resource:      Broker (eventing.knative.dev/v1)\n'
      + `DeadLetterSink:  \n  URI:           https://dls.example.com\n\n${NO_CONDITIONS}`,
  );
});

test('ping, apiserver, container and binding sources; source list', () => {
  const p1: PingSource = { apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', metadata: meta('p1'), spec: { schedule: '*/2 * * * *', data: '{"value":"hello"}', sink: { ref: KSVC }, ceOverrides: { extensions: { foo: 'bar' } } } };
  const p2: PingSource = { apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', metadata: meta('p2'), spec: { dataBase64: 'aGVsbG8=', sink: { uri: 'https://example.com' } } };
  assert.equal(
    describe(p1, pingLayout),
    'Name:       p1\nNamespace:  default\nAge:        1y\nSchedule:   */2 * * * *\nData:       {"value":"hello"}\n\n'
      + 'Sink:        \n  Name:      player\n  Resource:  Service (serving.knative.dev/v1)\n\n'
      + `CloudEvent Overrides:  \n  foo:                 bar\n\n${NO_CONDITIONS}`,
  );
  assert.equal(describe(p2, pingLayout), `Name:        p2\nNamespace:   default\nAge:         1y\nSchedule:    \nDataBase64:  aGVsbG8=\n\nSink:   \n  URI:  https://example.com\n\n${NO_CONDITIONS}`);
  assert.equal(
    list([p2, p1], PING_TABLE),
    'NAME   SCHEDULE      SINK          AGE    CONDITIONS   READY       REASON\n'
      + 'p1     */2 * * * *   ksvc:player   400d   0 OK / 0     <unknown>   <unknown>\n'
      + 'p2                                 400d   0 OK / 0     <unknown>   <unknown>\n',
  );

  const a1: ApiServerSource = {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'ApiServerSource',
    metadata: meta('a1'),
    spec: { sink: { ref: BROKER_REF }, serviceAccountName: 'sa', mode: 'Reference', resources: [{ kind: 'Event', apiVersion: 'v1' }, { kind: 'Pod', apiVersion: 'v1', selector: { matchLabels: { b: '2', a: '1' } } }] },
    status: { conditions: [cond('Ready', 'False', 'SinkNotFound', 'no sink')] },
  };
  assert.equal(
    describe(a1, apiserverLayout),
    'Name:                a1\nNamespace:           default\nAge:                 1y\nServiceAccountName:  sa\nEventMode:           Reference\n\n'
      + 'Sink:        \n  Name:      example-broker\n  Resource:  Broker (eventing.knative.dev/v1)\n\n'
      + 'Resources:   \n  Kind:      Event (v1)\n  Kind:      Pod (v1)\n  Selector:  a=1,b=2\n\nConditions:  \n  OK TYPE     AGE REASON\n  !! Ready     1y SinkNotFound\n',
  );
  assert.equal(
    list([a1], APISERVER_TABLE),
    'NAME   RESOURCES                 SINK                    AGE    CONDITIONS   READY   REASON\n'
      + 'a1     Event:v1,Pod:v1:a=1,b=2   broker:example-broker   400d   0 OK / 1     False   SinkNotFound : no sink\n',
  );

  const c1: ContainerSource = {
    apiVersion: 'sources.knative.dev/v1',
    kind: 'ContainerSource',
    metadata: meta('c1'),
    spec: { sink: { ref: KSVC }, template: { spec: { containers: [{ image: './examples/helloworld', env: [{ name: 'A', value: 'b' }, { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }], args: ['x'] }] } } },
  };
  assert.equal(
    describe(c1, containerLayout),
    'Name:       c1\nNamespace:  default\nAge:        1y\nContainer:  \n  Image:    ./examples/helloworld\n  Env:      \n    A:      b\n    S:      [ref]\n  Args:     \n    x:      \n\n'
      + `Sink:        \n  Name:      player\n  Resource:  Service (serving.knative.dev/v1)\n\n\n${NO_CONDITIONS}`,
  );
  assert.equal(
    list([c1], CONTAINER_TABLE),
    'NAME   IMAGE                   SINK          AGE    CONDITIONS   READY       REASON\nc1     ./examples/helloworld   ksvc:player   400d   0 OK / 0     <unknown>   <unknown>\n',
  );

  const b1: SinkBinding = { apiVersion: 'sources.knative.dev/v1', kind: 'SinkBinding', metadata: meta('bind1'), spec: { sink: { ref: BROKER_REF }, subject: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', namespace: 'default', name: 'player' } } };
  const b2: SinkBinding = { ...b1, metadata: meta('bind2'), spec: { sink: { ref: KSVC }, subject: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', selector: { matchLabels: { tier: 'web', app: 'x' } } }, ceOverrides: { extensions: { k: 'v' } } } };
  assert.equal(
    describe(b1, bindingLayout),
    'Name:        bind1\nNamespace:   default\nAge:         1y\nSubject:     \n  Name:      player\n  Resource:  Service (serving.knative.dev/v1)\n'
      + `Sink:        \n  Name:      example-broker\n  Resource:  Broker (eventing.knative.dev/v1)\n\n${NO_CONDITIONS}`,
  );
  assert.equal(
    describe(b2, bindingLayout),
    'Name:                  bind2\nNamespace:             default\nAge:                   1y\nSubject:               \n  Resource:            Deployment (apps/v1)\n  Selector:            \n    app:               x\n    tier:              web\n'
      + `Sink:                  \n  Name:                player\n  Resource:            Service (serving.knative.dev/v1)\nCloudEvent Overrides:  \n  k:                   v\n\n${NO_CONDITIONS}`,
  );
  assert.equal(
    list([b1, b2], BINDING_TABLE),
    'NAME    SUBJECT                                 SINK                    AGE    CONDITIONS   READY       REASON\n'
      + 'bind1   Service:serving.knative.dev/v1:player   broker:example-broker   400d   0 OK / 0     <unknown>   <unknown>\n'
      + 'bind2   Deployment:apps/v1:app=x,tier=web       ksvc:player             400d   0 OK / 0     <unknown>   <unknown>\n',
  );

  assert.equal(
    list([p2, b2, a1, c1, b1, p1], SOURCE_LIST_TABLE),
    'NAME    TYPE              RESOURCE                               SINK                    READY\n'
      + 'a1      ApiServerSource   apiserversources.sources.knative.dev   broker:example-broker   False\n'
      + 'bind1   SinkBinding       sinkbindings.sources.knative.dev       broker:example-broker   <unknown>\n'
      + 'bind2   SinkBinding       sinkbindings.sources.knative.dev       ksvc:player             <unknown>\n'
      + 'c1      ContainerSource   containersources.sources.knative.dev   ksvc:player             <unknown>\n'
      + 'p1      PingSource        pingsources.sources.knative.dev        ksvc:player             <unknown>\n'
      + 'p2      PingSource        pingsources.sources.knative.dev        https://example.com     <unknown>\n',
  );
});
