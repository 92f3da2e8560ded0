// The Knative Eventing getting-started tutorial (knative.dev docs: "Your first Broker", "Your first source",
// "Your first Trigger") with knit's kn-compatible commands against a real `knit serve`: a broker, the
// cloudevents-player service bound to it by a SinkBinding, an event sent from the player reaching the broker,
// and, once the trigger exists, the player receiving its own events back.
// test/fixtures/cloudevents-player stands in for the tutorial's player image.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { FIXTURES, KnitServer, eventually } from './harness.ts';

const PLAYER_HOST = 'cloudevents-player.default.example.com';
let knit: KnitServer;

before(async () => {
  knit = await new KnitServer().start();
});

after(async () => {
  await knit?.cleanup();
});

/** A request with a body through the external gateway with the player's Host. */
function playerRequest(method: string, pathname: string, body?: unknown): Promise<{ status: number; body: string }> {
  const u = new URL(knit.endpoints.http);
  const text = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: Number(u.port), method, path: pathname, headers: { host: PLAYER_HOST, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }, agent: false }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (out += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

interface Message {
  direction: 'SENT' | 'RECEIVED';
  event: { id: string; type: string; source: string; data?: unknown };
  status?: number;
}

async function messages(): Promise<Message[]> {
  const r = await playerRequest('GET', '/messages');
  return r.status === 200 ? (JSON.parse(r.body) as Message[]) : [];
}

/** `knit <kind> list` until NAME's READY column is True. */
async function listedReady(args: string[], name: string): Promise<string> {
  return eventually(`${args.join(' ')} shows ${name} Ready`, async () => {
    const r = await knit.knit(args);
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${name} `));
    return line && /\sTrue\s/.test(`${line} `) ? line : undefined;
  }, 60_000, 250);
}

test('getting started: broker, cloudevents-player, sink binding, trigger; events go round', async () => {
  // Your first Broker.
  let r = await knit.knit(['broker', 'create', 'example-broker']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "Broker 'example-broker' successfully created in namespace 'default'.\n");
  const brokerLine = await listedReady(['broker', 'list'], 'example-broker');
  assert.match(brokerLine, /^example-broker\s+http:\/\/broker-ingress\.knative-eventing\.svc\.cluster\.local\/default\/example-broker\s+\S+\s+\d+ OK \/ \d+\s+True\s*$/);

  // Your first source: the player, and a SinkBinding pointing it at the broker.
  r = await knit.knit(['service', 'create', 'cloudevents-player', '--image', path.join(FIXTURES, 'cloudevents-player'), '--env', 'PLAYER_MODE=KNATIVE']);
  assert.equal(r.code, 0, r.stderr);
  r = await knit.knit(['source', 'binding', 'create', 'ce-player-binding', '--subject', 'Service:serving.knative.dev/v1:cloudevents-player', '--sink', 'broker:example-broker']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "Sink binding 'ce-player-binding' created in namespace 'default'.\n");
  const bindingLine = await listedReady(['source', 'binding', 'list'], 'ce-player-binding');
  assert.match(bindingLine, /^ce-player-binding\s+Service:serving\.knative\.dev\/v1:cloudevents-player\s+broker:example-broker\s/);
  const sourceList = await knit.knit(['source', 'list']);
  assert.match(sourceList.stdout, /\nce-player-binding\s+SinkBinding\s+sinkbindings\.sources\.knative\.dev\s+broker:example-broker\s+True\s*\n/);

  // The binding gave the player K_SINK (a new revision); sending from it reaches the broker (202).
  const first = await eventually('the player sends to the broker', async () => {
    const s = await playerRequest('POST', '/messages', { id: 'tutorial-1', type: 'some-type', source: 'example', data: { message: 'Hello, Knative!' } });
    return s.status === 202 ? s : undefined;
  }, 60_000, 250);
  assert.equal((JSON.parse(first.body) as { status: number }).status, 202);

  // Your first Trigger: everything the broker gets goes to the player.
  r = await knit.knit(['trigger', 'create', 'cloudevents-trigger', '--sink', 'cloudevents-player', '--broker', 'example-broker']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "Trigger 'cloudevents-trigger' successfully created in namespace 'default'.\n");
  const triggerLine = await listedReady(['trigger', 'list'], 'cloudevents-trigger');
  assert.match(triggerLine, /^cloudevents-trigger\s+example-broker\s+ksvc:cloudevents-player\s+\S+\s+\d+ OK \/ \d+\s+True\s*$/);

  const sent = await playerRequest('POST', '/messages', { id: 'tutorial-2', type: 'some-type', source: 'example', data: { message: 'Hello again' } });
  assert.equal(sent.status, 202, sent.body);
  const received = await eventually('the player receives its event through the trigger', async () => (await messages()).find((m) => m.direction === 'RECEIVED' && m.event.id === 'tutorial-2'), 30_000, 200);
  assert.equal(received.event.type, 'some-type');
  assert.equal(received.event.source, 'example');
  assert.deepEqual(received.event.data, { message: 'Hello again' });
  // Sent before the trigger existed: the broker had no one to deliver it to.
  assert.ok(!(await messages()).some((m) => m.direction === 'RECEIVED' && m.event.id === 'tutorial-1'));

  const describe = await knit.knit(['trigger', 'describe', 'cloudevents-trigger']);
  assert.match(describe.stdout, /^Name:\s+cloudevents-trigger\nNamespace:\s+default\n(.*\n)*Broker:\s+example-broker\n\nSink:\s*\n {2}Name:\s+cloudevents-player\n {2}Resource:\s+Service \(serving\.knative\.dev\/v1\)\n\nConditions:\s*\n {2}OK TYPE\s+AGE REASON\n {2}\+\+ Ready\s/);
});
