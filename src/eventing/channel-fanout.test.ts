// The channels' fan-out on the delivery engine with a real SQLite store and queue, an injected clock and a
// recording sender: one row per subscriber, replies to the replyUri, retries then the dead-letter sink,
// rows of a removed subscriber or re-created channel dropped, and what a restart finds in the queue.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store, type StoredObject } from '../store/store.ts';
import { IMC_RESOURCE, type ChannelSubscriber, type InMemoryChannel } from './channel.ts';
import { ChannelDeliveries } from './channel-fanout.ts';
import type { EventRecord } from './cloudevents.ts';
import { BrokerDelivery, type Clock } from './delivery.ts';
import { DeliveryQueue } from './queue.ts';
import type { SinkResponse } from './send.ts';

/** A clock whose timers fire only when the test advances it. */
class ManualClock implements Clock {
  t = 1_000_000;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const h = { at: this.t + ms, fn };
    this.timers.push(h);
    return h;
  }
  clearTimer(h: unknown): void {
    this.timers = this.timers.filter((x) => x !== h);
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const d of due) d.fn();
  }
}

interface Sent {
  url: string;
  event: EventRecord;
}

function setup(t: { after(fn: () => void): void }, answer: (url: string, event: EventRecord) => SinkResponse) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-fanout-'));
  const store = new Store(path.join(dir, 'knit.db'));
  const clock = new ManualClock();
  const sent: Sent[] = [];
  const open = (): ChannelDeliveries =>
    new ChannelDeliveries({ store }, (route) => new BrokerDelivery({ store, queue: new DeliveryQueue(path.join(dir, 'channels.db')), clock, route, send: async (url, event) => (sent.push({ url, event }), answer(url, event)) }), () => clock.now());
  const fanout = open();
  t.after(() => {
    fanout.stop();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const imc = (subscribers: ChannelSubscriber[], deadLetterSinkUri?: string): InMemoryChannel & StoredObject => {
    const o = store.create<InMemoryChannel & StoredObject>(IMC_RESOURCE, { apiVersion: 'messaging.knative.dev/v1', kind: 'InMemoryChannel', metadata: { name: 'ch', namespace: 'default' }, spec: { subscribers } });
    if (deadLetterSinkUri) return store.update(IMC_RESOURCE, { ...o, status: { deadLetterSinkUri } }, { subresource: 'status' });
    return o;
  };
  return { store, clock, sent, fanout, imc, open, dir };
}

const ev = (id: string): EventRecord => ({ attributes: { specversion: '1.0', id, type: 't', source: 's' } });
const ok: SinkResponse = { status: 202, headers: {}, body: Buffer.alloc(0) };

/** Lets the queue's setImmediate flush and the sender's promises run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

function accept(f: ChannelDeliveries, o: InMemoryChannel & StoredObject, events: EventRecord[]): Promise<Error | undefined> {
  return new Promise((resolve) => f.accept({ key: 'default/ch', uid: o.metadata.uid ?? '' }, o.spec.subscribers ?? [], events, resolve));
}

test('each event goes to every subscriber, and only once committed is it acknowledged', async (t) => {
  const s = setup(t, () => ok);
  s.fanout.start();
  const o = s.imc([{ uid: 'a', subscriberUri: 'http://a/' }, { uid: 'b', subscriberUri: 'http://b/' }]);
  assert.equal(await accept(s.fanout, o, [ev('1'), ev('2')]), undefined);
  await settle();
  assert.deepEqual(s.sent.map((x) => `${x.url} ${x.event.attributes.id}`).sort(), ['http://a/ 1', 'http://a/ 2', 'http://b/ 1', 'http://b/ 2']);
  assert.equal(s.fanout.engine.queue.count(), 0, 'delivered rows are acked');
});

test('a reply goes to the replyUri; without one it is dropped', async (t) => {
  const s = setup(t, (url, event) =>
    url === 'http://step/' ? { status: 200, headers: { 'ce-specversion': '1.0', 'ce-id': `${event.attributes.id}-r`, 'ce-type': 'reply', 'ce-source': 'step', 'content-type': 'text/plain' }, body: Buffer.from('r') } : ok,
  );
  s.fanout.start();
  const o = s.imc([{ uid: 'r', subscriberUri: 'http://step/', replyUri: 'http://reply/' }, { uid: 'n', subscriberUri: 'http://step/' }]);
  await accept(s.fanout, o, [ev('x')]);
  await settle();
  await settle();
  assert.deepEqual(s.sent.map((x) => `${x.url} ${x.event.attributes.id}`).sort(), ['http://reply/ x-r', 'http://step/ x', 'http://step/ x']);
  assert.equal(s.fanout.engine.queue.count(), 0);
});

test('a 202 carrying an event is not a reply (the data-plane spec)', async (t) => {
  const s = setup(t, (url) =>
    url === 'http://step/' ? { status: 202, headers: { 'ce-specversion': '1.0', 'ce-id': 'no', 'ce-type': 'reply', 'ce-source': 'step', 'content-type': 'text/plain' }, body: Buffer.from('r') } : ok,
  );
  s.fanout.start();
  const o = s.imc([{ uid: 'r', subscriberUri: 'http://step/', replyUri: 'http://reply/' }]);
  await accept(s.fanout, o, [ev('w')]);
  for (let i = 0; i < 3; i++) await settle();
  assert.deepEqual(s.sent.map((x) => x.url), ['http://step/']);
  assert.equal(s.fanout.engine.queue.count(), 0);
});

test('a failing subscriber is retried with its backoff, then its dead-letter sink gets the event', async (t) => {
  const s = setup(t, (url) => (url === 'http://dls/' ? ok : { status: 503, headers: {}, body: Buffer.from('down') }));
  s.fanout.start();
  const o = s.imc([{ uid: 'f', subscriberUri: 'http://f/', delivery: { retry: 2, backoffPolicy: 'exponential', backoffDelay: 'PT1S', deadLetterSink: { uri: 'http://dls/' } } }]);
  await accept(s.fanout, o, [ev('e')]);
  await settle();
  assert.equal(s.sent.length, 1);
  s.clock.advance(999);
  await settle();
  assert.equal(s.sent.length, 1, 'exponential: the first retry waits 1 s');
  s.clock.advance(1);
  await settle();
  assert.equal(s.sent.length, 2);
  s.clock.advance(2000);
  await settle();
  assert.deepEqual(s.sent.map((x) => x.url), ['http://f/', 'http://f/', 'http://f/', 'http://dls/']);
  assert.equal(s.sent[3].event.attributes.knativeerrorcode, '503');
  assert.equal(s.sent[3].event.attributes.knativeerrordest, 'http://f/');
});

test('a failing reply is dead-lettered to the channel\'s sink when the subscriber has none', async (t) => {
  const s = setup(t, (url, event) => {
    if (url === 'http://step/') return { status: 200, headers: { 'ce-specversion': '1.0', 'ce-id': 'r1', 'ce-type': 'reply', 'ce-source': 'step', 'content-type': 'text/plain' }, body: Buffer.from('r') };
    if (url === 'http://reply/') return { status: 400, headers: {}, body: Buffer.alloc(0) };
    void event;
    return ok;
  });
  s.fanout.start();
  const o = s.imc([{ uid: 'r', subscriberUri: 'http://step/', replyUri: 'http://reply/' }], 'http://chdls/');
  await accept(s.fanout, o, [ev('y')]);
  for (let i = 0; i < 4; i++) await settle();
  assert.deepEqual(s.sent.map((x) => x.url), ['http://step/', 'http://reply/', 'http://chdls/']);
  assert.equal(s.sent[2].event.attributes.id, 'r1');
  assert.equal(s.sent[2].event.attributes.knativeerrorcode, '400');
});

test('rows of a removed subscriber are dropped; a restart resumes what is queued and drops a re-created channel\'s', async (t) => {
  const s = setup(t, () => ({ status: 500, headers: {}, body: Buffer.alloc(0) }));
  s.fanout.start();
  const o = s.imc([{ uid: 'a', subscriberUri: 'http://a/', delivery: { retry: 5, backoffPolicy: 'exponential', backoffDelay: 'PT1S' } }, { uid: 'b', subscriberUri: 'http://b/', delivery: { retry: 5, backoffPolicy: 'exponential', backoffDelay: 'PT1S' } }]);
  await accept(s.fanout, o, [ev('z')]);
  await settle();
  assert.equal(s.sent.length, 2);
  // b unsubscribes: its next attempt finds no subscriber and the row goes.
  s.store.update(IMC_RESOURCE, { ...s.store.get<InMemoryChannel & StoredObject>(IMC_RESOURCE, 'default', 'ch')!, spec: { subscribers: [o.spec.subscribers![0]] } });
  s.clock.advance(1000);
  await settle();
  assert.deepEqual(s.sent.slice(2).map((x) => x.url), ['http://a/']);
  assert.equal(s.fanout.engine.queue.count(), 1);
  s.fanout.stop();

  // A new engine on the same file finds a's row and resumes it.
  const again = s.open();
  t.after(() => again.stop());
  again.start();
  await settle();
  assert.equal(s.sent.at(-1)?.url, 'http://a/');
  assert.equal(again.engine.queue.count(), 1);
  again.stop();

  // The channel is re-created under the same name: the old channel's rows do not survive a start.
  s.store.delete(IMC_RESOURCE, 'default', 'ch');
  s.imc([{ uid: 'a', subscriberUri: 'http://a/' }]);
  const third = s.open();
  t.after(() => third.stop());
  third.start();
  assert.equal(third.engine.queue.count(), 0);
});
