// Metric windows of knative/serving pkg/autoscaler/aggregation/bucketing.go (linear, weighted-exponential) and the scale-down-delay max window, on an injected clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinearWindow, MaxTimeWindow, WeightedExponentialWindow, roundToNDigits, smoothingCoefficient, type MetricWindow } from './window.ts';

/** A whole unix second, so `at(s)` is the start of second s of the test. */
const T0 = 1_700_000_000_000;
const at = (s: number, ms = 0): number => T0 + s * 1000 + ms;

/** [second, value] writes, then reads at `readAt`. */
interface Row {
  name: string;
  window?: number;
  writes: [number, number][];
  readAt: number;
  average: number;
  empty?: boolean;
}

function fill(w: MetricWindow, writes: [number, number][]): void {
  for (const [s, v] of writes) w.record(at(s), v);
}

const range = (from: number, to: number, value: (s: number) => number): [number, number][] =>
  Array.from({ length: to - from + 1 }, (_, i) => [from + i, value(from + i)]);

const linearRows: Row[] = [
  { name: 'nothing recorded: 0 and empty', writes: [], readAt: 0, average: 0, empty: true },
  { name: 'one write averages over one bucket', writes: [[0, 10]], readAt: 0, average: 10, empty: false },
  { name: 'partial window: 6 seconds of data average over 6 buckets, not 60', writes: range(0, 5, (s) => s + 1), readAt: 5, average: 3.5 },
  { name: 'values in the same second add up', writes: [[0, 3], [0, 4]], readAt: 0, average: 7 },
  { name: 'a gap inside the written span counts as zeros', writes: [[0, 10], [4, 10]], readAt: 4, average: 4 },
  { name: 'silence after the last write (early on) does not dilute', writes: range(0, 9, () => 10), readAt: 12, average: 10 },
  {
    name: 'silence after a full window drops the stale buckets and averages over window − d',
    writes: range(0, 59, (s) => s), readAt: 70, average: 35, // (11+…+59)/49
  },
  { name: 'full window wraps the ring', writes: range(0, 119, () => 1), readAt: 119, average: 1 },
  { name: 'd = window: average 0 but not yet empty', writes: [[0, 10]], readAt: 60, average: 0, empty: false },
  { name: 'd > window: empty', writes: [[0, 10]], readAt: 61, average: 0, empty: true },
  { name: 'a write after ≥ window of silence resets the window', writes: [[0, 100], [60, 10]], readAt: 60, average: 10 },
  { name: 'a write just inside the window keeps the old data', writes: [[0, 100], [59, 10]], readAt: 59, average: 1.833333 },
  { name: 'averages are rounded to 6 decimals (Knative roundToNDigits): 2/3 is 0.666667', writes: [[0, 1], [1, 1], [2, 0]], readAt: 2, average: 0.666667 },
  { name: '7.0000006 rounds up to 7.000001', writes: [[0, 7.0000006]], readAt: 0, average: 7.000001 },
  { name: 'the partial-window branch rounds too', writes: [[0, 1], [1, 1], [2, 0]], readAt: 4, average: 0.666667 },
  { name: 'a late write within the window lands in its own bucket', writes: [[10, 10], [5, 5]], readAt: 10, average: 2.5 },
  { name: 'a write older than a window is dropped', writes: [[100, 6], [30, 1000]], readAt: 100, average: 6 },
  { name: '6-second window: only the last 6 seconds count', window: 6, writes: range(0, 9, (s) => s), readAt: 9, average: 6.5 },
];

for (const row of linearRows) {
  test(`LinearWindow: ${row.name}`, () => {
    const w = new LinearWindow(row.window ?? 60);
    fill(w, row.writes);
    assert.equal(w.average(at(row.readAt)), row.average);
    if (row.empty !== undefined) assert.equal(w.isEmpty(at(row.readAt)), row.empty);
  });
}

// knative/serving pkg/autoscaler/aggregation/bucketing_test.go TestRoundToNDigits, plus Go's halves away from zero.
const roundRows: [digits: number, value: number, want: number][] = [
  [6, 3.6e-17, 0], [3, -3.6e-17, 0], [3, 0.0004, 0], [3, 1.2345, 1.235], [4, 1.2345, 1.2345], [6, 12345, 12345],
  [6, 2 / 3, 0.666667], [6, 7.0000006, 7.000001], [0, -2.5, -3], [0, 2.5, 3],
];
for (const [digits, value, want] of roundRows) {
  test(`roundToNDigits(${digits}, ${value}) = ${want}`, () => {
    assert.equal(roundToNDigits(digits, value), want);
  });
}

test('LinearWindow: sub-second times fall into their second', () => {
  const w = new LinearWindow(60);
  w.record(at(0, 1), 2);
  w.record(at(0, 999), 2);
  w.record(at(1, 500), 2);
  assert.equal(w.average(at(1, 999)), 3);
});

test('smoothing coefficient: max(1 − 0.0001^(1/N), 0.2)', () => {
  assert.equal(smoothingCoefficient(60), 0.2);
  assert.ok(Math.abs(smoothingCoefficient(6) - 0.7845565309968117) < 1e-12);
  assert.ok(Math.abs(new WeightedExponentialWindow(6).smoothing - 0.7845565309968117) < 1e-12);
  assert.equal(new WeightedExponentialWindow(60).smoothing, 0.2);
});

const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≉ ${expected}`);

const weightedRows: Row[] = [
  { name: 'nothing recorded', writes: [], readAt: 0, average: 0, empty: true },
  { name: 'one value weighs α, not renormalised', writes: [[0, 10]], readAt: 0, average: 2 },
  { name: 'one silent second is a leading zero', writes: [[0, 10]], readAt: 1, average: 1.6 },
  { name: 'two silent seconds', writes: [[0, 10]], readAt: 2, average: 1.28 },
  { name: 'newest weighs most: [10, 10, 5, 5]', writes: [[0, 10], [1, 10], [2, 5], [3, 5]], readAt: 3, average: 4.104 },
  { name: 'reversed: [5, 5, 10, 10]', writes: [[0, 5], [1, 5], [2, 10], [3, 10]], readAt: 3, average: 4.752 },
  { name: 'a full window of 10s approaches 10', writes: range(0, 59, () => 10), readAt: 59, average: 10 * (1 - 0.8 ** 60) },
  { name: 'empty after more than a window of silence', writes: [[0, 10]], readAt: 61, average: 0, empty: true },
  { name: '6-second window: α ≈ 0.785', window: 6, writes: [[0, 10]], readAt: 0, average: 7.845565309968117 },
];

for (const row of weightedRows) {
  test(`WeightedExponentialWindow: ${row.name}`, () => {
    const w = new WeightedExponentialWindow(row.window ?? 60);
    fill(w, row.writes);
    close(w.average(at(row.readAt)), row.average);
    if (row.empty !== undefined) assert.equal(w.isEmpty(at(row.readAt)), row.empty);
  });
}

test('resize keeps the newest buckets and assumes the old window was full', () => {
  const w = new LinearWindow(60);
  fill(w, range(0, 59, (s) => s));
  w.resize(10, at(59));
  assert.equal(w.windowSeconds, 10);
  assert.equal(w.average(at(59)), 54.5); // 50…59
  const grown = new LinearWindow(6);
  fill(grown, range(0, 5, () => 6));
  grown.resize(12, at(5));
  assert.equal(grown.average(at(5)), 6); // firstWrite = lastWrite − 5: six buckets
  const stale = new LinearWindow(6);
  stale.record(at(0), 5);
  stale.resize(60, at(30));
  assert.equal(stale.average(at(30)), 0);
});

interface MaxRow {
  name: string;
  duration: number;
  records: [number, number][];
  current: number;
}

const maxRows: MaxRow[] = [
  { name: 'keeps the largest value in the window', duration: 10, records: [[0, 5], [2, 3], [4, 1]], current: 5 },
  { name: 'old maxima slide out (5 buckets of 2s)', duration: 10, records: [[0, 5], [2, 3], [4, 1], [10, 1]], current: 3 },
  { name: 'a larger newer value replaces older ones', duration: 10, records: [[0, 5], [2, 7]], current: 7 },
  { name: 'two values in one 2s bucket: the larger wins', duration: 10, records: [[0, 2], [1, 1]], current: 2 },
  { name: 'after the window only the latest value remains', duration: 4, records: [[0, 9], [2, 4], [20, 1]], current: 1 },
];

for (const row of maxRows) {
  test(`MaxTimeWindow: ${row.name}`, () => {
    const w = new MaxTimeWindow(row.duration, 2);
    for (const [s, v] of row.records) w.record(at(s), v);
    assert.equal(w.current(), row.current);
  });
}
