// The durable queue and the delivery engine's retry schedule, with a real SQLite file and an injected clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeliveryQueue, PHASE_DEAD_LETTER } from './queue.ts';
import { BrokerDelivery, type Clock } from './delivery.ts';
import { Store } from '../store/store.ts';
import { RESOURCE } from './types.ts';
import type { SinkResponse } from './send.ts';
import type { EventRecord } from './cloudevents.ts';

function tmp(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-queue-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ev = (id: string): EventRecord => ({ attributes: { specversion: '1.0', id, type: 't', source: 's' } });

test('rows committed together survive a reopen; acks and reschedules are written', async (t) => {
  const file = path.join(tmp(t), 'eventing.db');
  const q = new DeliveryQueue(file);
  const stored = await new Promise<number[]>((resolve, reject) =>
    q.append(
      [1, 2, 3].map((i) => ({ broker: 'ns/b', trigger: 'ns/t', triggerUid: 'u1', event: ev(`e${i}`), ttl: 255, nextAt: 10 })),
      (err, rows) => (err ? reject(err) : resolve(rows.map((r) => r.id))),
    ),
  );
  assert.equal(stored.length, 3);
  q.ack(stored[0]);
  q.reschedule({ id: stored[1], broker: 'ns/b', trigger: 'ns/t', triggerUid: 'u1', event: ev('e2'), ttl: 255, phase: PHASE_DEAD_LETTER, attempts: 2, nextAt: 99 });
  q.close();
  const again = new DeliveryQueue(file);
  t.after(() => again.close());
  const rows = again.all();
  assert.deepEqual(rows.map((r) => [r.event.attributes.id, r.phase, r.attempts, r.nextAt]), [['e2', PHASE_DEAD_LETTER, 2, 99], ['e3', 0, 0, 10]]);
  assert.equal(again.dropBroker('ns/other'), 0);
  assert.equal(again.dropTrigger('ns/t', 'u1'), 0, 'the current trigger keeps its rows');
  assert.equal(again.dropBroker('ns/b'), 2);
  assert.equal(again.count(), 0);
});

/** A clock whose time moves only when told; timers fire as it passes them. */
class ManualClock implements Clock {
  t = 1_000;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): unknown {
    const h = { at: this.t + ms, fn, live: true };
    this.timers.push(h);
    return h;
  }
  clearTimer(h: unknown): void {
    (h as { live: boolean }).live = false;
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.live && x.at <= this.t);
    this.timers = this.timers.filter((x) => !due.includes(x));
    for (const x of due) x.fn();
  }
}

test('the engine retries on its clock: exponential waits, then the dead-letter sink with knativeerror*', async (t) => {
  const dir = tmp(t);
  const store = new Store(path.join(dir, 'store.db'));
  t.after(() => store.close());
  store.create(RESOURCE.brokers, { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'b', namespace: 'ns' }, spec: { delivery: { retry: 2, backoffPolicy: 'exponential', backoffDelay: 'PT1S' } }, status: { deadLetterSinkUri: 'http://dls.example/' } });
  const trig = store.create<{ apiVersion: string; kind: string; metadata: { name: string; namespace: string; uid?: string }; spec: unknown; status: unknown }>(RESOURCE.triggers, { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata: { name: 't', namespace: 'ns' }, spec: { broker: 'b', subscriber: { uri: 'http://sub.example/' } }, status: { subscriberUri: 'http://sub.example/' } });
  assert.ok(trig.metadata.uid);
  const clock = new ManualClock();
  const sent: { url: string; at: number; event: EventRecord }[] = [];
  const send = (url: string, event: EventRecord): Promise<SinkResponse> => {
    sent.push({ url, at: clock.now(), event });
    return Promise.resolve({ status: url.includes('sub') ? 500 : 202, headers: {}, body: Buffer.from('nope') });
  };
  const engine = new BrokerDelivery({ store, queue: new DeliveryQueue(path.join(dir, 'eventing.db')), send, clock });
  t.after(() => engine.stop());
  engine.start();
  const status = await new Promise<number>((resolve) => engine.accept('ns/b', [ev('x')], undefined, resolve));
  assert.equal(status, 202);
  const settle = () => new Promise((r) => setImmediate(r));
  await settle();
  assert.deepEqual(sent.map((s) => s.at), [1_000]);
  clock.advance(999);
  await settle();
  assert.equal(sent.length, 1, 'no retry before the backoff');
  clock.advance(1);
  await settle();
  assert.deepEqual(sent.map((s) => s.at), [1_000, 2_000]);
  clock.advance(2_000);
  await settle();
  await settle();
  assert.deepEqual(sent.map((s) => [s.url, s.at]), [['http://sub.example/', 1_000], ['http://sub.example/', 2_000], ['http://sub.example/', 4_000], ['http://dls.example/', 4_000]]);
  assert.deepEqual([sent[3].event.attributes.knativeerrorcode, sent[3].event.attributes.knativeerrordest, sent[3].event.attributes.knativeerrordata], ['500', 'http://sub.example/', Buffer.from('nope').toString('base64')]);
  await settle();
  assert.equal(engine.pending, 0);
  assert.equal(engine.queue.count(), 0);
});

test('many acks in one flush are all deleted (chunked deletes)', async (t) => {
  const q = new DeliveryQueue(path.join(tmp(t), 'eventing.db'));
  t.after(() => q.close());
  const rows = Array.from({ length: 150 }, (_, i) => ({ broker: 'ns/b', trigger: 'ns/t', triggerUid: 'u', event: ev(`a${i}`), ttl: 255, nextAt: 0 }));
  const stored = await new Promise<number[]>((resolve, reject) => q.append(rows, (err, s) => (err ? reject(err) : resolve(s.map((d) => d.id)))));
  for (const id of stored.slice(0, 140)) q.ack(id);
  q.flush();
  assert.deepEqual(q.all().map((d) => d.event.attributes.id), ['a140', 'a141', 'a142', 'a143', 'a144', 'a145', 'a146', 'a147', 'a148', 'a149']);
});

test('rows from many appends in one flush get their own ids (chunked inserts)', async (t) => {
  const file = path.join(tmp(t), 'eventing.db');
  const q = new DeliveryQueue(file);
  const waits: Promise<{ id: number; name: string }[]>[] = [];
  for (let i = 0; i < 70; i++) {
    waits.push(new Promise((resolve, reject) => q.append([{ broker: 'ns/b', trigger: 'ns/t', triggerUid: 'u', event: ev(`c${i}`), ttl: 255, nextAt: i }], (err, s) => (err ? reject(err) : resolve(s.map((d) => ({ id: d.id, name: d.event.attributes.id })))))));
  }
  const got = (await Promise.all(waits)).flat();
  q.close();
  const again = new DeliveryQueue(file);
  t.after(() => again.close());
  const byId = new Map(again.all().map((d) => [d.id, d.event.attributes.id]));
  assert.equal(byId.size, 70);
  for (const g of got) assert.equal(byId.get(g.id), g.name);
});
