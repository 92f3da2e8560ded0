// knit's Eventing commands (broker, trigger, channel, subscription, source …) against a real `knit serve`: kn's
// messages, tables and describe layouts byte for byte for objects without status and (status written through the
// /status subresource) Ready ones, -o json|yaml|name|url, -A, --no-headers, kn's error texts, and kubectl's
// columns for the same kinds (the CRDs' additionalPrinterColumns).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KnitServer } from './harness.ts';
import { runCli, type CliResult } from './cli-runner.ts';
import { knativeCrd } from '../src/kube/crds.ts';

let knit: KnitServer;
/** KNIT_NOW: 400 days after the objects are created, so every list age reads `400d` (describe: `1y`). */
let now = '';

before(async () => {
  knit = await new KnitServer().start();
  const r = await knit.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  assert.ok(r.status === 201 || r.status === 409, JSON.stringify(r.json));
  now = new Date(Date.now() + 400 * 86_400_000 + 3_600_000).toISOString();
});

after(async () => {
  await knit?.cleanup();
});

function cli(...argv: string[]): Promise<CliResult> {
  return runCli(argv, { env: { KNIT_DATA_DIR: knit.dataDir, HOME: knit.dataDir, KNIT_NOW: now } });
}

async function ok(...argv: string[]): Promise<string> {
  const r = await cli(...argv);
  assert.equal(r.code, 0, `knit ${argv.join(' ')}: ${r.err}`);
  return r.out;
}

async function fails(argv: string[], message: string): Promise<void> {
  const r = await cli(...argv);
  assert.equal(r.code, 1, `knit ${argv.join(' ')} should fail: ${r.out}`);
  assert.equal(r.err.split('\n')[0], `Error: ${message}`);
}

/** Writes `status` through the /status subresource, with every condition's lastTransitionTime = creation. */
async function writeStatus(base: string, name: string, status: { conditions: { type: string; status: string; reason?: string; message?: string }[] } & Record<string, unknown>): Promise<void> {
  const obj = (await knit.api('GET', `${base}/${name}`)).json as { metadata: { creationTimestamp: string; generation: number } };
  const conditions = status.conditions.map((c) => ({ ...c, lastTransitionTime: obj.metadata.creationTimestamp }));
  const r = await knit.api('PUT', `${base}/${name}/status`, { ...obj, status: { ...status, conditions, observedGeneration: obj.metadata.generation } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
}

const BROKERS = '/apis/eventing.knative.dev/v1/namespaces/default/brokers';
const TRIGGERS = '/apis/eventing.knative.dev/v1/namespaces/default/triggers';
const READY = [
  { type: 'Addressable', status: 'True' },
  { type: 'Ready', status: 'True' },
];

test('broker: create, list and describe without status and Ready, -o formats, update, delete, errors', async () => {
  assert.equal(await ok('broker', 'create', 'example-broker'), "Broker 'example-broker' successfully created in namespace 'default'.\n");
  assert.equal(
    await ok('broker', 'create', 'b2', '--class', 'MTChannelBasedBroker', '--retry', '3', '--backoff-policy', 'linear', '--backoff-delay', 'PT1S', '--dl-sink', 'https://dls.example.com/x'),
    "Broker 'b2' successfully created in namespace 'default'.\n",
  );
  const b2 = (await knit.api('GET', `${BROKERS}/b2`)).json as { metadata: { annotations: Record<string, string> }; spec: unknown };
  assert.equal(b2.metadata.annotations['eventing.knative.dev/broker.class'], 'MTChannelBasedBroker');
  assert.deepEqual(b2.spec, { delivery: { deadLetterSink: { uri: 'https://dls.example.com/x' }, retry: 3, backoffPolicy: 'linear', backoffDelay: 'PT1S' } });

  assert.equal(
    await ok('broker', 'list'),
    'NAME             URL   AGE    CONDITIONS   READY       REASON\n'
      + 'b2                     400d   0 OK / 0     <unknown>   <unknown>\n'
      + 'example-broker         400d   0 OK / 0     <unknown>   <unknown>\n',
  );
  assert.equal(
    await ok('broker', 'describe', 'example-broker'),
    'Name:       example-broker\nNamespace:  default\nAge:        1y\n\nAddress:  \n  URL:    \n\nConditions:  \n  OK TYPE    AGE REASON\n',
  );

  const url = 'http://broker-ingress.knative-eventing.svc.cluster.local/default/example-broker';
  await writeStatus(BROKERS, 'example-broker', { conditions: READY, address: { url } });
  await writeStatus(BROKERS, 'b2', { conditions: [{ type: 'Ready', status: 'False', reason: 'NoIngress', message: 'no ingress yet' }] });
  assert.equal(
    await ok('broker', 'list'),
    'NAME             URL                                                                               AGE    CONDITIONS   READY   REASON\n'
      + 'b2                                                                                                 400d   0 OK / 1     False   NoIngress : no ingress yet\n'
      + `example-broker   ${url}   400d   2 OK / 2     True    \n`,
  );
  assert.equal(
    await ok('broker', 'describe', 'example-broker'),
    `Name:       example-broker\nNamespace:  default\nAge:        1y\n\nAddress:  \n  URL:    ${url}\n\nConditions:  \n  OK TYPE           AGE REASON\n  ++ Ready           1y \n  ++ Addressable     1y \n`,
  );
  assert.equal(await ok('broker', 'describe', 'example-broker', '-o', 'url'), `${url}\n`);
  assert.equal(await ok('broker', 'describe', 'example-broker', '-o', 'name'), 'broker.eventing.knative.dev/example-broker\n');
  const doc = JSON.parse(await ok('broker', 'describe', 'example-broker', '-o', 'json')) as { kind: string; apiVersion: string; status: { address: { url: string } } };
  assert.deepEqual([doc.kind, doc.apiVersion, doc.status.address.url], ['Broker', 'eventing.knative.dev/v1', url]);
  assert.match(await ok('broker', 'list', '-o', 'yaml'), /^apiVersion: eventing\.knative\.dev\/v1\nitems:\n- apiVersion: eventing\.knative\.dev\/v1\n {2}kind: Broker\n/);
  assert.match(await ok('broker', 'list', '-o', 'yaml'), /\nkind: BrokerList\n/);
  assert.doesNotMatch(await ok('broker', 'describe', 'example-broker', '-o', 'yaml'), /managedFields/);
  assert.doesNotMatch(await ok('broker', 'list', '-o', 'json'), /managedFields/);
  assert.match(await ok('broker', 'describe', 'example-broker', '-o', 'yaml', '--show-managed-fields'), /\n {2}managedFields:\n/);
  assert.equal(await ok('broker', 'list', '-o', 'jsonpath={.items[*].metadata.name}'), 'b2 example-broker');
  // Without the header row the columns are as wide as the cells only (kn's tabwriter sees no header either).
  assert.equal(
    await ok('broker', 'list', '--no-headers'),
    'b2                                                                                                 400d   0 OK / 1   False   NoIngress : no ingress yet\n'
      + `example-broker   ${url}   400d   2 OK / 2   True    \n`,
  );
  assert.match(await ok('broker', 'list', '-A'), /^NAMESPACE   NAME {13}URL .*\ndefault     b2 .*\ndefault     example-broker /);
  assert.equal(await ok('broker', 'list', '-n', 'other'), 'No brokers found.\n');

  assert.equal(await ok('broker', 'update', 'b2', '--retry', '5', '--timeout', 'PT10S'), "Broker 'b2' updated in namespace 'default'.\n");
  const updated = (await knit.api('GET', `${BROKERS}/b2`)).json as { spec: { delivery: Record<string, unknown> } };
  assert.deepEqual(updated.spec.delivery, { deadLetterSink: { uri: 'https://dls.example.com/x' }, retry: 5, timeout: 'PT10S', backoffPolicy: 'linear', backoffDelay: 'PT1S' });

  await fails(['broker', 'update', 'b2'], 'flag(s) not set');
  await fails(['broker', 'create', 'b3', '--broker-config', 'cm:x'], 'cannot set broker-config without setting class');
  await fails(['broker', 'create'], "'broker create' requires the broker name given as single argument");
  await fails(['broker', 'describe', 'nope'], 'brokers.eventing.knative.dev "nope" not found');
  // kn returns GetDlSink's error as is (only the create call's error is wrapped).
  await fails(['broker', 'create', 'b4', '--dl-sink', 'ksvc:missing'], 'services.serving.knative.dev "missing" not found');
  await fails(['broker', 'create', 'example-broker'], "cannot create broker 'example-broker' in namespace 'default' because: brokers.eventing.knative.dev \"example-broker\" already exists");

  assert.equal(await ok('broker', 'delete', 'b2'), "Broker 'b2' successfully deleted in namespace 'default'.\n");
  await fails(['broker', 'delete', 'b2'], "cannot delete broker 'b2' in namespace 'default' because: brokers.eventing.knative.dev \"b2\" not found");
});

test('trigger: create with --filter and --sink forms, list, describe, update, delete, errors', async () => {
  await ok('service', 'create', 'player', '--image', './examples/helloworld', '--no-wait');
  assert.equal(await ok('trigger', 'create', 't1', '--broker', 'example-broker', '--sink', 'player', '--filter', 'type=dev.knative.foo'), "Trigger 't1' successfully created in namespace 'default'.\n");
  assert.equal(await ok('trigger', 'create', 't2', '--sink', 'https://example.com/hook'), "Trigger 't2' successfully created in namespace 'default'.\n");
  assert.equal(await ok('trigger', 'create', 't3', '--sink', 'broker:example-broker', '--broker', 'example-broker'), "Trigger 't3' successfully created in namespace 'default'.\n");
  const t2 = (await knit.api('GET', `${TRIGGERS}/t2`)).json as { spec: unknown };
  assert.deepEqual(t2.spec, { broker: 'default', filter: {}, subscriber: { uri: 'https://example.com/hook' } });

  assert.equal(
    await ok('trigger', 'list'),
    'NAME   BROKER           SINK                       AGE    CONDITIONS   READY       REASON\n'
      + 't1     example-broker   ksvc:player                400d   0 OK / 0     <unknown>   <unknown>\n'
      + 't2     default          https://example.com/hook   400d   0 OK / 0     <unknown>   <unknown>\n'
      + 't3     example-broker   broker:example-broker      400d   0 OK / 0     <unknown>   <unknown>\n',
  );
  const describeT1 = (conditions: string) =>
    'Name:       t1\nNamespace:  default\nAge:        1y\nBroker:     example-broker\nFilter:     \n  type:     dev.knative.foo\n\n'
    + 'Sink:        \n  Name:      player\n  Resource:  Service (serving.knative.dev/v1)\n\n'
    + conditions;
  assert.equal(await ok('trigger', 'describe', 't1'), describeT1('Conditions:  \n  OK TYPE    AGE REASON\n'));
  await writeStatus(TRIGGERS, 't1', { conditions: [{ type: 'Ready', status: 'True' }, { type: 'SubscriberResolved', status: 'True' }], subscriberUri: 'http://player.default.svc.cluster.local' });
  assert.equal(await ok('trigger', 'describe', 't1'), describeT1('Conditions:  \n  OK TYPE                  AGE REASON\n  ++ Ready                  1y \n  ++ SubscriberResolved     1y \n'));
  assert.match(await ok('trigger', 'list'), /\nt1 {5}example-broker {3}ksvc:player {16}400d {3}2 OK \/ 2 {5}True {8}\n/);

  assert.equal(await ok('trigger', 'update', 't1', '--filter', 'type-', '--filter', 'source=s1', '--sink', 'https://example.com/other'), "Trigger 't1' updated in namespace 'default'.\n");
  const t1 = (await knit.api('GET', `${TRIGGERS}/t1`)).json as { spec: unknown };
  assert.deepEqual(t1.spec, { broker: 'example-broker', filter: { attributes: { source: 's1' } }, subscriber: { uri: 'https://example.com/other' } });

  await fails(['trigger', 'create', 't4'], 'required flag(s) "sink" not set');
  await fails(['trigger', 'create', 't4', '--sink', 'nope'], "cannot create trigger 't4' in namespace 'default' because: services.serving.knative.dev \"nope\" not found");
  await fails(['trigger', 'create', 't4', '--sink', 'player', '--filter', 'type'], "cannot create trigger 't4' because Invalid --filter: Argument requires a value that contains the \"=\" character as delimiter; got \"type\"");
  await fails(['trigger', 'update', 't1', '--broker', 'x'], "unknown flag: --broker for 'knit trigger update'");
  await fails(['trigger', 'describe'], "'knit trigger describe' requires name of the trigger as single argument");
  assert.equal(await ok('trigger', 'delete', 't3'), "Trigger 't3' deleted in namespace 'default'.\n");
  assert.equal(await ok('trigger', 'list', '-n', 'other'), 'No triggers found.\n');
});

test('sources: ping, binding, apiserver, container; source list and list-types', async () => {
  assert.equal(await ok('source', 'ping', 'create', 'p1', '--schedule', '*/2 * * * *', '--data', '{"value":"hello"}', '--sink', 'ksvc:player', '--ce-override', 'foo=bar'), "Ping source 'p1' created in namespace 'default'.\n");
  assert.equal(
    await ok('source', 'ping', 'describe', 'p1'),
    'Name:       p1\nNamespace:  default\nAge:        1y\nSchedule:   */2 * * * *\nData:       {"value":"hello"}\n\n'
      + 'Sink:        \n  Name:      player\n  Resource:  Service (serving.knative.dev/v1)\n\n'
      + 'CloudEvent Overrides:  \n  foo:                 bar\n\n'
      + 'Conditions:  \n  OK TYPE    AGE REASON\n',
  );
  assert.equal(await ok('source', 'ping', 'create', 'p2', '--data', 'aGVsbG8=', '--sink', 'https://example.com'), "Ping source 'p2' created in namespace 'default'.\n");
  assert.equal(
    await ok('source', 'ping', 'list'),
    'NAME   SCHEDULE      SINK          AGE    CONDITIONS   READY       REASON\n'
      + 'p1     */2 * * * *   ksvc:player   400d   0 OK / 0     <unknown>   <unknown>\n'
      + 'p2                                 400d   0 OK / 0     <unknown>   <unknown>\n',
  );
  assert.match(await ok('source', 'ping', 'describe', 'p2'), /\nDataBase64: {2}aGVsbG8=\n/);
  assert.equal(await ok('source', 'ping', 'update', 'p1', '--ce-override', 'foo-', '--schedule', '* * * * *'), "Ping source 'p1' updated in namespace 'default'.\n");
  const p1 = (await knit.api('GET', '/apis/sources.knative.dev/v1/namespaces/default/pingsources/p1')).json as { spec: Record<string, unknown> };
  assert.equal(p1.spec.schedule, '* * * * *');
  assert.equal(p1.spec.ceOverrides, undefined);
  await fails(['source', 'ping', 'create', 'p3', '--sink', 'player', '--encoding', 'hex'], 'cannot create PingSource "p3" in namespace "default" because: invalid value: hex. Accepted values are: text|base64');

  assert.equal(await ok('source', 'binding', 'create', 'bind1', '--subject', 'Service:serving.knative.dev/v1:player', '--sink', 'broker:example-broker'), "Sink binding 'bind1' created in namespace 'default'.\n");
  assert.equal(await ok('source', 'binding', 'create', 'bind2', '--subject', 'Deployment:apps/v1:app=x,tier=web', '--sink', 'player'), "Sink binding 'bind2' created in namespace 'default'.\n");
  assert.equal(
    await ok('source', 'binding', 'describe', 'bind1'),
    'Name:        bind1\nNamespace:   default\nAge:         1y\nSubject:     \n  Name:      player\n  Resource:  Service (serving.knative.dev/v1)\n'
      + 'Sink:        \n  Name:      example-broker\n  Resource:  Broker (eventing.knative.dev/v1)\n\nConditions:  \n  OK TYPE    AGE REASON\n',
  );
  assert.equal(
    await ok('source', 'binding', 'list'),
    'NAME    SUBJECT                                 SINK                    AGE    CONDITIONS   READY       REASON\n'
      + 'bind1   Service:serving.knative.dev/v1:player   broker:example-broker   400d   0 OK / 0     <unknown>   <unknown>\n'
      + 'bind2   Deployment:apps/v1:app=x,tier=web       ksvc:player             400d   0 OK / 0     <unknown>   <unknown>\n',
  );
  await fails(['source', 'binding', 'create', 'bind3', '--subject', 'Service:player', '--sink', 'player'], "invalid subject argument 'Service:player': not in format kind:api/version:nameOrSelector");
  await fails(['source', 'binding', 'create', 'bind3'], 'required flag(s) "sink", "subject" not set');

  assert.equal(await ok('source', 'apiserver', 'create', 'a1', '--resource', 'Event:v1', '--resource', 'Pod:v1:app=x', '--service-account', 'sa', '--sink', 'broker:example-broker'), "ApiServer source 'a1' created in namespace 'default'.\n");
  assert.equal(
    await ok('source', 'apiserver', 'describe', 'a1'),
    'Name:                a1\nNamespace:           default\nAge:                 1y\nServiceAccountName:  sa\nEventMode:           Reference\n\n'
      + 'Sink:        \n  Name:      example-broker\n  Resource:  Broker (eventing.knative.dev/v1)\n\n'
      + 'Resources:   \n  Kind:      Event (v1)\n  Kind:      Pod (v1)\n  Selector:  app=x\n\nConditions:  \n  OK TYPE    AGE REASON\n',
  );
  assert.match(await ok('source', 'apiserver', 'list'), /^NAME   RESOURCES {15}SINK .*\na1     Event:v1,Pod:v1:app=x   broker:example-broker   400d /);
  await fails(['source', 'apiserver', 'create', 'a2', '--resource', 'Event', '--sink', 'player'], "cannot find 'APIVersion' part in resource specification Event (expected: <kind:apiVersion[:label1=val1,label2=val2,..]>");
  assert.equal(await ok('source', 'apiserver', 'update', 'a1', '--resource', 'Pod:v1:app=x-'), "ApiServer source 'a1' updated in namespace 'default'.\n");
  await fails(['source', 'apiserver', 'update', 'a1', '--resource', 'Pod:v1-'], 'cannot find resources to remove: Pod:v1');

  assert.equal(await ok('source', 'container', 'create', 'c1', '--image', './examples/helloworld', '--env', 'A=b', '--arg', 'x', '--sink', 'player'), "ContainerSource 'c1' created in namespace 'default'.\n");
  assert.equal(
    await ok('source', 'container', 'describe', 'c1'),
    'Name:       c1\nNamespace:  default\nAge:        1y\nContainer:  \n  Image:    ./examples/helloworld\n  Env:      \n    A:      b\n  Args:     \n    x:      \n\n'
      + 'Sink:        \n  Name:      player\n  Resource:  Service (serving.knative.dev/v1)\n\n\nConditions:  \n  OK TYPE    AGE REASON\n',
  );
  assert.match(await ok('source', 'container', 'list'), /\nc1     \.\/examples\/helloworld   ksvc:player   400d /);

  assert.equal(
    await ok('source', 'list'),
    'NAME    TYPE              RESOURCE                               SINK                    READY\n'
      + 'a1      ApiServerSource   apiserversources.sources.knative.dev   broker:example-broker   <unknown>\n'
      + 'bind1   SinkBinding       sinkbindings.sources.knative.dev       broker:example-broker   <unknown>\n'
      + 'bind2   SinkBinding       sinkbindings.sources.knative.dev       ksvc:player             <unknown>\n'
      + 'c1      ContainerSource   containersources.sources.knative.dev   ksvc:player             <unknown>\n'
      + 'p1      PingSource        pingsources.sources.knative.dev        ksvc:player             <unknown>\n'
      + 'p2      PingSource        pingsources.sources.knative.dev        https://example.com     <unknown>\n',
  );
  assert.match(await ok('source', 'list', '--type', 'PingSource'), /^NAME .*\np1 .*\np2 .*\n$/);
  assert.equal(await ok('source', 'list', '-n', 'other'), 'No sources found.\n');
  assert.equal(
    await ok('source', 'list-types'),
    'TYPE              S     NAME                                   DESCRIPTION\n'
      + 'ApiServerSource   X     apiserversources.sources.knative.dev   Watch and send Kubernetes API events to addressable\n'
      + 'ContainerSource   X     containersources.sources.knative.dev   Generate events by Container image and send to addressable\n'
      + 'PingSource        X     pingsources.sources.knative.dev        Send periodically ping events to addressable\n'
      + 'SinkBinding       X     sinkbindings.sources.knative.dev       Binding for connecting a PodSpecable to addressable\n',
  );
  assert.equal(await ok('source', 'ping', 'delete', 'p2'), "Ping source 'p2' deleted in namespace 'default'.\n");
});

test('channel and subscription: create, list, describe, update, delete, errors', async () => {
  assert.equal(await ok('channel', 'create', 'ch1'), "Channel 'ch1' created in namespace 'default'.\n");
  assert.equal(await ok('channel', 'create', 'ch2', '--type', 'messaging.knative.dev:v1:InMemoryChannel'), "Channel 'ch2' created in namespace 'default'.\n");
  await fails(['channel', 'create', 'ch3', '--type', 'kafka'], "unknown channel type alias: 'kafka'");
  const ch2url = 'http://ch2-kn-channel.default.svc.cluster.local';
  await writeStatus('/apis/messaging.knative.dev/v1/namespaces/default/channels', 'ch2', { conditions: [{ type: 'Ready', status: 'True' }], address: { url: ch2url } });
  assert.match(await ok('channel', 'list'), new RegExp(`^NAME   TYPE +URL +AGE +READY +REASON\nch1 .*<unknown>   <unknown>\nch2    InMemoryChannel   ${ch2url.replaceAll('.', '\\.')}   400d   True {8}\n$`));
  assert.equal(
    await ok('channel', 'describe', 'ch2'),
    `Name:       ch2\nNamespace:  default\nAge:        1y\nType:       InMemoryChannel (messaging.knative.dev/v1)\nURL:        ${ch2url}\n\nConditions:  \n  OK TYPE     AGE REASON\n  ++ Ready     1y \n`,
  );
  assert.equal(await ok('channel', 'describe', 'ch2', '-o', 'url'), `${ch2url}\n`);

  assert.equal(await ok('subscription', 'create', 's1', '--channel', 'ch1', '--sink', 'player', '--sink-reply', 'broker:example-broker', '--sink-dead-letter', 'https://dls.example.com'), "Subscription 's1' created in namespace 'default'.\n");
  assert.equal(
    await ok('subscription', 'describe', 's1'),
    'Name:            s1\nNamespace:       default\nAge:             1y\nChannel:         Channel:ch1 (messaging.knative.dev/v1)\n'
      + 'Subscriber:      \n  Name:          player\n  Resource:      Service (serving.knative.dev/v1)\n'
      + 'Reply:           \n  Name:          example-broker\n  Resource:      Broker (eventing.knative.dev/v1)\n'
      + 'DeadLetterSink:  \n  URI:           https://dls.example.com\n\nConditions:  \n  OK TYPE    AGE REASON\n',
  );
  assert.equal(
    await ok('sub', 'list'),
    'NAME   CHANNEL       SUBSCRIBER    REPLY                   DEAD LETTER SINK          READY       REASON\n'
      + 's1     Channel:ch1   ksvc:player   broker:example-broker   https://dls.example.com   <unknown>   <unknown>\n',
  );
  assert.equal(await ok('subscription', 'update', 's1', '--sink', 'https://example.com/sub'), "Subscription 's1' updated in namespace 'default'.\n");
  const s1 = (await knit.api('GET', '/apis/messaging.knative.dev/v1/namespaces/default/subscriptions/s1')).json as { spec: { subscriber: unknown; reply: unknown } };
  assert.deepEqual(s1.spec.subscriber, { uri: 'https://example.com/sub' });
  await fails(['subscription', 'create', 's2'], "'knit subscription create' requires the channel reference provided with --channel flag");
  await fails(['subscription', 'create', 's2', '--channel', 'kafka:k1'], "unknown alias 'kafka' for '--channel', please configure the alias in kn config or specify in the format '--channel Group:Version:Kind:Name'");
  assert.equal(await ok('subscription', 'delete', 's1'), "Subscription 's1' deleted in namespace 'default'.\n");
  assert.equal(await ok('channel', 'delete', 'ch1'), "Channel 'ch1' deleted in namespace 'default'.\n");
});

test("kubectl get shows the Eventing kinds with their CRDs' printer columns", async () => {
  // One object of each kind, so kubectl prints a table (it prints none for an empty list).
  await ok('broker', 'create', 'kc');
  await ok('trigger', 'create', 'kc', '--sink', 'https://example.com');
  await ok('source', 'ping', 'create', 'kc', '--sink', 'https://example.com');
  await ok('source', 'binding', 'create', 'kc', '--subject', 'Deployment:apps/v1:kc', '--sink', 'https://example.com');
  await ok('channel', 'create', 'kc');
  await ok('subscription', 'create', 'kc', '--channel', 'kc', '--sink', 'https://example.com');
  for (const [resource, file] of [['brokers', 'broker.yaml'], ['triggers', 'trigger.yaml'], ['pingsources', 'pingsource.yaml'], ['sinkbindings', 'sinkbindings.yaml'], ['subscriptions', 'subscription.yaml']] as const) {
    const crd = knativeCrd(`eventing/${file}`);
    const version = crd.spec.versions.find((v) => v.served && (v as { storage?: boolean }).storage) ?? crd.spec.versions[0];
    const want = ['NAME', ...(version.additionalPrinterColumns ?? []).filter((c) => !c.priority).map((c) => c.name.toUpperCase())];
    const r = await knit.kubectl(['get', resource]);
    assert.equal(r.code, 0, r.stderr);
    const header = r.stdout.split('\n')[0].trim().split(/\s{2,}/);
    assert.deepEqual(header, want, resource);
  }
});

test("kn's config file: eventing.sink-mappings prefixes and channel-type-mappings aliases", async () => {
  const config = `${knit.dataDir}/kn-config.yaml`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(config, 'eventing:\n  sink-mappings:\n  - prefix: brk\n    group: eventing.knative.dev\n    version: v1\n    resource: brokers\n  channel-type-mappings:\n  - alias: memory\n    kind: InMemoryChannel\n    group: messaging.knative.dev\n    version: v1\n');
  assert.equal(await ok('trigger', 'create', 'mapped', '--sink', 'brk:example-broker', '--config', config), "Trigger 'mapped' successfully created in namespace 'default'.\n");
  const t = (await knit.api('GET', `${TRIGGERS}/mapped`)).json as { spec: { subscriber: unknown } };
  assert.deepEqual(t.spec.subscriber, { ref: { kind: 'Broker', apiVersion: 'eventing.knative.dev/v1', name: 'example-broker', namespace: 'default' } });
  await fails(['trigger', 'create', 'unmapped', '--sink', 'brk:example-broker'], "cannot create trigger 'unmapped' in namespace 'default' because: the server could not find the requested resource");
  assert.equal(await ok('channel', 'create', 'mem', '--type', 'memory', '--config', config), "Channel 'mem' created in namespace 'default'.\n");
  const ch = (await knit.api('GET', '/apis/messaging.knative.dev/v1/namespaces/default/channels/mem')).json as { spec: { channelTemplate: unknown } };
  assert.deepEqual(ch.spec.channelTemplate, { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel' });
});
