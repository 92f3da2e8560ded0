// Dispatcher: containerConcurrency as a hard limit, FIFO buffering, timeouts, overflow, stats.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyStats, Endpoint, QueueBound, RevisionDispatcher, QUEUE_DEPTH, type DispatcherSettings } from './dispatcher.ts';
import { DataPlaneError } from './errors.ts';

function settings(containerConcurrency: number): DispatcherSettings {
  return { containerConcurrency, timeouts: { totalMs: 10_000, responseStartMs: 0, idleMs: 0 }, protocol: 'http1' };
}

/** A dispatcher with its own global queue bound (one knit per test). */
function dispatcher(key: string, containerConcurrency: number, bound = new QueueBound()): RevisionDispatcher {
  return new RevisionDispatcher(key, settings(containerConcurrency), bound);
}

function ep(id: string): Endpoint {
  return new Endpoint(id, '127.0.0.1', 1);
}

test('containerConcurrency 1: a second request waits until the first is released', () => {
  const d = dispatcher('ns/r', 1);
  const e = ep('a');
  d.setEndpoints([e]);
  const first = d.tryAcquire();
  assert.equal(first, e);
  assert.equal(d.tryAcquire(), undefined);
  let got: Endpoint | undefined;
  d.enqueue(1000, (x) => {
    assert.ok(x instanceof Endpoint);
    got = x;
  });
  assert.equal(got, undefined);
  d.release(e);
  assert.equal(got, e);
  assert.equal(e.inFlight, 1);
  d.close();
});

test('requests buffered while no endpoint exists are released when one appears, and poke onDemand', () => {
  const d = dispatcher('ns/r', 0);
  let pokes = 0;
  d.onDemand = () => pokes++;
  const order: string[] = [];
  d.enqueue(1000, (x) => order.push(`1:${x instanceof Endpoint ? x.id : x.code}`));
  d.enqueue(1000, (x) => order.push(`2:${x instanceof Endpoint ? x.id : x.code}`));
  assert.equal(pokes, 2);
  assert.deepEqual(order, []);
  d.setEndpoints([ep('a')]);
  assert.deepEqual(order, ['1:a', '2:a']);
  d.close();
});

test('a queued request times out with 503', async () => {
  const d = dispatcher('ns/r', 1);
  const err = await new Promise<Endpoint | DataPlaneError>((resolve) => d.enqueue(20, resolve));
  assert.ok(err instanceof DataPlaneError);
  assert.equal(err.code, 'KNIT_ERR_QUEUE_TIMEOUT');
  assert.equal(err.status, 503);
  assert.equal(err.body, 'context deadline exceeded\n');
  assert.equal(d.queued, 0);
});

test('closing fails every waiter with KNIT_ERR_REVISION_GONE', () => {
  const d = dispatcher('ns/r', 1);
  const got: (Endpoint | DataPlaneError)[] = [];
  d.enqueue(0, (x) => got.push(x));
  d.enqueue(0, (x) => got.push(x));
  d.close();
  assert.deepEqual(got.map((x) => (x instanceof DataPlaneError ? [x.code, x.status, x.body] : x.id)), [
    ['KNIT_ERR_REVISION_GONE', 503, 'revision ns/r is gone\n'],
    ['KNIT_ERR_REVISION_GONE', 503, 'revision ns/r is gone\n'],
  ]);
  assert.equal(d.queued, 0);
});

test('the queue is bounded: overflow is refused at once', () => {
  const bound = new QueueBound();
  const d = dispatcher('ns/r', 1, bound);
  for (let i = 0; i < QUEUE_DEPTH; i++) d.enqueue(0, () => undefined);
  let refused: Endpoint | DataPlaneError | undefined;
  d.enqueue(0, (e) => (refused = e));
  assert.ok(refused instanceof DataPlaneError);
  assert.equal(refused.code, 'KNIT_ERR_QUEUE_FULL');
  assert.equal(refused.message, 'pending request queue full');
  assert.deepEqual(refused.headers, { 'retry-after': '1' }, 'overload answers carry Retry-After');
  assert.equal(bound.queued, QUEUE_DEPTH);
  d.close();
  assert.equal(bound.queued, 0, 'closing releases the global count');
});

test('a cancelled waiter is skipped', () => {
  const d = dispatcher('ns/r', 1);
  const seen: string[] = [];
  const w = d.enqueue(1000, () => seen.push('cancelled'))!;
  d.enqueue(1000, () => seen.push('kept'));
  d.cancel(w);
  d.setEndpoints([ep('a')]);
  assert.deepEqual(seen, ['kept']);
  d.close();
});

test('containerConcurrency is never exceeded across endpoints', () => {
  const d = dispatcher('ns/r', 2);
  const eps = [ep('a'), ep('b'), ep('c')];
  d.setEndpoints(eps);
  const held: Endpoint[] = [];
  for (let i = 0; i < 6; i++) held.push(d.tryAcquire()!);
  assert.equal(d.tryAcquire(), undefined);
  for (const e of eps) assert.equal(e.inFlight, 2);
  d.close();
});

test('time-weighted average concurrency (the queue-proxy report)', () => {
  let now = 0;
  const s = new ConcurrencyStats(() => now);
  s.requestIn(); // 1 for 500ms
  now = 500;
  s.requestIn(); // 2 for 500ms
  now = 1000;
  const r = s.report();
  assert.equal(r.averageConcurrency, 1.5);
  assert.equal(r.requestCount, 2);
  now = 2000;
  assert.equal(s.report().averageConcurrency, 2);
});

test('the global queue bound spans revisions, and cancelled or timed-out waiters leave it', async () => {
  const bound = new QueueBound(2);
  const a = dispatcher('ns/a', 1, bound);
  const b = dispatcher('ns/b', 1, bound);
  const w = a.enqueue(0, () => undefined)!;
  b.enqueue(0, () => undefined);
  assert.equal(bound.queued, 2);
  let refused: Endpoint | DataPlaneError | undefined;
  b.enqueue(0, (x) => (refused = x));
  assert.ok(refused instanceof DataPlaneError && refused.code === 'KNIT_ERR_QUEUE_FULL', 'a full bound refuses another revision too');
  a.cancel(w);
  assert.equal(bound.queued, 1);
  await new Promise<void>((resolve) => a.enqueue(5, () => resolve()));
  assert.equal(bound.queued, 1);
  b.close();
  assert.equal(bound.queued, 0);
  a.close();
  const other = new QueueBound(2);
  const c = dispatcher('ns/c', 1, other);
  c.enqueue(0, () => undefined);
  assert.equal(bound.queued, 0, 'two knits in one process do not share a count');
  assert.equal(other.queued, 1);
  c.close();
});
