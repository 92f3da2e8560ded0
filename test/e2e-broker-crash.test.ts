// Broker durability: `knit serve` is SIGKILLed right after its ingress answered 202, 20 times in a row; after each
// restart the event is delivered (at least once, never lost), including retries that were waiting at the kill.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { KnitServer, eventually } from './harness.ts';
import { EventSink, ceHeaders, postToBroker } from './eventing-sink.ts';

let knit: KnitServer | undefined;
let s: EventSink | undefined;

after(async () => {
  await s?.close();
  await knit?.cleanup();
});

test('20 kill -9s right after a 202: every accepted event is delivered after the restart', async () => {
  s = await new EventSink().start();
  const sink = s;
  // Odd events fail their first attempt, so at the kill their retry is waiting in the queue.
  const failedOnce = new Set<string>();
  sink.respond = (r) => {
    const id = r.event.attributes.id;
    const n = Number(id.split('-')[1]);
    if (n % 2 === 1 && !failedOnce.has(id)) {
      failedOnce.add(id);
      return { status: 503 };
    }
    return { status: 202 };
  };
  knit = new KnitServer();
  const k = await knit.start();
  const mk = async (kind: string, body: unknown) => assert.equal((await k.api('POST', `/apis/eventing.knative.dev/v1/namespaces/default/${kind}`, body)).status, 201);
  await mk('brokers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'durable' }, spec: { delivery: { retry: 5, backoffPolicy: 'exponential', backoffDelay: 'PT0.3S' } } });
  await mk('triggers', { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 'all' }, spec: { broker: 'durable', subscriber: { uri: sink.url } } });
  await eventually('the trigger Ready', async () => ((await k.api('GET', '/apis/eventing.knative.dev/v1/namespaces/default/triggers/all')).json as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  const t0 = Date.now();
  for (let i = 0; i < 20; i++) {
    const id = `crash-${i}`;
    const r = await postToBroker(k.endpoints.localHttp, '/default/durable', ceHeaders(id, 'durable.test'), `{"i":${i}}`);
    assert.equal(r.status, 202, `round ${i}: ${r.body}`);
    await k.stop('SIGKILL');
    await k.start();
    await eventually(`round ${i}: ${id} delivered after the restart`, () => sink.received.some((x) => x.event.attributes.id === id && (i % 2 === 0 || failedOnce.has(id)) && (i % 2 === 0 || sink.withId(id).length >= 2)), 10_000);
  }
  const took = Date.now() - t0;
  for (let i = 0; i < 20; i++) assert.ok(sink.withId(`crash-${i}`).length >= 1, `crash-${i} lost`);
  assert.ok(took < 60_000, `20 rounds took ${took} ms`);
});
