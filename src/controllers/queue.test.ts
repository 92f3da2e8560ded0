// The work queue's drain: a burst of keys is reconciled in slices of the event loop, so I/O gets in between.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRAIN_SLICE_MS, WorkQueue } from './queue.ts';

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a reconcile's synchronous part
  }
}

test('work queue: a burst of synchronous reconciles yields to the event loop every DRAIN_SLICE_MS', async () => {
  const done: string[] = [];
  const all = new Promise<void>((resolve) => {
    const q = new WorkQueue('test', (key) => {
      busy(3);
      done.push(key);
      if (done.length === 20) resolve();
    });
    for (let i = 0; i < 20; i++) q.add(`k${i}`);
  });
  // Queued after the drain's first turn: it runs between slices, not after all twenty.
  let seenAt = -1;
  setImmediate(() => setImmediate(() => (seenAt = done.length)));
  await all;
  assert.ok(seenAt > 0 && seenAt < 20, `the loop got a turn after ${seenAt} of 20 reconciles`);
  // The drain and this callback alternate: at most two slices of reconciles ran before it.
  assert.ok(seenAt <= 2 * (Math.ceil(DRAIN_SLICE_MS / 3) + 1), `at most two slices (${DRAIN_SLICE_MS} ms each) of reconciles ran first, saw ${seenAt}`);
  assert.deepEqual([...done].sort(), Array.from({ length: 20 }, (_, i) => `k${i}`).sort(), 'every key reconciled once');
});

test('work queue: settled resolves once nothing waits or runs (a key enqueued by a running reconcile included), or at its timeout', async () => {
  let release: (() => void) | undefined;
  const done: string[] = [];
  const q = new WorkQueue('test', async (key) => {
    if (key === 'slow') await new Promise<void>((r) => (release = r));
    done.push(key);
    if (key === 'a') q.add('b');
  });
  assert.equal(await Promise.race([q.settled(1000).then(() => 'settled'), new Promise((r) => setImmediate(() => r('pending')))]), 'settled', 'an empty queue is settled at once');
  q.add('a');
  q.add('slow');
  const timedOut = await Promise.race([q.settled(50).then(() => done.length), new Promise((r) => setTimeout(() => r('late'), 2000))]);
  assert.equal(timedOut, 2, 'at the timeout: a and b done, slow still running');
  const settled = q.settled(5000).then(() => [...done]);
  release?.();
  assert.deepEqual(await settled, ['a', 'b', 'slow']);
});
