// Dispatcher: containerConcurrency as a hard limit, FIFO buffering, timeouts, overflow, stats.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyStats, DispatchError, Endpoint, RevisionDispatcher, QUEUE_DEPTH, totalQueued, type DispatcherSettings } from './dispatcher.ts';

function settings(containerConcurrency: number): DispatcherSettings {
  return { containerConcurrency, timeouts: { totalMs: 10_000, responseStartMs: 0, idleMs: 0 }, protocol: 'http1' };
}

function ep(id: string): Endpoint {
  return new Endpoint(id, '127.0.0.1', 1);
}

test('containerConcurrency 1: a second request waits until the first is released', () => {
  const d = new RevisionDispatcher('ns/r', settings(1));
  const e = ep('a');
  d.setEndpoints([e]);
  const first = d.tryAcquire();
  assert.equal(first, e);
  assert.equal(d.tryAcquire(), undefined);
  let got: Endpoint | undefined;
  d.enqueue(1000, (err, x) => {
    assert.equal(err, null);
    got = x;
  });
  assert.equal(got, undefined);
  d.release(e);
  assert.equal(got, e);
  assert.equal(e.inFlight, 1);
  d.close(503, 'done');
});

test('requests buffered while no endpoint exists are released when one appears, and poke onDemand', () => {
  const d = new RevisionDispatcher('ns/r', settings(0));
  let pokes = 0;
  d.onDemand = () => pokes++;
  const order: string[] = [];
  d.enqueue(1000, (_e, x) => order.push(`1:${x?.id}`));
  d.enqueue(1000, (_e, x) => order.push(`2:${x?.id}`));
  assert.equal(pokes, 2);
  assert.deepEqual(order, []);
  d.setEndpoints([ep('a')]);
  assert.deepEqual(order, ['1:a', '2:a']);
  d.close(503, 'done');
});

test('a queued request times out with 503', async () => {
  const d = new RevisionDispatcher('ns/r', settings(1));
  const err = await new Promise<DispatchError | null>((resolve) => d.enqueue(20, (e) => resolve(e)));
  assert.equal(err?.status, 503);
  assert.equal(d.queued, 0);
});

test('the queue is bounded: overflow is refused at once', () => {
  const d = new RevisionDispatcher('ns/r', settings(1));
  for (let i = 0; i < QUEUE_DEPTH; i++) d.enqueue(0, () => undefined);
  let refused: DispatchError | null = null;
  d.enqueue(0, (e) => (refused = e));
  assert.equal((refused as DispatchError | null)?.message, 'pending request queue full');
  assert.equal((refused as DispatchError | null)?.retryAfter, 1, 'overload answers carry Retry-After');
  assert.equal(totalQueued(), QUEUE_DEPTH);
  d.close(503, 'done');
  assert.equal(totalQueued(), 0, 'closing releases the global count');
});

test('a cancelled waiter is skipped', () => {
  const d = new RevisionDispatcher('ns/r', settings(1));
  const seen: string[] = [];
  const w = d.enqueue(1000, () => seen.push('cancelled'))!;
  d.enqueue(1000, () => seen.push('kept'));
  d.cancel(w);
  d.setEndpoints([ep('a')]);
  assert.deepEqual(seen, ['kept']);
  d.close(503, 'done');
});

test('containerConcurrency is never exceeded across endpoints', () => {
  const d = new RevisionDispatcher('ns/r', settings(2));
  const eps = [ep('a'), ep('b'), ep('c')];
  d.setEndpoints(eps);
  const held: Endpoint[] = [];
  for (let i = 0; i < 6; i++) held.push(d.tryAcquire()!);
  assert.equal(d.tryAcquire(), undefined);
  for (const e of eps) assert.equal(e.inFlight, 2);
  d.close(503, 'done');
});

test('time-weighted average concurrency (spec §4.3)', () => {
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
  const a = new RevisionDispatcher('ns/a', settings(1));
  const w = a.enqueue(0, () => undefined)!;
  assert.equal(totalQueued(), 1);
  a.cancel(w);
  assert.equal(totalQueued(), 0);
  await new Promise<void>((resolve) => a.enqueue(5, () => resolve()));
  assert.equal(totalQueued(), 0);
  a.close(503, 'done');
});
