// Eventing's webhook through a real `knit serve`: a Trigger with an invalid CESQL filter and a bad
// subscriber is refused 400 with Knative's field errors and nothing is stored; a valid one is stored with
// Knative's defaults (filter {}, subscriber namespace, broker label); spec.broker is immutable; a Broker
// gets its class annotation and the cluster default config and delivery.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { KnitServer } from './harness.ts';

const TRIGGERS = '/apis/eventing.knative.dev/v1/namespaces/default/triggers';

test('eventing admission: refusals carry Knative messages, defaults are stored', async (t) => {
  const server = new KnitServer();
  t.after(() => server.cleanup());
  await server.start();

  const bad = await server.api('POST', TRIGGERS, {
    apiVersion: 'eventing.knative.dev/v1',
    kind: 'Trigger',
    metadata: { name: 'bad' },
    spec: { broker: 'default', filters: [{ cesql: "type = 'a' AND" }], subscriber: { uri: '/relative' } },
  });
  assert.equal(bad.status, 400, JSON.stringify(bad.json));
  const status = bad.json as { kind: string; reason: string; message: string };
  assert.equal(status.kind, 'Status');
  assert.equal(status.reason, 'BadRequest');
  assert.match(status.message, /^admission webhook "validation\.webhook\.eventing\.knative\.dev" denied the request: validation failed: /);
  assert.ok(status.message.includes("invalid value: type = 'a' AND: spec.filters[0].cesql\nparse error: syntax error:"), status.message);
  assert.ok(status.message.includes('invalid value: Relative URI is not allowed when Ref and [apiVersion, kind, name] is absent: spec.subscriber.uri'), status.message);
  const gone = await server.api('GET', `${TRIGGERS}/bad`);
  assert.equal(gone.status, 404);

  const notObject = await server.api('POST', TRIGGERS, { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 'typo' }, spec: 'broker: default' });
  assert.equal(notObject.status, 400);
  assert.equal((notObject.json as { message: string }).message, 'admission webhook "webhook.eventing.knative.dev" denied the request: cannot decode incoming new object: json: cannot unmarshal string into Go struct field Trigger.spec of type v1.TriggerSpec');

  const ok = await server.api('POST', TRIGGERS, {
    apiVersion: 'eventing.knative.dev/v1',
    kind: 'Trigger',
    metadata: { name: 'good' },
    spec: { broker: 'default', subscriber: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'display' } } },
  });
  assert.equal(ok.status, 201, JSON.stringify(ok.json));
  const stored = (await server.api('GET', `${TRIGGERS}/good`)).json as { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
  assert.deepEqual(stored.spec.filter, {});
  assert.equal((stored.spec.subscriber as { ref: { namespace: string } }).ref.namespace, 'default');
  assert.equal(stored.metadata.labels['eventing.knative.dev/broker'], 'default');

  const moved = await server.api('PATCH', `${TRIGGERS}/good`, { spec: { broker: 'other' } });
  assert.equal(moved.status, 400, JSON.stringify(moved.json));
  assert.ok((moved.json as { message: string }).message.includes('Immutable fields changed (-old +new): broker, spec\n{string}:\n\t-: "default"\n\t+: "other"'), JSON.stringify(moved.json));

  const br = await server.api('POST', '/apis/eventing.knative.dev/v1/namespaces/default/brokers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'default' } });
  assert.equal(br.status, 201, JSON.stringify(br.json));
  const b = br.json as { metadata: { annotations: Record<string, string> }; spec: { config: unknown; delivery: unknown } };
  assert.equal(b.metadata.annotations['eventing.knative.dev/broker.class'], 'MTChannelBasedBroker');
  assert.deepEqual(b.spec.config, { apiVersion: 'v1', kind: 'ConfigMap', name: 'config-br-default-channel', namespace: 'knative-eventing' });
  assert.deepEqual(b.spec.delivery, { retry: 10, backoffPolicy: 'exponential', backoffDelay: 'PT0.2S' });

  // kubectl shows the webhook's text as kube-apiserver relays a denial.
  const file = path.join(server.dataDir, 'ping.yaml');
  fs.writeFileSync(file, [
    'apiVersion: sources.knative.dev/v1',
    'kind: PingSource',
    'metadata: {name: tick, namespace: default}',
    'spec:',
    '  schedule: "*/5 * * *"',
    '  sink: {uri: "http://sink.default.svc.cluster.local"}',
    '',
  ].join('\n'));
  const applied = await server.kubectl(['apply', '-f', file]);
  assert.notEqual(applied.code, 0, applied.stdout);
  assert.ok(applied.stderr.includes('admission webhook "validation.webhook.eventing.knative.dev" denied the request: validation failed: invalid value: expected 5 to 6 fields, found 4: [*/5 * * *]: spec.schedule'), applied.stderr);
  assert.equal((await server.api('GET', '/apis/sources.knative.dev/v1/namespaces/default/pingsources/tick')).status, 404);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('*/5 * * *', '*/5 * * * *'));
  const fixed = await server.kubectl(['apply', '-f', file]);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stdout, /pingsource\.sources\.knative\.dev\/tick created/);
});
