// Shared counters of the gateway threads (shared.ts, dispatcher.ts): lock-free time-weighted stats,
// compare-and-swap slots that hold a limit across real worker threads, and a freed slot waking a waiter
// of another dispatcher that shares the counters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { Endpoint, QueueBound, RevisionDispatcher, type Lease } from './dispatcher.ts';
import { createCells, endpointCell, revisionBase, SharedConcurrencyStats, SlotAllocator } from './shared.ts';

test('SharedConcurrencyStats: time-weighted concurrency and request count per report window', () => {
  const cells = createCells(true);
  let now = cells.epochMs;
  const stats = new SharedConcurrencyStats(cells, 3, () => now);
  stats.requestIn(); // t = 0
  now += 500;
  stats.requestIn(); // t = 500: two in flight
  now += 250;
  stats.requestOut(); // t = 750: one
  now += 250;
  // ∫C = 1·500 + 2·250 + 1·250 = 1250 ms over 1000 ms.
  assert.deepEqual(stats.report(), { averageConcurrency: 1.25, requestCount: 2, seconds: 1 });
  assert.equal(stats.current, 1);
  now += 1000;
  assert.deepEqual(stats.report(), { averageConcurrency: 1, requestCount: 0, seconds: 1 });
  // Another thread's view of the same slot (a second object over the same memory) counts into the same totals.
  const other = new SharedConcurrencyStats(cells, 3, () => now);
  other.requestOut();
  now += 1000;
  assert.deepEqual(stats.report(), { averageConcurrency: 0, requestCount: 0, seconds: 1 });
});

test('Endpoint.take holds containerConcurrency across 3 worker threads hammering one slot', async () => {
  const cells = createCells(true);
  // [0] requests inside now, [1] the most seen inside at once, [2] workers ready (a start barrier).
  const inside = new Int32Array(new SharedArrayBuffer(12));
  const url = new URL('./dispatcher.ts', import.meta.url).href;
  const src = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then(({ Endpoint }) => {
      const ep = new Endpoint('a', '127.0.0.1', 1, { i32: new Int32Array(workerData.buf, 0, workerData.len), index: workerData.index });
      const inside = new Int32Array(workerData.inside);
      let taken = 0;
      // All three start together (a worker that loads late would otherwise run alone or not contend at all), and
      // one that has not got the slot yet keeps trying past 200 000 rounds (on 2 cores one of 3 threads waits).
      Atomics.add(inside, 2, 1);
      while (Atomics.load(inside, 2) < 3) Atomics.wait(inside, 2, Atomics.load(inside, 2), 10);
      for (let i = 0; i < 200000 || (taken === 0 && i < 50000000); i++) {
        if (!ep.take(2)) continue;
        taken++;
        const n = Atomics.add(inside, 0, 1) + 1;
        if (n > Atomics.load(inside, 1)) Atomics.store(inside, 1, n);
        Atomics.sub(inside, 0, 1);
        ep.give();
      }
      parentPort.postMessage(taken);
    });`;
  const workers = Array.from({ length: 3 }, () => new Worker(src, { eval: true, workerData: { url, buf: cells.i32.buffer, len: cells.i32.length, index: endpointCell(7), inside: inside.buffer } }));
  try {
    const taken = await Promise.all(workers.map((w) => new Promise<number>((resolve, reject) => w.once('message', resolve).once('error', reject))));
    assert.ok(taken.every((n) => n > 0), `taken ${taken}`);
    assert.ok(Atomics.load(inside, 1) <= 2, `at most 2 inside at once, saw ${Atomics.load(inside, 1)}`);
    assert.equal(Atomics.load(cells.i32, endpointCell(7)), 0);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
});

test('two dispatchers over shared counters: cc 1 holds between them, the queue is counted once, a release wakes the other', async () => {
  const cells = createCells(true);
  const slots = new SlotAllocator(cells);
  const rev = slots.revision();
  const ep = slots.endpoint();
  const bound = new QueueBound(100, cells);
  const settings = { containerConcurrency: 1, timeouts: { totalMs: 0, responseStartMs: 0, idleMs: 0 }, protocol: 'http1' as const };
  const make = (): RevisionDispatcher => {
    const d = new RevisionDispatcher('default/a-00001', settings, bound, { i32: cells.i32, base: revisionBase(rev), shared: true, stats: new SharedConcurrencyStats(cells, rev) });
    d.setEndpoints([new Endpoint('a', '127.0.0.1', 1, { i32: cells.i32, index: endpointCell(ep) })]);
    return d;
  };
  const a = make();
  const b = make();
  const held = a.acquire(0, () => assert.fail('granted at once'));
  assert.ok(held.endpoint);
  let granted: (l: Lease) => void = () => {};
  const got = new Promise<Lease>((resolve) => (granted = resolve));
  const waiting = b.acquire(0, (l) => granted(l));
  assert.equal(waiting.endpoint, undefined, 'b must not get the slot a holds');
  assert.equal(a.queued, 1, 'a sees b waiting');
  assert.equal(bound.queued, 1);
  held.release();
  const l = await got;
  assert.equal(l.endpoint?.id, 'a');
  assert.equal(a.queued, 0);
  assert.equal(bound.queued, 0);
  l.release();
  assert.equal(Atomics.load(cells.i32, endpointCell(ep)), 0);
  a.close();
  b.close();
});

test('SlotAllocator: a retired slot is reused only when idle and every thread has the snapshot without it', () => {
  const slots = new SlotAllocator(createCells(true));
  const e = slots.endpoint();
  Atomics.store(slots.cells.i32, endpointCell(e), 1);
  slots.retire('endpoint', e); // leaves from version 1 on
  slots.version = 1;
  slots.sweep(0);
  assert.notEqual(slots.endpoint(), e, 'not before every thread acknowledged version 1');
  slots.sweep(1);
  assert.notEqual(slots.endpoint(), e, 'not while a request still holds it');
  Atomics.store(slots.cells.i32, endpointCell(e), 0);
  slots.sweep(1);
  assert.equal(slots.endpoint(), e);
});
