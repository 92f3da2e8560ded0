// Dispatcher: containerConcurrency as a hard limit, FIFO buffering, timeouts, overflow, stats.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyStats, Endpoint, QueueBound, RevisionDispatcher, QUEUE_DEPTH, policyFor, type DispatcherSettings, type Lease } from './dispatcher.ts';
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

/** A lease that must wait; `seen` records what it settles with (endpoint id or error code). */
function wait(d: RevisionDispatcher, timeoutMs: number, seen: string[], tag = ''): Lease {
  const l = d.acquire(timeoutMs, (x) => seen.push(`${tag}${x.endpoint?.id ?? x.error?.code}`));
  assert.equal(l.waiting, true);
  return l;
}

test('containerConcurrency 1: a second request waits until the first is released', () => {
  const d = dispatcher('ns/r', 1);
  const e = ep('a');
  d.setEndpoints([e]);
  const first = d.acquire(0, () => assert.fail('granted at once'));
  assert.equal(first.endpoint, e);
  const seen: string[] = [];
  const second = wait(d, 1000, seen);
  assert.equal(second.endpoint, undefined);
  first.release();
  first.release(); // idempotent
  assert.deepEqual(seen, ['a']);
  assert.equal(second.endpoint, e);
  assert.equal(e.inFlight, 1);
  second.release();
  assert.equal(e.inFlight, 0);
  d.close();
});

test('requests buffered while no endpoint exists are released when one appears, and poke onDemand', () => {
  const d = dispatcher('ns/r', 0);
  let pokes = 0;
  d.onDemand = () => pokes++;
  const order: string[] = [];
  wait(d, 1000, order, '1:');
  wait(d, 1000, order, '2:');
  assert.equal(pokes, 2);
  assert.deepEqual(order, []);
  d.setEndpoints([ep('a')]);
  assert.deepEqual(order, ['1:a', '2:a']);
  d.close();
});

test('a queued request times out with 503', async () => {
  const d = dispatcher('ns/r', 1);
  const l = await new Promise<Lease>((resolve) => d.acquire(20, resolve));
  const err = l.error;
  assert.ok(err instanceof DataPlaneError);
  assert.equal(err.code, 'KNIT_ERR_QUEUE_TIMEOUT');
  assert.equal(err.status, 503);
  assert.equal(err.body, 'context deadline exceeded\n');
  assert.equal(d.queued, 0);
});

test('closing fails every waiter with KNIT_ERR_REVISION_GONE', () => {
  const d = dispatcher('ns/r', 1);
  const got: Lease[] = [];
  d.acquire(0, (x) => got.push(x));
  d.acquire(0, (x) => got.push(x));
  d.close();
  assert.deepEqual(got.map((x) => [x.error?.code, x.error?.status, x.error?.body]), [
    ['KNIT_ERR_REVISION_GONE', 503, 'revision ns/r is gone\n'],
    ['KNIT_ERR_REVISION_GONE', 503, 'revision ns/r is gone\n'],
  ]);
  assert.equal(d.queued, 0);
});

test('the queue is bounded: overflow is refused at once', () => {
  const bound = new QueueBound();
  const d = dispatcher('ns/r', 1, bound);
  for (let i = 0; i < QUEUE_DEPTH; i++) d.acquire(0, () => undefined);
  const refused = d.acquire(0, () => assert.fail('refused at once, not later')).error;
  assert.ok(refused instanceof DataPlaneError);
  assert.equal(refused.code, 'KNIT_ERR_QUEUE_FULL');
  assert.equal(refused.message, 'pending request queue full');
  assert.deepEqual(refused.headers, { 'retry-after': '1' }, 'overload answers carry Retry-After');
  assert.equal(bound.queued, QUEUE_DEPTH);
  d.close();
  assert.equal(bound.queued, 0, 'closing releases the global count');
});

test('a released waiter leaves the queue and is never granted', () => {
  const d = dispatcher('ns/r', 1);
  const seen: string[] = [];
  const w = wait(d, 1000, seen, 'cancelled:');
  wait(d, 1000, seen, 'kept:');
  w.release();
  assert.equal(d.queued, 1);
  d.setEndpoints([ep('a')]);
  assert.deepEqual(seen, ['kept:a']);
  d.close();
});

test('containerConcurrency is never exceeded across endpoints', () => {
  const d = dispatcher('ns/r', 2);
  const eps = [ep('a'), ep('b'), ep('c')];
  d.setEndpoints(eps);
  for (let i = 0; i < 6; i++) assert.ok(d.acquire(0, () => undefined).endpoint);
  assert.equal(d.acquire(0, () => undefined).waiting, true);
  for (const e of eps) assert.equal(e.inFlight, 2);
  d.close();
});

test('load-balancing policies by containerConcurrency, as the activator chooses them', () => {
  assert.deepEqual([0, 1, 3, 4, 100].map(policyFor), ['power-of-two-choices', 'first-available', 'first-available', 'round-robin', 'round-robin']);
  // First available: the first endpoint with room, every time.
  const fa = dispatcher('ns/fa', 2);
  fa.setEndpoints([ep('a'), ep('b')]);
  assert.deepEqual([1, 2, 3, 4].map(() => fa.acquire(0, () => undefined).endpoint?.id), ['a', 'a', 'b', 'b']);
  // Round robin: the next endpoint with room after the last one picked.
  const rr = dispatcher('ns/rr', 4);
  const rrEps = [ep('a'), ep('b'), ep('c')];
  rr.setEndpoints(rrEps);
  const leases = [1, 2, 3, 4].map(() => rr.acquire(0, () => undefined));
  assert.deepEqual(leases.map((l) => l.endpoint?.id), ['a', 'b', 'c', 'a']);
  // Power of two choices never draws one endpoint twice: with two endpoints it always compares both,
  // so their loads never differ by more than one, whatever the random numbers.
  const p2 = dispatcher('ns/p2', 0);
  const pair = [ep('a'), ep('b')];
  p2.setEndpoints(pair);
  for (let i = 0; i < 1000; i++) {
    p2.acquire(0, () => undefined);
    assert.ok(Math.abs(pair[0].inFlight - pair[1].inFlight) <= 1, `loads ${pair[0].inFlight}/${pair[1].inFlight}`);
  }
  // With more endpoints the two draws differ: the second skips the first's index (lb_policy.go).
  const p3 = dispatcher('ns/p3', 0);
  const three = [ep('a'), ep('b'), ep('c')];
  p3.setEndpoints(three);
  three[0].inFlight = 5;
  let draws = [0.0, 0.0, 0.9]; // r1 = 0 (a), r2 = 0 → shifted past r1 to 1 (b): the less loaded b
  p3.random = () => draws.shift() ?? 0;
  assert.equal(p3.acquire(0, () => undefined).endpoint?.id, 'b');
  draws = [0.99, 0.99, 0.9]; // r1 = 2 (c), r2 = 1 (b, which now holds one): the less loaded c
  assert.equal(p3.acquire(0, () => undefined).endpoint?.id, 'c');
  for (const d of [fa, rr, p2, p3]) d.close();
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

test('the global queue bound spans revisions, and released or timed-out waiters leave it', async () => {
  const bound = new QueueBound(2);
  const a = dispatcher('ns/a', 1, bound);
  const b = dispatcher('ns/b', 1, bound);
  const w = a.acquire(0, () => undefined);
  b.acquire(0, () => undefined);
  assert.equal(bound.queued, 2);
  const refused = b.acquire(0, () => undefined).error;
  assert.ok(refused instanceof DataPlaneError && refused.code === 'KNIT_ERR_QUEUE_FULL', 'a full bound refuses another revision too');
  w.release();
  assert.equal(bound.queued, 1);
  await new Promise<void>((resolve) => a.acquire(5, () => resolve()));
  assert.equal(bound.queued, 1);
  b.close();
  assert.equal(bound.queued, 0);
  a.close();
  const other = new QueueBound(2);
  const c = dispatcher('ns/c', 1, other);
  c.acquire(0, () => undefined);
  assert.equal(bound.queued, 0, 'two knits in one process do not share a count');
  assert.equal(other.queued, 1);
  c.close();
});
