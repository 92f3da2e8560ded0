// knit's Eventing commands (broker, trigger, channel, subscription, source …) against a real `knit serve`: kn's
// messages, what each command writes, table columns and describe sections, -o json|yaml|name|url|jsonpath, -A,
// --no-headers, kn's error texts, kn's config file mappings, and kubectl's columns for the same kinds (the CRDs'
// additionalPrinterColumns). The byte-for-byte layouts are src/cli/eventing/printers.test.ts.

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

const BROKERS = '/apis/eventing.knative.dev/v1/namespaces/default/brokers';
const TRIGGERS = '/apis/eventing.knative.dev/v1/namespaces/default/triggers';

// Controllers (when this branch has them) write statuses and defaults; the byte-for-byte layouts of both are in
// src/cli/eventing/printers.test.ts, so these checks leave out what a controller or webhook may change.

/** One table row: the cells, split on the tabwriter's gaps. */
function row(out: string, name: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no row ${name} in:\n${out}`);
  return line.split(/ {3,}/);
}

function header(out: string): string[] {
  return out.split('\n')[0].trim().split(/ {3,}/);
}

test('broker: create, list, describe, -o formats, update, delete, errors', async () => {
  assert.equal(await ok('broker', 'create', 'example-broker'), "Broker 'example-broker' successfully created in namespace 'default'.\n");
  assert.equal(
    await ok('broker', 'create', 'b2', '--class', 'MTChannelBasedBroker', '--retry', '3', '--backoff-policy', 'linear', '--backoff-delay', 'PT1S', '--dl-sink', 'https://dls.example.com/x'),
    "Broker 'b2' successfully created in namespace 'default'.\n",
  );
  const b2 = (await knit.api('GET', `${BROKERS}/b2`)).json as { metadata: { annotations: Record<string, string> }; spec: { delivery: unknown } };
  assert.equal(b2.metadata.annotations['eventing.knative.dev/broker.class'], 'MTChannelBasedBroker');
  assert.deepEqual(b2.spec.delivery, { deadLetterSink: { uri: 'https://dls.example.com/x' }, retry: 3, backoffPolicy: 'linear', backoffDelay: 'PT1S' });

  const listed = await ok('broker', 'list');
  assert.deepEqual(header(listed), ['NAME', 'URL', 'AGE', 'CONDITIONS', 'READY', 'REASON']);
  assert.deepEqual(row(listed, 'b2').slice(0, 1), ['b2']);
  assert.match(listed, /\nb2 .* 400d .*\nexample-broker .* 400d /);
  assert.match(await ok('broker', 'describe', 'example-broker'), /^Name:\s+example-broker\nNamespace:\s+default\n(.*\n)*Age:\s+1y\n\nAddress:\s+\n {2}URL:\s+.*\n\nConditions:\s+\n {2}OK TYPE\s+AGE REASON\n/);

  const obj = (await knit.api('GET', `${BROKERS}/example-broker`)).json as { status?: { address?: { url?: string } } };
  assert.equal(await ok('broker', 'describe', 'example-broker', '-o', 'url'), `${obj.status?.address?.url ?? ''}\n`);
  assert.equal(await ok('broker', 'describe', 'example-broker', '-o', 'name'), 'broker.eventing.knative.dev/example-broker\n');
  const doc = JSON.parse(await ok('broker', 'describe', 'example-broker', '-o', 'json')) as { kind: string; apiVersion: string; metadata: { name: string } };
  assert.deepEqual([doc.kind, doc.apiVersion, doc.metadata.name], ['Broker', 'eventing.knative.dev/v1', 'example-broker']);
  assert.match(await ok('broker', 'list', '-o', 'yaml'), /^apiVersion: eventing\.knative\.dev\/v1\nitems:\n- apiVersion: eventing\.knative\.dev\/v1\n {2}kind: Broker\n/);
  assert.match(await ok('broker', 'list', '-o', 'yaml'), /\nkind: BrokerList\n/);
  assert.doesNotMatch(await ok('broker', 'describe', 'example-broker', '-o', 'yaml'), /managedFields/);
  assert.doesNotMatch(await ok('broker', 'list', '-o', 'json'), /managedFields/);
  assert.match(await ok('broker', 'describe', 'example-broker', '-o', 'yaml', '--show-managed-fields'), /\n {2}managedFields:\n/);
  assert.equal(await ok('broker', 'list', '-o', 'jsonpath={.items[*].metadata.name}'), 'b2 example-broker');
  assert.match(await ok('broker', 'list', '--no-headers'), /^b2 .*\nexample-broker .*\n$/);
  assert.match(await ok('broker', 'list', '-A'), /^NAMESPACE {3}NAME {13}URL .*\ndefault {5}b2 .*\ndefault {5}example-broker /);
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
  await ok('broker', 'create', 'bw');
  assert.equal(await ok('broker', 'delete', 'bw', '--wait', '--wait-timeout', '30'), "Broker 'bw' successfully deleted in namespace 'default'.\n");
  assert.equal((await knit.api('GET', `${BROKERS}/bw`)).status, 404);
  await fails(['broker', 'delete', 'nope'], "cannot delete broker 'nope' in namespace 'default' because: brokers.eventing.knative.dev \"nope\" not found");
});

test('trigger: create with --filter and --sink forms, list, describe, update, delete, errors', async () => {
  await ok('service', 'create', 'player', '--image', './examples/helloworld', '--no-wait');
  assert.equal(await ok('trigger', 'create', 't1', '--broker', 'example-broker', '--sink', 'player', '--filter', 'type=dev.knative.foo'), "Trigger 't1' successfully created in namespace 'default'.\n");
  assert.equal(await ok('trigger', 'create', 't2', '--sink', 'https://example.com/hook'), "Trigger 't2' successfully created in namespace 'default'.\n");
  assert.equal(await ok('trigger', 'create', 't3', '--sink', 'broker:example-broker', '--broker', 'example-broker'), "Trigger 't3' successfully created in namespace 'default'.\n");
  const t1spec = ((await knit.api('GET', `${TRIGGERS}/t1`)).json as { spec: { broker: string; filter: unknown; subscriber: unknown } }).spec;
  assert.deepEqual([t1spec.broker, t1spec.filter, t1spec.subscriber], ['example-broker', { attributes: { type: 'dev.knative.foo' } }, { ref: { kind: 'Service', apiVersion: 'serving.knative.dev/v1', name: 'player', namespace: 'default' } }]);
  const t2spec = ((await knit.api('GET', `${TRIGGERS}/t2`)).json as { spec: { broker: string; subscriber: unknown } }).spec;
  assert.deepEqual([t2spec.broker, t2spec.subscriber], ['default', { uri: 'https://example.com/hook' }]);

  const listed = await ok('trigger', 'list');
  assert.deepEqual(header(listed), ['NAME', 'BROKER', 'SINK', 'AGE', 'CONDITIONS', 'READY', 'REASON']);
  assert.deepEqual(row(listed, 't1').slice(0, 4), ['t1', 'example-broker', 'ksvc:player', '400d']);
  assert.deepEqual(row(listed, 't2').slice(0, 4), ['t2', 'default', 'https://example.com/hook', '400d']);
  assert.deepEqual(row(listed, 't3').slice(0, 4), ['t3', 'example-broker', 'broker:example-broker', '400d']);
  assert.match(
    await ok('trigger', 'describe', 't1'),
    /^Name:\s+t1\nNamespace:\s+default\n(.*\n)*Age:\s+1y\nBroker:\s+example-broker\nFilter:\s+\n {2}type:\s+dev\.knative\.foo\n\nSink:\s+\n {2}Name:\s+player\n {2}Resource:\s+Service \(serving\.knative\.dev\/v1\)\n\nConditions:\s+\n/,
  );

  assert.equal(await ok('trigger', 'update', 't1', '--filter', 'type-', '--filter', 'source=s1', '--sink', 'https://example.com/other'), "Trigger 't1' updated in namespace 'default'.\n");
  const t1 = ((await knit.api('GET', `${TRIGGERS}/t1`)).json as { spec: { filter: unknown; subscriber: unknown } }).spec;
  assert.deepEqual([t1.filter, t1.subscriber], [{ attributes: { source: 's1' } }, { uri: 'https://example.com/other' }]);

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
  assert.match(
    await ok('source', 'ping', 'describe', 'p1'),
    /^Name:\s+p1\nNamespace:\s+default\n(.*\n)*Age:\s+1y\nSchedule:\s+\*\/2 \* \* \* \*\nData:\s+\{"value":"hello"\}\n\nSink:\s+\n {2}Name:\s+player\n {2}Resource:\s+Service \(serving\.knative\.dev\/v1\)\n\nCloudEvent Overrides:\s+\n {2}foo:\s+bar\n\nConditions:\s+\n/,
  );
  assert.equal(await ok('source', 'ping', 'create', 'p2', '--data', 'aGVsbG8=', '--sink', 'https://example.com'), "Ping source 'p2' created in namespace 'default'.\n");
  const pings = await ok('source', 'ping', 'list');
  assert.deepEqual(header(pings), ['NAME', 'SCHEDULE', 'SINK', 'AGE', 'CONDITIONS', 'READY', 'REASON']);
  assert.deepEqual(row(pings, 'p1').slice(0, 4), ['p1', '*/2 * * * *', 'ksvc:player', '400d']);
  assert.match(await ok('source', 'ping', 'describe', 'p2'), /\nDataBase64: {2}aGVsbG8=\n/);
  assert.equal(await ok('source', 'ping', 'update', 'p1', '--ce-override', 'foo-', '--schedule', '* * * * *'), "Ping source 'p1' updated in namespace 'default'.\n");
  const p1 = (await knit.api('GET', '/apis/sources.knative.dev/v1/namespaces/default/pingsources/p1')).json as { spec: Record<string, unknown> };
  assert.equal(p1.spec.schedule, '* * * * *');
  assert.equal(p1.spec.ceOverrides, undefined);
  await fails(['source', 'ping', 'create', 'p3', '--sink', 'player', '--encoding', 'hex'], 'cannot create PingSource "p3" in namespace "default" because: invalid value: hex. Accepted values are: text|base64');

  assert.equal(await ok('source', 'binding', 'create', 'bind1', '--subject', 'Service:serving.knative.dev/v1:player', '--sink', 'broker:example-broker'), "Sink binding 'bind1' created in namespace 'default'.\n");
  assert.equal(await ok('source', 'binding', 'create', 'bind2', '--subject', 'Deployment:apps/v1:app=x,tier=web', '--sink', 'player'), "Sink binding 'bind2' created in namespace 'default'.\n");
  const bind2 = (await knit.api('GET', '/apis/sources.knative.dev/v1/namespaces/default/sinkbindings/bind2')).json as { spec: { subject: unknown } };
  assert.deepEqual(bind2.spec.subject, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', selector: { matchLabels: { app: 'x', tier: 'web' } } });
  assert.match(
    await ok('source', 'binding', 'describe', 'bind1'),
    /^Name:\s+bind1\nNamespace:\s+default\n(.*\n)*Age:\s+1y\nSubject:\s+\n {2}Name:\s+player\n {2}Resource:\s+Service \(serving\.knative\.dev\/v1\)\nSink:\s+\n {2}Name:\s+example-broker\n {2}Resource:\s+Broker \(eventing\.knative\.dev\/v1\)\n\nConditions:\s+\n/,
  );
  const bindings = await ok('source', 'binding', 'list');
  assert.deepEqual(row(bindings, 'bind1').slice(0, 3), ['bind1', 'Service:serving.knative.dev/v1:player', 'broker:example-broker']);
  assert.deepEqual(row(bindings, 'bind2').slice(0, 3), ['bind2', 'Deployment:apps/v1:app=x,tier=web', 'ksvc:player']);
  await fails(['source', 'binding', 'create', 'bind3', '--subject', 'Service:player', '--sink', 'player'], "invalid subject argument 'Service:player': not in format kind:api/version:nameOrSelector");
  await fails(['source', 'binding', 'create', 'bind3'], 'required flag(s) "sink", "subject" not set');

  assert.equal(await ok('source', 'apiserver', 'create', 'a1', '--resource', 'Event:v1', '--resource', 'Pod:v1:app=x', '--service-account', 'sa', '--sink', 'broker:example-broker'), "ApiServer source 'a1' created in namespace 'default'.\n");
  assert.match(
    await ok('source', 'apiserver', 'describe', 'a1'),
    /^Name:\s+a1\nNamespace:\s+default\n(.*\n)*Age:\s+1y\nServiceAccountName:\s+sa\nEventMode:\s+Reference\n\nSink:\s+\n {2}Name:\s+example-broker\n {2}Resource:\s+Broker \(eventing\.knative\.dev\/v1\)\n\nResources:\s+\n {2}Kind:\s+Event \(v1\)\n {2}Kind:\s+Pod \(v1\)\n {2}Selector:\s+app=x\n\nConditions:\s+\n/,
  );
  assert.deepEqual(row(await ok('source', 'apiserver', 'list'), 'a1').slice(0, 4), ['a1', 'Event:v1,Pod:v1:app=x', 'broker:example-broker', '400d']);
  await fails(['source', 'apiserver', 'create', 'a2', '--resource', 'Event', '--sink', 'player'], "cannot find 'APIVersion' part in resource specification Event (expected: <kind:apiVersion[:label1=val1,label2=val2,..]>");
  assert.equal(await ok('source', 'apiserver', 'update', 'a1', '--resource', 'Pod:v1:app=x-'), "ApiServer source 'a1' updated in namespace 'default'.\n");
  const a1 = (await knit.api('GET', '/apis/sources.knative.dev/v1/namespaces/default/apiserversources/a1')).json as { spec: { resources: unknown } };
  assert.deepEqual(a1.spec.resources, [{ kind: 'Event', apiVersion: 'v1' }]);
  await fails(['source', 'apiserver', 'update', 'a1', '--resource', 'Pod:v1-'], 'cannot find resources to remove: Pod:v1');

  assert.equal(await ok('source', 'container', 'create', 'c1', '--image', './examples/helloworld', '--env', 'A=b', '--arg', 'x', '--sink', 'player'), "ContainerSource 'c1' created in namespace 'default'.\n");
  assert.match(
    await ok('source', 'container', 'describe', 'c1'),
    /^Name:\s+c1\nNamespace:\s+default\n(.*\n)*Age:\s+1y\nContainer:\s+\n {2}Image:\s+\.\/examples\/helloworld\n {2}Env:\s+\n {4}A:\s+b\n {2}Args:\s+\n {4}x:\s+\n\nSink:\s+\n {2}Name:\s+player\n/,
  );
  assert.deepEqual(row(await ok('source', 'container', 'list'), 'c1').slice(0, 4), ['c1', './examples/helloworld', 'ksvc:player', '400d']);
  assert.equal(await ok('source', 'container', 'update', 'c1', '--env', 'A-', '--env', 'B=c'), "Container source 'c1' updated in namespace 'default'.\n");
  const c1 = (await knit.api('GET', '/apis/sources.knative.dev/v1/namespaces/default/containersources/c1')).json as { spec: { template: { spec: { containers: { env?: unknown }[] } } } };
  assert.deepEqual(c1.spec.template.spec.containers[0].env, [{ name: 'B', value: 'c' }]);
  await fails(['source', 'container', 'create', 'c2', '--sink', 'player'], 'required flag(s) "image" not set');

  const sources = await ok('source', 'list');
  assert.deepEqual(header(sources), ['NAME', 'TYPE', 'RESOURCE', 'SINK', 'READY']);
  assert.deepEqual(
    sources.trim().split('\n').slice(1).map((l) => l.split(/ {3,}/).slice(0, 4)),
    [
      ['a1', 'ApiServerSource', 'apiserversources.sources.knative.dev', 'broker:example-broker'],
      ['bind1', 'SinkBinding', 'sinkbindings.sources.knative.dev', 'broker:example-broker'],
      ['bind2', 'SinkBinding', 'sinkbindings.sources.knative.dev', 'ksvc:player'],
      ['c1', 'ContainerSource', 'containersources.sources.knative.dev', 'ksvc:player'],
      ['p1', 'PingSource', 'pingsources.sources.knative.dev', 'ksvc:player'],
      ['p2', 'PingSource', 'pingsources.sources.knative.dev', 'https://example.com'],
    ],
  );
  assert.match(await ok('source', 'list', '--type', 'PingSource'), /^NAME .*\np1 .*\np2 .*\n$/);
  assert.equal(await ok('source', 'list', '-n', 'other'), 'No sources found.\n');
  assert.match((await ok('source', 'list', '-o', 'yaml')), /^apiVersion: client\.knative\.dev\/v1alpha1\nitems:\n/);
  assert.equal(
    await ok('source', 'list-types'),
    'TYPE              S     NAME                                   DESCRIPTION\n'
      + 'ApiServerSource   X     apiserversources.sources.knative.dev   Watch and send Kubernetes API events to addressable\n'
      + 'ContainerSource   X     containersources.sources.knative.dev   Generate events by Container image and send to addressable\n'
      + 'PingSource        X     pingsources.sources.knative.dev        Send periodically ping events to addressable\n'
      + 'SinkBinding       X     sinkbindings.sources.knative.dev       Binding for connecting a PodSpecable to addressable\n',
  );
  assert.match(await ok('source', 'list-types', '-o', 'yaml'), /^apiVersion: apiextensions\.k8s\.io\/v1\nitems:\n- metadata:\n {4}name: apiserversources\.sources\.knative\.dev\n/);
  assert.equal(await ok('source', 'ping', 'delete', 'p2'), "Ping source 'p2' deleted in namespace 'default'.\n");
  assert.equal(await ok('source', 'container', 'delete', 'c1'), "ContainerSource 'c1' deleted in namespace 'default'.\n");
});

test('channel and subscription: create, list, describe, update, delete, errors', async () => {
  assert.equal(await ok('channel', 'create', 'ch1'), "Channel 'ch1' created in namespace 'default'.\n");
  assert.equal(await ok('channel', 'create', 'ch2', '--type', 'messaging.knative.dev:v1:InMemoryChannel'), "Channel 'ch2' created in namespace 'default'.\n");
  const ch2 = (await knit.api('GET', '/apis/messaging.knative.dev/v1/namespaces/default/channels/ch2')).json as { spec: { channelTemplate: unknown } };
  assert.deepEqual(ch2.spec.channelTemplate, { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel' });
  await fails(['channel', 'create', 'ch3', '--type', 'kafka'], "unknown channel type alias: 'kafka'");
  const channels = await ok('channel', 'list');
  assert.deepEqual(header(channels), ['NAME', 'TYPE', 'URL', 'AGE', 'READY', 'REASON']);
  assert.deepEqual(row(channels, 'ch2').slice(0, 2), ['ch2', 'InMemoryChannel']);
  assert.match(await ok('channel', 'describe', 'ch2'), /^Name:\s+ch2\nNamespace:\s+default\n(.*\n)*Age:\s+1y\nType:\s+InMemoryChannel \(messaging\.knative\.dev\/v1\)\n(URL:\s+\S+\n)?\nConditions:\s+\n/);
  const obj = (await knit.api('GET', '/apis/messaging.knative.dev/v1/namespaces/default/channels/ch2')).json as { status?: { address?: { url?: string } } };
  if (obj.status?.address) assert.equal(await ok('channel', 'describe', 'ch2', '-o', 'url'), `${obj.status.address.url ?? ''}\n`);

  assert.equal(await ok('subscription', 'create', 's1', '--channel', 'ch1', '--sink', 'player', '--sink-reply', 'broker:example-broker', '--sink-dead-letter', 'https://dls.example.com'), "Subscription 's1' created in namespace 'default'.\n");
  assert.match(
    await ok('subscription', 'describe', 's1'),
    /^Name:\s+s1\nNamespace:\s+default\n(.*\n)*Age:\s+1y\nChannel:\s+Channel:ch1 \(messaging\.knative\.dev\/v1\)\nSubscriber:\s+\n {2}Name:\s+player\n {2}Resource:\s+Service \(serving\.knative\.dev\/v1\)\nReply:\s+\n {2}Name:\s+example-broker\n {2}Resource:\s+Broker \(eventing\.knative\.dev\/v1\)\nDeadLetterSink:\s+\n {2}URI:\s+https:\/\/dls\.example\.com\n\nConditions:\s+\n/,
  );
  const subs = await ok('sub', 'list');
  assert.deepEqual(header(subs), ['NAME', 'CHANNEL', 'SUBSCRIBER', 'REPLY', 'DEAD LETTER SINK', 'READY', 'REASON']);
  assert.deepEqual(row(subs, 's1').slice(0, 5), ['s1', 'Channel:ch1', 'ksvc:player', 'broker:example-broker', 'https://dls.example.com']);
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
