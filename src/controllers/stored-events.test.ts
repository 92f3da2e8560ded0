// The store's event recorder with an injected clock: names, the Event object, counting, aggregation, the spam filter, the per-namespace bound and the TTL sweep.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../store/store.ts';
import { EVENTS_RESOURCE, StoredEventRecorder, type CoreEvent, type StoredEventsOptions } from './stored-events.ts';

const T0 = Date.UTC(2026, 2, 4, 5, 6, 7);

/** A clock the test moves by hand. */
function clock(startMs = T0): { now: () => Date; advance(ms: number): void } {
  let ms = startMs;
  return { now: () => new Date(ms), advance: (d) => void (ms += d) };
}

function setup(opts: StoredEventsOptions = {}) {
  const c = clock();
  const store = new Store(':memory:', c.now);
  const logs: string[] = [];
  const rec = new StoredEventRecorder(store, { now: c.now, log: (m) => logs.push(m), ...opts });
  const events = (ns?: string): CoreEvent[] => store.list<CoreEvent>(EVENTS_RESOURCE, ns === undefined ? {} : { namespace: ns });
  return { c, store, rec, logs, events, [Symbol.dispose]: () => (rec.stop(), store.close()) };
}

const svc = (name: string, ns = 'default') => ({
  kind: 'Service',
  metadata: { name, namespace: ns, uid: `uid-${name}`, resourceVersion: '7' },
});

test('an event is a core/v1 Event named <object>.<unix nanos in hex>, reported by the kind\'s controller', () => {
  using env = setup();
  env.rec.event(svc('hello'), 'Normal', 'Created', 'Created Configuration "hello"');
  env.rec.event(svc('hello'), 'Normal', 'Created', 'Created Route "hello"');
  const [a, b] = env.events();
  const nanos = BigInt(T0) * 1_000_000n;
  assert.equal(nanos.toString(16).length, 16);
  assert.equal(a.metadata.name, `hello.${nanos.toString(16)}`);
  // The same millisecond: the next nanosecond, so names stay unique.
  assert.equal(b.metadata.name, `hello.${(nanos + 1n).toString(16)}`);
  const { metadata, ...rest } = a;
  assert.equal(metadata.namespace, 'default');
  assert.ok(metadata.uid && metadata.resourceVersion && metadata.creationTimestamp);
  assert.deepEqual(rest, {
    apiVersion: 'v1',
    kind: 'Event',
    involvedObject: { kind: 'Service', namespace: 'default', name: 'hello', uid: 'uid-hello', apiVersion: 'serving.knative.dev/v1', resourceVersion: '7' },
    reason: 'Created',
    message: 'Created Configuration "hello"',
    source: { component: 'service-controller' },
    firstTimestamp: '2026-03-04T05:06:07Z',
    lastTimestamp: '2026-03-04T05:06:07Z',
    count: 1,
    type: 'Normal',
    eventTime: null,
    reportingComponent: 'service-controller',
    reportingInstance: '',
  });
});

test('each Knative kind reports as its controller; an explicit source and fieldPath are kept', () => {
  using env = setup();
  for (const kind of ['Configuration', 'Revision', 'Route']) env.rec.event({ kind, metadata: { name: 'x', namespace: 'ns' } }, 'Normal', 'R', kind);
  env.rec.event({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u' } }, 'Warning', 'BackOff', 'm', {
    source: { component: 'kubelet', host: 'node-1' },
    fieldPath: 'spec.containers{user-container}',
  });
  const byMessage = new Map(env.events('ns').map((e) => [e.message, e]));
  assert.equal(byMessage.get('Configuration')?.source.component, 'configuration-controller');
  assert.equal(byMessage.get('Revision')?.source.component, 'revision-controller');
  assert.equal(byMessage.get('Route')?.source.component, 'route-controller');
  const pod = byMessage.get('m')!;
  assert.deepEqual(pod.source, { component: 'kubelet', host: 'node-1' });
  assert.equal(pod.reportingComponent, 'kubelet');
  assert.equal(pod.reportingInstance, 'node-1');
  assert.deepEqual(pod.involvedObject, { kind: 'Pod', namespace: 'ns', name: 'p', uid: 'u', apiVersion: 'v1', fieldPath: 'spec.containers{user-container}' });
});

test('a repeat of the same event updates count and lastTimestamp of the first one', () => {
  using env = setup();
  env.rec.event(svc('a'), 'Warning', 'InternalError', 'boom');
  const first = env.events()[0];
  env.c.advance(30_000);
  env.rec.event(svc('a'), 'Warning', 'InternalError', 'boom');
  env.c.advance(30 * 60_000);
  env.rec.event(svc('a'), 'Warning', 'InternalError', 'boom');
  env.rec.event(svc('a'), 'Warning', 'InternalError', 'other');
  const all = env.events();
  assert.equal(all.length, 2);
  const repeated = all.find((e) => e.message === 'boom')!;
  assert.equal(repeated.metadata.name, first.metadata.name);
  assert.equal(repeated.metadata.uid, first.metadata.uid);
  assert.equal(repeated.count, 3);
  assert.equal(repeated.firstTimestamp, '2026-03-04T05:06:07Z');
  assert.equal(repeated.lastTimestamp, '2026-03-04T05:36:37Z');
  assert.equal(all.find((e) => e.message === 'other')?.count, 1);
});

test('the same reason with 10 different messages within 10 minutes is combined into one event', () => {
  using env = setup();
  for (let i = 1; i <= 12; i++) {
    env.rec.event(svc('a'), 'Warning', 'InternalError', `failure ${i}`);
    env.c.advance(1000);
  }
  const all = env.events();
  assert.deepEqual(
    all.map((e) => `${e.message} x${e.count}`).sort(),
    [...Array.from({ length: 9 }, (_, i) => `failure ${i + 1} x1`), '(combined from similar events): failure 12 x3'].sort(),
  );
  // More than 10 minutes after the last one, messages count afresh.
  env.c.advance(11 * 60_000);
  env.rec.event(svc('a'), 'Warning', 'InternalError', 'failure 13');
  assert.ok(env.events().some((e) => e.message === 'failure 13' && e.count === 1));
});

test('the spam filter lets a source send 25 events about an object, then one per 5 minutes', () => {
  using env = setup();
  for (let i = 0; i < 30; i++) env.rec.event(svc('a'), 'Normal', `Reason${i}`, 'm');
  env.rec.event(svc('b'), 'Normal', 'Other', 'another object has its own budget');
  assert.equal(env.events().filter((e) => e.involvedObject.name === 'a').length, 25);
  assert.equal(env.events().filter((e) => e.involvedObject.name === 'b').length, 1);
  env.c.advance(299_000);
  env.rec.event(svc('a'), 'Normal', 'Late1', 'm');
  assert.equal(env.events().filter((e) => e.involvedObject.name === 'a').length, 25);
  env.c.advance(1_000);
  env.rec.event(svc('a'), 'Normal', 'Late2', 'm');
  env.rec.event(svc('a'), 'Normal', 'Late3', 'm');
  assert.deepEqual(env.events().filter((e) => e.reason.startsWith('Late')).map((e) => e.reason), ['Late2']);
});

test('a namespace keeps at most maxPerNamespace events, dropping the least recently written', () => {
  using env = setup({ maxPerNamespace: 3 });
  for (const n of ['a', 'b', 'c']) {
    env.rec.event(svc(n), 'Normal', 'Created', n);
    env.c.advance(1000);
  }
  env.rec.event(svc('a'), 'Normal', 'Created', 'a'); // a repeat: now the most recent write
  env.c.advance(1000);
  env.rec.event(svc('d'), 'Normal', 'Created', 'd');
  env.rec.event(svc('x', 'other'), 'Normal', 'Created', 'x');
  assert.deepEqual(env.events('default').map((e) => e.message).sort(), ['a', 'c', 'd']);
  assert.deepEqual(env.events('other').map((e) => e.message), ['x']);
});

test('the sweep deletes events an hour after their last write, and a later repeat is created again', () => {
  using env = setup();
  env.rec.event(svc('old'), 'Normal', 'Created', 'old');
  env.rec.event(svc('kept'), 'Normal', 'Created', 'kept');
  const name = env.events().find((e) => e.message === 'old')!.metadata.name;
  env.c.advance(30 * 60_000);
  env.rec.event(svc('kept'), 'Normal', 'Created', 'kept');
  env.c.advance(30 * 60_000 - 1);
  assert.equal(env.rec.sweep(), 0);
  env.c.advance(1);
  assert.equal(env.rec.sweep(), 1);
  assert.deepEqual(env.events().map((e) => e.message), ['kept']);
  env.rec.event(svc('old'), 'Normal', 'Created', 'old');
  const again = env.events().find((e) => e.message === 'old')!;
  assert.equal(again.metadata.name, name);
  assert.equal(again.count, 2);
  env.c.advance(30 * 60_000);
  assert.equal(env.rec.sweep(), 1, 'kept expires an hour after its second write');
});

test('events left in the data dir by a previous run expire from their timestamps; start() sweeps at once', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-events-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'knit.db');
  const c = clock();
  const before = new Store(file, c.now);
  const rec1 = new StoredEventRecorder(before, { now: c.now });
  rec1.event(svc('a'), 'Normal', 'Created', 'from the first run');
  rec1.stop();
  before.close();
  c.advance(61 * 60_000);
  const after = new Store(file, c.now);
  const rec2 = new StoredEventRecorder(after, { now: c.now });
  try {
    assert.equal(after.list(EVENTS_RESOURCE).length, 1);
    rec2.start();
    assert.equal(after.list(EVENTS_RESOURCE).length, 0);
  } finally {
    rec2.stop();
    after.close();
  }
});

test('a failed write is logged and dropped, never thrown; after stop() events are dropped', () => {
  using env = setup();
  env.store.close();
  assert.doesNotThrow(() => env.rec.event(svc('a'), 'Normal', 'Created', 'x'));
  assert.equal(env.logs.length, 1);
  assert.match(env.logs[0], /^knit: event Normal Created about Service default\/a not recorded: /);
  env.rec.stop();
  env.rec.event(svc('a'), 'Normal', 'Created', 'y');
  assert.equal(env.logs.length, 1);
});

test('a name that would not be a valid object name becomes a UUID', () => {
  using env = setup();
  env.rec.event({ kind: 'Service', metadata: { name: 'x'.repeat(250), namespace: 'default' } }, 'Normal', 'Created', 'long');
  assert.match(env.events()[0].metadata.name ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});
