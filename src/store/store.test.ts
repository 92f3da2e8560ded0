// Store: uid/generation/resourceVersion rules, optimistic concurrency, ordered and resumable watch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store, type StoredObject, type WatchEvent } from './store.ts';
import { isAlreadyExists, isConflict, type StatusError } from '../api/status-error.ts';

function tempStore(t: { after: (fn: () => void) => void }): { store: Store; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knit-store-'));
  const file = path.join(dir, 'knit.db');
  const store = new Store(file);
  t.after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { store, file };
}

const svc = (name: string, spec: unknown = { a: 1 }): StoredObject => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec,
});

test('create assigns uid, generation 1, creationTimestamp and a resourceVersion', (t) => {
  const { store } = tempStore(t);
  const o = store.create('services', svc('a'));
  assert.match(o.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(o.metadata.generation, 1);
  assert.match(o.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(o.metadata.resourceVersion, '1');
  assert.throws(() => store.create('services', svc('a')), (e: StatusError) => isAlreadyExists(e) && e.code === 409 && e.message === 'services.serving.knative.dev "a" already exists');
});

test('generation bumps on spec changes only; status updates keep spec and generation', (t) => {
  const { store } = tempStore(t);
  const o = store.create('services', svc('a'));
  const labelled = store.update('services', { ...o, metadata: { ...o.metadata, labels: { x: 'y' } } });
  assert.equal(labelled.metadata.generation, 1);
  assert.notEqual(labelled.metadata.resourceVersion, o.metadata.resourceVersion);
  const changed = store.update('services', { ...labelled, spec: { a: 2 } });
  assert.equal(changed.metadata.generation, 2);
  const st = store.update('services', { ...changed, spec: { a: 99 }, status: { observedGeneration: 2 } }, { subresource: 'status' });
  assert.deepEqual(st.spec, { a: 2 });
  assert.deepEqual(st.status, { observedGeneration: 2 });
  assert.equal(st.metadata.generation, 2);
  const kept = store.update('services', { ...st, status: undefined, metadata: { ...st.metadata } });
  assert.deepEqual(kept.status, { observedGeneration: 2 }, 'a main update never changes status');
});

test('a stale resourceVersion is a 409 Conflict and changes nothing', (t) => {
  const { store } = tempStore(t);
  const o = store.create('services', svc('a'));
  store.update('services', { ...o, spec: { a: 2 } });
  assert.throws(() => store.update('services', { ...o, spec: { a: 3 } }), (e: StatusError) => isConflict(e) && e.code === 409);
  assert.deepEqual(store.get('services', 'default', 'a')?.spec, { a: 2 });
});

test('an update that changes nothing writes nothing', (t) => {
  const { store } = tempStore(t);
  const o = store.create('services', svc('a'));
  const same = store.update('services', o);
  assert.equal(same.metadata.resourceVersion, o.metadata.resourceVersion);
});

test('watch delivers events in order and resumes from a resourceVersion', (t) => {
  const { store } = tempStore(t);
  const seen: WatchEvent[] = [];
  const stop = store.watch('services', (ev) => seen.push(ev));
  const a = store.create('services', svc('a'));
  store.create('services', svc('b'));
  store.update('services', { ...a, spec: { a: 5 } });
  store.delete('services', 'default', 'b');
  stop();
  assert.deepEqual(seen.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED a', 'ADDED b', 'MODIFIED a', 'DELETED b']);
  const resumed: string[] = [];
  store.watch('services', (ev) => resumed.push(`${ev.type} ${ev.object.metadata.name}@${ev.object.metadata.resourceVersion}`), a.metadata.resourceVersion)();
  assert.deepEqual(resumed, ['ADDED b@2', 'MODIFIED a@3', 'DELETED b@4']);
});

test('objects and resourceVersions survive a reopen', (t) => {
  const { store, file } = tempStore(t);
  store.create('services', svc('a'));
  store.create('routes', { ...svc('r'), kind: 'Route' });
  store.close();
  const again = new Store(file);
  t.after(() => again.close());
  assert.equal(again.get('services', 'default', 'a')?.metadata.name, 'a');
  assert.equal(again.resourceVersion, '2');
  const b = again.create('services', svc('b'));
  assert.equal(b.metadata.resourceVersion, '3');
});

test('list filters by namespace, name and labels, sorted by namespace/name', (t) => {
  const { store } = tempStore(t);
  store.create('services', { ...svc('b'), metadata: { name: 'b', namespace: 'default', labels: { app: 'x' } } });
  store.create('services', svc('a'));
  store.create('services', { ...svc('c'), metadata: { name: 'c', namespace: 'other', labels: { app: 'x' } } });
  assert.deepEqual(store.list('services').map((o) => o.metadata.name), ['a', 'b', 'c']);
  assert.deepEqual(store.list('services', { namespace: 'default' }).map((o) => o.metadata.name), ['a', 'b']);
  assert.deepEqual(store.list('services', { labelSelector: { app: 'x' } }).map((o) => o.metadata.name), ['b', 'c']);
  assert.deepEqual(store.list('services', { name: 'c' }).map((o) => o.metadata.namespace), ['other']);
});

test('returned objects are copies: mutating them does not change the store', (t) => {
  const { store } = tempStore(t);
  const o = store.create('services', svc('a'));
  (o.spec as { a: number }).a = 42;
  const got = store.get('services', 'default', 'a')!;
  (got.spec as { a: number }).a = 43;
  assert.deepEqual(store.get('services', 'default', 'a')?.spec, { a: 1 });
});

test('watch gives each listener its own copy; watchReadOnly gives the stored object itself', (t) => {
  const { store } = tempStore(t);
  const copies: StoredObject[] = [];
  const shared: Readonly<StoredObject>[] = [];
  const un1 = store.watch('services', (ev) => copies.push(ev.object));
  const un2 = store.watchReadOnly('services', (ev) => shared.push(ev.object));
  t.after(() => {
    un1();
    un2();
  });
  store.create('services', svc('a'));
  assert.equal(shared[0], store.peek('services', 'default', 'a'), 'read-only: the stored object');
  assert.notEqual(copies[0], store.peek('services', 'default', 'a'), 'watch: a copy');
  (copies[0]!.spec as { a: number }).a = 42;
  assert.deepEqual(store.peek('services', 'default', 'a')?.spec, { a: 1 }, "mutating a watcher's copy changes nothing");
});
