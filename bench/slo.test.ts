// Tests for the bench's percentile and objective checker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkObjective, median, quantile } from './slo.ts';

test('quantile is nearest-rank', () => {
  const xs = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20
  assert.equal(quantile(xs, 0.95), 19);
  assert.equal(quantile(xs, 1), 20);
  assert.equal(quantile(xs, 0.5), 10);
  assert.equal(quantile([7], 0.95), 7);
  assert.equal(quantile([], 0.95), undefined);
  // 15 samples: the 95th percentile is the largest one.
  assert.equal(quantile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 0.95), 15);
});

test('median of odd and even counts, unsorted input left alone', () => {
  const xs = [3, 1, 2];
  assert.equal(median(xs), 2);
  assert.deepEqual(xs, [3, 1, 2]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), undefined);
});

test('objective holds up to and including 25 s at p95', () => {
  const fast = Array.from({ length: 100 }, () => 1000);
  assert.deepEqual(checkObjective(fast), { p: 1000, ratio: 0.04, meets: true });
  const edge = [...Array.from({ length: 95 }, () => 25_000), ...Array.from({ length: 5 }, () => 60_000)];
  assert.equal(checkObjective(edge).meets, true);
  const slow = [...Array.from({ length: 94 }, () => 1000), ...Array.from({ length: 6 }, () => 25_001)];
  assert.equal(checkObjective(slow).meets, false);
  assert.equal(checkObjective([]).meets, false);
});
